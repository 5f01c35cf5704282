package event

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// gate is a sink whose Emit blocks until opened: a terminal nobody reads.
type gate struct {
	open chan struct{}
	mu   sync.Mutex
	got  []Event
}

func (g *gate) Emit(e Event) {
	<-g.open
	g.mu.Lock()
	g.got = append(g.got, e)
	g.mu.Unlock()
}
func (g *gate) Close() error { return nil }

func TestDispatcherNeverBlocksAndReportsDrops(t *testing.T) {
	g := &gate{open: make(chan struct{})}
	d := NewDispatcher(g, 4, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()

	// With the sink stuck, emitting returns at once (this loop would hang
	// otherwise) and what does not fit is dropped and counted.
	for i := range 20 {
		d.Emit(Event{Event: Alert, Rule: string(rune('a' + i))})
	}
	if d.Dropped() < 20-4-1 { // the queue, plus at most one batch being delivered
		t.Fatalf("dropped %d of 20 with a queue of 4", d.Dropped())
	}
	close(g.open)
	cancel()
	<-done
	d.Flush()

	g.mu.Lock()
	defer g.mu.Unlock()
	var report *Event
	last := ""
	for i, e := range g.got {
		if e.Event == Error {
			report = &g.got[i]
			continue
		}
		if e.Rule <= last {
			t.Fatalf("events out of order: %q after %q", e.Rule, last)
		}
		last = e.Rule
	}
	if last != "t" {
		t.Errorf("last event delivered %q, want the newest (t): the oldest are dropped", last)
	}
	if report == nil || !strings.Contains(report.Message, "events dropped") {
		t.Fatalf("no drop report among %+v", g.got)
	}
	// An event dropped from the queue while its batch was being delivered
	// is delivered and counted, so this is at least 20, not exactly.
	if n := len(g.got) - 1 + int(d.Dropped()); n < 20 {
		t.Errorf("%d delivered + %d dropped, want all 20 accounted for", len(g.got)-1, d.Dropped())
	}
}

func TestDispatcherFlushDeliversInOrder(t *testing.T) {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	d := NewDispatcher(g, 0, func() time.Time { return time.Time{} })
	for _, k := range []Kind{Reload, Alert, Clear} {
		d.Emit(Event{Event: k})
	}
	d.Flush()
	if len(g.got) != 3 || g.got[0].Event != Reload || g.got[2].Event != Clear || d.Dropped() != 0 {
		t.Fatalf("got %+v", g.got)
	}
}
