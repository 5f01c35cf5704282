package ocr

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Slots are handed out urgent waiters first, then others in arrival order;
// a waiter that gives up leaves no hole and loses no slot.
func TestPoolSlotsServeUrgentFirst(t *testing.T) {
	p := &pool{slots: 1, free: make([]*worker, 1)}
	w0 := &worker{pid: 1}
	if _, err := p.get(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 3)
	queued := [2]int{}
	wait := func(name string, urgent bool) {
		q := 1
		if urgent {
			q = 0
		}
		queued[q]++
		want := queued
		go func() {
			w, err := p.get(context.Background(), urgent)
			if err != nil {
				got <- "error " + err.Error()
				return
			}
			got <- name
			p.put(w)
		}()
		waitFor(t, func() bool {
			p.slotMu.Lock()
			defer p.slotMu.Unlock()
			return len(p.waiters[0]) == want[0] && len(p.waiters[1]) == want[1]
		})
	}
	wait("normal-1", false)
	wait("normal-2", false)
	// One that gives up while waiting: it must not swallow the slot.
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { _, err := p.get(ctx, true); gaveUp <- err }()
	waitFor(t, func() bool { p.slotMu.Lock(); defer p.slotMu.Unlock(); return len(p.waiters[0]) == 1 })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	wait("urgent", true)
	p.put(w0)
	var order []string
	for range 3 {
		select {
		case s := <-got:
			order = append(order, s)
		case <-time.After(5 * time.Second):
			t.Fatalf("slot lost: served %v", order)
		}
	}
	want := []string{"urgent", "normal-1", "normal-2"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("served %v, want %v", order, want)
		}
	}
	if w, ok := p.tryGet(); !ok || w != w0 {
		t.Fatalf("slot not back in the free queue: %v %v", w, ok)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}
