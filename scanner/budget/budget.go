// Package budget holds the live agent to its CPU budget: a token bucket of
// CPU time, and the measurements charged to it (this process's CPU and that
// of the OCR worker processes).
package budget

import (
	"sync"
	"time"
)

// Budget is a token bucket of CPU time: it fills at Rate seconds of CPU per
// second of wall time (0.5 = half of one core) up to Burst, and work is
// charged after it ran. Work may overdraw it; the next piece waits until the
// balance is positive again, so the average stays at Rate while a single
// notification is never split up.
type Budget struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	balance float64
	last    time.Time
	now     func() time.Time
}

// New makes a full bucket. rate is in cores (0.5 = 50% of one core).
func New(rate float64, burst time.Duration, now func() time.Time) *Budget {
	if now == nil {
		now = time.Now
	}
	return &Budget{rate: rate, burst: burst.Seconds(), balance: burst.Seconds(), last: now(), now: now}
}

func (b *Budget) refill() {
	t := b.now()
	b.balance += t.Sub(b.last).Seconds() * b.rate
	if b.balance > b.burst {
		b.balance = b.burst
	}
	b.last = t
}

// Charge records cpu seconds of work done.
func (b *Budget) Charge(cpu time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	b.balance -= cpu.Seconds()
}

// Wait returns how long to wait before the balance is positive (0: go).
func (b *Budget) Wait() time.Duration { return b.WaitDebt(0) }

// WaitDebt is Wait for work allowed to run while the bucket is up to debt in
// the red: small urgent work (a notification) is not queued behind the
// payback of a big read, yet a stream of it is still held to the rate once
// the debt limit is reached.
func (b *Budget) WaitDebt(debt time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if b.balance >= -debt.Seconds() {
		return 0
	}
	return time.Duration((-debt.Seconds() - b.balance) / b.rate * float64(time.Second))
}
