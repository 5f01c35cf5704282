package event

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fanout hands every event to several sinks, each through a Dispatcher of
// its own: a sink that blocks (stdout piped to a program that stopped
// reading, a log on a hung disk) loses its own events, counted, and holds
// up neither whoever emits nor the other sinks. Close is bounded: what a
// blocked sink did not take by then is given up and counted.
type Fanout struct {
	size int
	now  func() time.Time

	mu     sync.Mutex
	outs   []*output
	closed bool
	late   atomic.Int64 // events emitted after Close
}

type output struct {
	name   string
	sink   Sink
	d      *Dispatcher
	stop   context.CancelFunc
	ran    chan struct{} // d.Run returned
	closed chan struct{} // flushed and closed
	err    error         // sink's Close, once closed is closed
	lost   int64         // still queued when Close gave up
	// removed: closed on its own (CloseOutput); Emit and Close skip it.
	removed bool
}

// NewFanout makes a fanout whose sinks each queue at most size events
// (DefaultQueue if size <= 0); now stamps drop reports (nil: time.Now).
func NewFanout(size int, now func() time.Time) *Fanout {
	return &Fanout{size: size, now: now}
}

// Add starts delivering to s, under name (how stderr and the presenter
// page call it: "stdout", "--log", "webhook").
func (f *Fanout) Add(name string, s Sink) {
	ctx, stop := context.WithCancel(context.Background())
	o := &output{name: name, sink: s, d: NewDispatcher(s, f.size, f.now), stop: stop,
		ran: make(chan struct{}), closed: make(chan struct{})}
	go func() { defer close(o.ran); o.d.Run(ctx) }()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		stop()
		go func() { <-o.ran; o.err = s.Close(); close(o.closed) }()
		return
	}
	f.outs = append(f.outs, o)
}

// Emit queues e for every sink; it never blocks. After Close it drops e.
func (f *Fanout) Emit(e Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		f.late.Add(1)
		return
	}
	for _, o := range f.outs {
		if !o.removed {
			o.d.Emit(e)
		}
	}
}

// Close delivers what is queued and closes every sink, all at once, and
// returns by deadline whatever they are doing: a sink still blocked then is
// left behind (its goroutine stays blocked until the process exits) and
// its queued events are counted as lost (Stats). It returns the first error
// of a sink's Close that finished. Events emitted afterwards are dropped.
func (f *Fanout) Close(deadline time.Time) error {
	f.mu.Lock()
	f.closed = true
	var outs []*output
	for _, o := range f.outs {
		if !o.removed {
			o.removed = true
			outs = append(outs, o)
		}
	}
	f.mu.Unlock()
	return closeAll(outs, deadline)
}

// CloseOutput delivers what is queued for the sink added under name and
// closes it, by deadline, as Close does, while the others go on: a sink
// that emits into the others when it closes (the actions report their
// failures) is closed first. It stays in Stats.
func (f *Fanout) CloseOutput(name string, deadline time.Time) error {
	f.mu.Lock()
	var outs []*output
	for _, o := range f.outs {
		if o.name == name && !o.removed {
			o.removed = true
			outs = append(outs, o)
		}
	}
	f.mu.Unlock()
	return closeAll(outs, deadline)
}

func closeAll(outs []*output, deadline time.Time) error {
	for _, o := range outs {
		o.stop()
		go func() {
			<-o.ran
			o.d.Flush()
			o.err = o.sink.Close()
			close(o.closed)
		}()
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var first error
	for _, o := range outs {
		select {
		case <-o.closed:
			if o.err != nil && first == nil {
				first = o.err
			}
			continue
		case <-timer.C:
		}
		// Past the deadline: whoever has not finished is given up.
		for _, o := range outs {
			select {
			case <-o.closed:
				if o.err != nil && first == nil {
					first = o.err
				}
			default:
				atomic.StoreInt64(&o.lost, int64(o.d.Queued()))
			}
		}
		return first
	}
	return first
}

// OutputStats says how one sink is keeping up.
type OutputStats struct {
	Name    string
	Dropped int64         // dropped because its queue was full
	Queued  int           // waiting for it now
	Stalled time.Duration // inside one Emit for this long (0: idle)
	Lost    int64         // still queued (or being written) when Close gave up
}

// Stats reports every sink, in the order they were added.
func (f *Fanout) Stats() []OutputStats {
	f.mu.Lock()
	outs := f.outs
	f.mu.Unlock()
	now := time.Now()
	st := make([]OutputStats, len(outs))
	for i, o := range outs {
		st[i] = OutputStats{Name: o.name, Dropped: o.d.Dropped(), Queued: o.d.Queued(), Stalled: o.d.Stalled(now), Lost: atomic.LoadInt64(&o.lost)}
	}
	return st
}

// StalledAfter is how long a sink may sit in one Emit before Trouble calls
// it blocked.
const StalledAfter = 2 * time.Second

// Trouble describes the sinks that lose or hold back events, for the
// presenter page and the last line on stderr ("" when none does), e.g.
// "stdout: blocked for 12s, 1030 events dropped".
func (f *Fanout) Trouble() string {
	var parts []string
	for _, s := range f.Stats() {
		var what []string
		if s.Stalled >= StalledAfter {
			what = append(what, fmt.Sprintf("blocked for %s", s.Stalled.Truncate(time.Second)))
		}
		if s.Dropped > 0 {
			what = append(what, fmt.Sprintf("%d events dropped", s.Dropped))
		}
		if s.Lost > 0 {
			what = append(what, fmt.Sprintf("%d undelivered at shutdown", s.Lost))
		}
		if len(what) > 0 {
			parts = append(parts, s.Name+": "+strings.Join(what, ", "))
		}
	}
	return strings.Join(parts, "; ")
}
