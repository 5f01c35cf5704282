package budget

import (
	"os"
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	c := newClock()
	b := New(0.5, time.Second, c.now)
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

func TestBudgetUrgentDebt(t *testing.T) {
	c := newClock()
	b := New(0.5, time.Second, c.now)
	b.Charge(2 * time.Second) // balance -1s
	if w := b.WaitDebt(2 * time.Second); w != 0 {
		t.Fatalf("urgent work within the debt limit waits %v", w)
	}
	b.Charge(2 * time.Second) // balance -3s
	if w := b.WaitDebt(2 * time.Second); w != 2*time.Second {
		t.Fatalf("beyond the debt limit: wait %v, want 2s", w)
	}
}

func TestProcCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	if _, ok := PIDCPU(os.Getpid()); !ok {
		t.Fatal("cannot read own CPU time from /proc")
	}
}

// clock is a settable time source.
type clock struct{ t time.Time }

func newClock() *clock               { return &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)} }
func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
