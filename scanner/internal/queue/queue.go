// Package queue is the bounded, never-blocking queue put between the
// scanning loop and slow I/O: the agent's event dispatcher, the webhook,
// the hub client and the response actions. When full it drops the oldest
// item (the newest state of the screen matters most) and counts it; items
// stay queued until the consumer acknowledges their delivery, so an
// unreachable hub loses nothing that still fits.
package queue

import "sync"

// Queue is a bounded FIFO. Push never blocks; Peek and Ack let a consumer
// retry a batch until it is delivered.
type Queue[T any] struct {
	mu      sync.Mutex
	items   []item[T]
	max     int
	next    uint64 // sequence number of the next item pushed
	dropped int64
	wake    chan struct{}
}

type item[T any] struct {
	seq uint64
	v   T
}

// New makes a queue holding at most size items (at least 1).
func New[T any](size int) *Queue[T] {
	return &Queue[T]{max: max(1, size), wake: make(chan struct{}, 1)}
}

// Push appends v, dropping the oldest item when full; it reports whether
// one was dropped.
func (q *Queue[T]) Push(v T) (dropped bool) {
	q.mu.Lock()
	if len(q.items) >= q.max {
		clear(q.items[:1])
		q.items = q.items[1:]
		q.dropped++
		dropped = true
	}
	q.items = append(q.items, item[T]{q.next, v})
	q.next++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return dropped
}

// Peek returns up to n of the oldest items, without removing them, and a
// mark to pass to Ack once they are delivered. Items dropped meanwhile
// (the queue overflowing while the batch was in flight) are not a problem:
// Ack removes by sequence number, not by position.
func (q *Queue[T]) Peek(n int) (batch []T, mark uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.items))
	batch = make([]T, n)
	for i := range n {
		batch[i] = q.items[i].v
	}
	if n > 0 {
		mark = q.items[n-1].seq + 1
	}
	return batch, mark
}

// Ack removes the items a Peek returned (everything before mark).
func (q *Queue[T]) Ack(mark uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := 0
	for i < len(q.items) && q.items[i].seq < mark {
		i++
	}
	clear(q.items[:i])
	q.items = q.items[i:]
}

// Len is the number of items queued.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Dropped is how many items were dropped because the queue was full.
func (q *Queue[T]) Dropped() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Wake receives after a Push (coalesced: one value for many pushes).
func (q *Queue[T]) Wake() <-chan struct{} { return q.wake }
