package queue

import (
	"reflect"
	"testing"
)

func TestQueue(t *testing.T) {
	tests := []struct {
		name        string
		size        int
		push        []int
		peek        int
		ackFirst    bool // ack the peeked batch
		pushAfter   []int
		wantBatch   []int
		wantLeft    []int
		wantDropped int64
	}{
		{name: "fits", size: 4, push: []int{1, 2, 3}, peek: 2, ackFirst: true, wantBatch: []int{1, 2}, wantLeft: []int{3}},
		{name: "oldest dropped", size: 3, push: []int{1, 2, 3, 4, 5}, peek: 10, wantBatch: []int{3, 4, 5}, wantLeft: []int{3, 4, 5}, wantDropped: 2},
		{name: "not acked stays", size: 3, push: []int{1, 2}, peek: 1, wantBatch: []int{1}, wantLeft: []int{1, 2}},
		// The batch in flight is overrun: acking it must not remove newer items.
		{name: "overrun while in flight", size: 2, push: []int{1, 2}, peek: 2, ackFirst: true, pushAfter: []int{3, 4, 5}, wantBatch: []int{1, 2}, wantLeft: []int{4, 5}, wantDropped: 3},
		{name: "empty", size: 2, peek: 3, ackFirst: true, wantBatch: []int{}, wantLeft: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := New[int](tt.size)
			for _, v := range tt.push {
				q.Push(v)
			}
			batch, mark := q.Peek(tt.peek)
			for _, v := range tt.pushAfter {
				q.Push(v)
			}
			if tt.ackFirst {
				q.Ack(mark)
			}
			if !reflect.DeepEqual(batch, tt.wantBatch) {
				t.Errorf("batch %v, want %v", batch, tt.wantBatch)
			}
			left, _ := q.Peek(100)
			if !reflect.DeepEqual(left, tt.wantLeft) {
				t.Errorf("left %v, want %v", left, tt.wantLeft)
			}
			if q.Dropped() != tt.wantDropped {
				t.Errorf("dropped %d, want %d", q.Dropped(), tt.wantDropped)
			}
		})
	}
}
