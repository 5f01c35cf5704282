// Package backoff is the one retry delay of everything that reconnects or
// resends: the X11 capturer, the DAMAGE watcher, the webhook and the hub
// client. It doubles from Min up to Max.
package backoff

import "time"

// Backoff is a retry delay that doubles from Min up to Max. The zero value
// with Min and Max set is ready.
type Backoff struct {
	Min, Max time.Duration
	n        int // delays handed out since the last Reset
}

// Next returns the delay before the next attempt.
func (b *Backoff) Next() time.Duration {
	b.n++
	return Delay(b.Min, b.Max, b.n)
}

// Reset starts over after a success.
func (b *Backoff) Reset() { b.n = 0 }

// Delay is the delay after n consecutive failures (n >= 1): min doubled
// n-1 times, at most max.
func Delay(min, max time.Duration, n int) time.Duration {
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		return max
	}
	return d
}
