package event

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/demoguard/demoguard/scanner/internal/queue"
)

// Dispatcher hands events to a sink from its own goroutine through a bounded
// queue, so whoever emits (the agent, holding its lock) never waits for a
// slow sink: a terminal nobody reads, a pipe that stopped draining, an fsync.
// When the queue is full the oldest event is dropped; drops are counted and
// reported to the sink as an error event once it catches up.
type Dispatcher struct {
	sink Sink
	q    *queue.Queue[Event]
	now  func() time.Time

	deliver  sync.Mutex   // one delivery at a time, so the sink sees events in order
	reported int64        // drops already reported
	busy     atomic.Int64 // when the sink's Emit in progress started (unix ns; 0: idle)
}

// DefaultQueue is the dispatcher's bound when none is given: minutes of a
// busy screen's events, a few MB at most.
const DefaultQueue = 4096

// NewDispatcher makes a dispatcher for s holding at most size events
// (DefaultQueue if size <= 0). now stamps the drop reports (nil: time.Now).
func NewDispatcher(s Sink, size int, now func() time.Time) *Dispatcher {
	if size <= 0 {
		size = DefaultQueue
	}
	if now == nil {
		now = time.Now
	}
	return &Dispatcher{sink: s, q: queue.New[Event](size), now: now}
}

// Emit queues e; it never blocks.
func (d *Dispatcher) Emit(e Event) { d.q.Push(e) }

// Dropped is how many events were dropped because the sink fell behind.
func (d *Dispatcher) Dropped() int64 { return d.q.Dropped() }

// Queued is how many events wait for the sink (the one it is taking
// included).
func (d *Dispatcher) Queued() int { return d.q.Len() }

// Stalled is how long the sink has been inside one Emit, at now (0 when it
// is not taking an event): a pipe nobody reads shows here long before its
// events are dropped.
func (d *Dispatcher) Stalled(now time.Time) time.Duration {
	if t := d.busy.Load(); t != 0 {
		return max(0, now.Sub(time.Unix(0, t)))
	}
	return 0
}

// Run delivers events as they come until ctx is done. Events queued then
// stay queued: Flush delivers them.
func (d *Dispatcher) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.q.Wake():
			d.Flush()
		}
	}
}

// Flush delivers every queued event in the calling goroutine and returns
// when the queue is empty.
func (d *Dispatcher) Flush() {
	d.deliver.Lock()
	defer d.deliver.Unlock()
	for {
		batch, mark := d.q.Peek(64)
		if n := d.q.Dropped(); n > d.reported {
			d.emit(Event{Event: Error, Time: d.now(),
				Message: fmt.Sprintf("%d events dropped: an output (terminal, pipe, log) is not keeping up", n-d.reported)})
			d.reported = n
		}
		if len(batch) == 0 {
			return
		}
		for _, e := range batch {
			d.emit(e)
		}
		d.q.Ack(mark)
	}
}

func (d *Dispatcher) emit(e Event) {
	d.busy.Store(time.Now().UnixNano())
	d.sink.Emit(e)
	d.busy.Store(0)
}
