package scanner

import (
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	c := newClock()
	b := NewBudget(0.5, time.Second, c.now)
	if w := b.Wait(); w != 0 {
		t.Fatalf("full bucket waits %v", w)
	}
	b.Charge(2 * time.Second) // one big piece of work may overdraw
	if w := b.Wait(); w != 2*time.Second {
		t.Fatalf("after overdrawing by 1s at 0.5 cores: wait %v, want 2s", w)
	}
	c.add(2 * time.Second)
	if w := b.Wait(); w != 0 {
		t.Fatalf("paid back, still waits %v", w)
	}
	c.add(time.Hour)
	b.Charge(1500 * time.Millisecond)
	if w := b.Wait(); w != time.Second {
		t.Fatalf("burst is capped at 1s: wait %v, want 1s", w)
	}
}
