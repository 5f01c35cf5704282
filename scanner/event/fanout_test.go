package event

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// lines writes each event as a JSON line to w, as sink.JSON does.
type lines struct{ w io.Writer }

func (l lines) Emit(e Event) {
	b, _ := json.Marshal(e)
	l.w.Write(append(b, '\n'))
}
func (l lines) Close() error { return nil }

// record keeps what it gets, and whether it was closed.
type record struct {
	mu     sync.Mutex
	got    []Event
	closed bool
}

func (r *record) Emit(e Event) { r.mu.Lock(); r.got = append(r.got, e); r.mu.Unlock() }
func (r *record) Close() error { r.mu.Lock(); r.closed = true; r.mu.Unlock(); return nil }

// A pipe nobody reads, filled up, loses its own events (counted) and holds
// up neither Emit, nor the other sink, nor Close beyond its deadline.
func TestFanoutBlockedPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close() // never read
	// Filled, so the first write blocks (as when the reader stalled long ago).
	fill(t, pw)
	defer pw.Close()

	f := NewFanout(128, nil)
	f.Add("stdout", lines{pw})
	other := &record{}
	f.Add("--log", other)

	start := time.Now()
	const n = 1000
	for i := range n {
		f.Emit(Event{Event: Alert, Rule: "r", Line: i})
		if i%32 == 0 {
			time.Sleep(time.Millisecond) // let the good sink keep up with its 128-event queue
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("emitting %d events took %v: Emit waited for the blocked pipe", n, d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		other.mu.Lock()
		got := 0
		for _, e := range other.got {
			if e.Event == Alert {
				got++
			}
		}
		other.mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other sink got %d of %d events", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	st := f.Stats()
	if st[0].Name != "stdout" || st[0].Dropped == 0 || st[0].Stalled == 0 {
		t.Fatalf("blocked pipe's stats %+v: want drops and a stall", st[0])
	}
	if st[1].Dropped != 0 {
		t.Fatalf("the other sink dropped %d events", st[1].Dropped)
	}

	closeStart := time.Now()
	if err := f.Close(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(closeStart); d > time.Second {
		t.Fatalf("Close took %v with a 200ms deadline", d)
	}
	other.mu.Lock()
	closed := other.closed
	other.mu.Unlock()
	if !closed {
		t.Error("the other sink was not closed")
	}
	st = f.Stats()
	if st[0].Lost == 0 {
		t.Errorf("blocked pipe's stats after Close %+v: want its queued events counted as lost", st[0])
	}
	tr := f.Trouble()
	if !strings.Contains(tr, "stdout: ") || !strings.Contains(tr, "events dropped") || !strings.Contains(tr, "undelivered at shutdown") || strings.Contains(tr, "--log") {
		t.Errorf("Trouble() = %q", tr)
	}
	f.Emit(Event{Event: Alert}) // after Close: dropped, no panic
}

// fill writes to w until a write would block, then leaves w blocking.
func fill(t *testing.T, w *os.File) {
	t.Helper()
	if err := w.SetWriteDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Skipf("pipe without deadlines: %v", err)
	}
	buf := make([]byte, 4096)
	for {
		w.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := w.Write(buf); err != nil {
			if !os.IsTimeout(err) {
				t.Fatal(err)
			}
			break
		}
	}
	w.SetWriteDeadline(time.Time{})
}
