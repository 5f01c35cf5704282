package agent

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/incident"
)

// harness drives an Agent step by step (no goroutines, no timers): step
// captures every display once, drain runs all queued OCR.
type harness struct {
	t    *testing.T
	a    *Agent
	cap  *fakeCapturer
	rec  *fakeRecognizer
	sink *recordSink
	clk  *clock
	m    atomic.Value // Matcher
}

func newHarness(t *testing.T, displays ...Display) *harness {
	t.Helper()
	if len(displays) == 0 {
		displays = []Display{{Index: 0, Bounds: image.Rect(0, 0, 1280, 720)}}
	}
	h := &harness{t: t, rec: &fakeRecognizer{}, sink: &recordSink{}, clk: newClock()}
	h.cap = &fakeCapturer{displays: displays, screens: map[int]*image.RGBA{}}
	for _, d := range displays {
		h.cap.screens[d.Index] = blank(d.Bounds.Dx(), d.Bounds.Dy())
	}
	h.m.Store(Matcher(&fakeMatcher{terms: map[string]string{"Walmart": "customers", "SECRET": "classification"}}))
	h.a = New(Config{
		Capturer: h.cap, Recognizer: h.rec, Sink: h.sink, Display: -1, Now: h.clk.now,
		Rules: func() Matcher { return h.m.Load().(Matcher) },
		Grace: time.Second, Interval: 250 * time.Millisecond, MinConf: 0.5, Salt: []byte("test"),
	})
	if err := h.a.refreshDisplays(true); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) step() {
	h.clk.add(250 * time.Millisecond)
	h.a.mu.Lock()
	var ds []*dispState
	for _, d := range h.a.displays {
		ds = append(ds, d)
	}
	h.a.mu.Unlock()
	slices.SortFunc(ds, func(a, b *dispState) int { return a.d.Index - b.d.Index })
	for _, d := range ds {
		h.a.frame(d)
	}
	h.a.out.Flush() // the events of this step reach the sink now, not in Run's goroutine
}

func (h *harness) drain() {
	for {
		h.a.mu.Lock()
		b := h.a.takeBatch()
		h.a.mu.Unlock()
		if len(b) == 0 {
			h.a.out.Flush()
			return
		}
		h.a.read(context.Background(), b)
	}
}

func (h *harness) screen(i int) *image.RGBA { return clone(h.cap.screens[i]) }

func (h *harness) wantKinds(want ...event.Kind) {
	h.t.Helper()
	h.a.out.Flush()
	if got := h.sink.kinds(); !slices.Equal(got, want) {
		h.t.Fatalf("events %v, want %v", got, want)
	}
}

func TestAgentAlertOnceThenClearWithExposure(t *testing.T) {
	h := newHarness(t)
	h.step()
	h.drain()
	h.wantKinds()
	s := h.screen(0)
	put(s, image.Rect(900, 600, 980, 614), "Walmart")
	put(s, image.Rect(100, 100, 180, 114), "harmless")
	h.cap.set(0, s)
	h.step()
	h.wantKinds() // queued, not read yet
	h.drain()
	h.wantKinds(event.Alert)
	e := h.sink.last()
	if e.Rule != "customers" || e.Text != "W*****t" || *e.Display != 0 || e.Box.X != 900 || e.Box.Y != 600 {
		t.Fatalf("alert %+v", e)
	}
	if e.Fingerprint != incident.Fingerprint([]byte("test"), "Walmart") {
		t.Fatal("fingerprint is not the salted hash of the text")
	}
	calls := h.rec.nCalls()
	for i := 0; i < 8; i++ { // two seconds on screen: no new alert, no OCR
		h.step()
		h.drain()
	}
	h.wantKinds(event.Alert)
	if h.rec.nCalls() != calls {
		t.Fatalf("static screen caused %d OCR calls", h.rec.nCalls()-calls)
	}
	erase(s, image.Rect(900, 600, 980, 614))
	h.cap.set(0, s)
	h.step() // gone; within grace
	h.wantKinds(event.Alert)
	for i := 0; i < 4; i++ {
		h.step()
	}
	h.wantKinds(event.Alert, event.Clear)
	c := h.sink.last()
	if *c.ExposureMS != 2000 || c.Incident != e.Incident {
		t.Fatalf("clear exposure %d incident %s, want 2000ms of %s", *c.ExposureMS, c.Incident, e.Incident)
	}
}

// While the area of an incident is being re-read, the incident is held:
// no clear followed by a second alert because OCR was slow.
func TestAgentHoldsIncidentWhileRereading(t *testing.T) {
	h := newHarness(t)
	s := h.screen(0)
	put(s, image.Rect(900, 600, 980, 614), "Walmart")
	h.cap.set(0, s)
	h.step()
	h.drain()
	put(s, image.Rect(990, 600, 1010, 614), "Inc") // the line is redrawn
	h.cap.set(0, s)
	h.step()
	for i := 0; i < 10; i++ { // OCR starved for 2.5 s
		h.step()
	}
	h.wantKinds(event.Alert)
	h.drain()
	h.step()
	h.wantKinds(event.Alert)
}

func TestAgentCacheMakesScrollingCheap(t *testing.T) {
	h := newHarness(t)
	s := h.screen(0)
	put(s, image.Rect(100, 300, 180, 314), "Walmart")
	h.cap.set(0, s)
	h.step()
	h.drain()
	calls := h.rec.nCalls()
	// Scroll up by 30 px (a multiple of the texture period keeps pixels equal).
	s = h.screen(0)
	erase(s, image.Rect(100, 300, 180, 314))
	put(s, image.Rect(100, 270, 180, 284), "Walmart")
	h.cap.set(0, s)
	h.step()
	h.drain()
	if h.rec.nCalls() != calls {
		t.Fatalf("scrolled line was OCR'd again: %v", h.rec.calls)
	}
	if st := h.a.Stats(); st.CacheHits == 0 {
		t.Fatalf("no cache hit: %+v", st)
	}
	h.wantKinds(event.Alert) // same incident: moved a little
}

func TestAgentDropsStaleWorkAndReadsNewestFirst(t *testing.T) {
	h := newHarness(t)
	s := h.screen(0)
	put(s, image.Rect(100, 100, 180, 114), "old")
	h.cap.set(0, s)
	h.step()
	// Before it is read, that place changes again, and something appears elsewhere.
	erase(s, image.Rect(100, 100, 180, 114))
	put(s, image.Rect(100, 100, 200, 114), "SECRET")
	h.cap.set(0, s)
	h.step()
	put(s, image.Rect(900, 600, 980, 614), "Walmart")
	h.cap.set(0, s)
	h.step()
	h.a.mu.Lock()
	b := h.a.takeBatch()
	h.a.mu.Unlock()
	if len(b) != 1 || !b[0].rect.Overlaps(image.Rect(900, 600, 980, 614)) {
		t.Fatalf("first batch %v, want the newest change", b)
	}
	h.a.read(context.Background(), b)
	h.drain()
	for _, c := range h.rec.calls {
		for _, r := range c {
			if r.Dx() < 100 && r.Overlaps(image.Rect(100, 100, 180, 114)) {
				t.Fatalf("stale piece %v was read", r)
			}
		}
	}
	if st := h.a.Stats(); st.StaleDropped == 0 {
		t.Fatalf("nothing dropped: %+v", st)
	}
	h.wantKinds(event.Alert, event.Alert)
}

func TestAgentMinConfidence(t *testing.T) {
	h := newHarness(t)
	h.rec.conf = 0.3
	s := h.screen(0)
	put(s, image.Rect(100, 100, 180, 114), "Walmart")
	h.cap.set(0, s)
	h.step()
	h.drain()
	h.wantKinds()
	// Nothing was raised because the finding was below the floor, not
	// because OCR or matching never happened.
	if h.rec.nCalls() == 0 {
		t.Fatal("OCR never ran")
	}
	h.a.mu.Lock()
	found := h.a.displays[0].found
	h.a.mu.Unlock()
	if len(found) != 1 || found[0].Text != "Walmart" || found[0].Confidence != 0.3 {
		t.Fatalf("findings %+v, want Walmart at confidence 0.3", found)
	}
	// The same finding with the floor below it alerts.
	h.a.mu.Lock()
	h.a.tracker.MinConf = 0.25
	h.a.mu.Unlock()
	h.step()
	h.wantKinds(event.Alert)
}

func TestAgentNewRulesApplyWithoutOCR(t *testing.T) {
	h := newHarness(t)
	s := h.screen(0)
	put(s, image.Rect(100, 100, 180, 114), "Globex")
	h.cap.set(0, s)
	h.step()
	h.drain()
	h.wantKinds()
	calls := h.rec.nCalls()
	h.m.Store(Matcher(&fakeMatcher{terms: map[string]string{"Globex": "customers"}}))
	h.step()
	h.wantKinds(event.Alert)
	if h.rec.nCalls() != calls {
		t.Fatal("a rule change re-ran OCR")
	}
}

// Displays at negative offsets and of mixed sizes; boxes are display-local.
func TestAgentDisplaysAddedRemovedNegativeOffset(t *testing.T) {
	h := newHarness(t, Display{Index: 0, Bounds: image.Rect(0, 0, 1280, 720)})
	left := Display{Index: 1, Bounds: image.Rect(-1920, -200, 0, 880)}
	s := blank(1920, 1080)
	put(s, image.Rect(50, 60, 130, 74), "SECRET")
	h.cap.mu.Lock()
	h.cap.displays = append(h.cap.displays, left)
	h.cap.screens[1] = s
	h.cap.mu.Unlock()
	if err := h.a.refreshDisplays(false); err != nil {
		t.Fatal(err)
	}
	h.step()
	h.drain()
	h.wantKinds(event.Alert)
	if e := h.sink.last(); *e.Display != 1 || e.Box.X != 50 || e.Box.Y != 60 {
		t.Fatalf("alert on display %d at %v", *e.Display, e.Box)
	}
	h.cap.mu.Lock()
	h.cap.displays = h.cap.displays[:1]
	h.cap.mu.Unlock()
	if err := h.a.refreshDisplays(false); err != nil {
		t.Fatal(err)
	}
	h.wantKinds(event.Alert, event.Clear)
	// Resized: restarted, read again from scratch.
	h.cap.mu.Lock()
	h.cap.displays[0].Bounds = image.Rect(0, 0, 1920, 1080)
	h.cap.screens[0] = s
	h.cap.mu.Unlock()
	if err := h.a.refreshDisplays(false); err != nil {
		t.Fatal(err)
	}
	h.step()
	h.drain()
	h.wantKinds(event.Alert, event.Clear, event.Alert)
}

func TestAgentDisplaySelection(t *testing.T) {
	c := &fakeCapturer{displays: []Display{{Index: 0, Bounds: image.Rect(0, 0, 10, 10)}}}
	a := New(Config{Capturer: c, Recognizer: &fakeRecognizer{}, Display: 3})
	if err := a.Run(context.Background()); err == nil {
		t.Fatal("missing display 3 accepted")
	}
}

func TestAgentShutdownClosesIncidents(t *testing.T) {
	h := newHarness(t)
	s := h.screen(0)
	put(s, image.Rect(100, 100, 180, 114), "Walmart")
	h.cap.set(0, s)
	h.step()
	h.drain()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	h.wantKinds(event.Alert, event.Clear)
	if h.sink.last().ExposureMS == nil {
		t.Fatal("clear without exposure")
	}
}

// A change that deletes part of a word makes the rest be read again.
func TestAgentRereadsWhatIsLeftOfAChangedWord(t *testing.T) {
	h := newHarness(t)
	s := h.screen(0)
	put(s, image.Rect(100, 100, 300, 114), "SECRETXXXX")
	h.cap.set(0, s)
	h.step()
	h.drain()
	h.wantKinds()
	erase(s, image.Rect(100, 100, 300, 114))
	put(s, image.Rect(100, 100, 180, 114), "SECRET")
	h.cap.set(0, s)
	h.step()
	h.drain()
	h.wantKinds(event.Alert)
}

// Frame buffers are recycled, but never one that queued OCR still reads.
func TestAgentRecyclesOnlyUnreferencedFrames(t *testing.T) {
	h := newHarness(t)
	h.step()
	s := h.screen(0)
	put(s, image.Rect(100, 100, 180, 114), "Walmart")
	h.cap.set(0, s)
	h.step() // queued, not read
	for i := 0; i < 4; i++ {
		put(s, image.Rect(600, 100+i*30, 640, 114+i*30), "other")
		h.cap.set(0, s)
		h.step()
		h.step()
	}
	h.drain()
	h.wantKinds(event.Alert)
	if e := h.sink.last(); e.Box.X != 100 || e.Rule != "customers" {
		t.Fatalf("alert %+v read from an overwritten frame", e)
	}
}

// The first frame of a dense screen is read in batches; a notification that
// appears meanwhile is read before the rest of it.
func TestAgentNotificationOvertakesFirstRead(t *testing.T) {
	h := newHarness(t, Display{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080)})
	s := h.screen(0)
	for y := 10; y < 1000; y += 24 {
		for x := 10; x < 1800; x += 200 {
			put(s, image.Rect(x, y, x+150, y+12), "cell")
		}
	}
	h.cap.set(0, s)
	h.step()
	h.a.mu.Lock()
	first := h.a.takeBatch()
	h.a.mu.Unlock()
	h.a.read(context.Background(), first)
	if h.a.Pending() == 0 {
		t.Fatal("the dense first frame was read in one batch")
	}
	put(s, image.Rect(1700, 1030, 1780, 1044), "SECRET")
	h.cap.set(0, s)
	h.step()
	h.a.mu.Lock()
	next := h.a.takeBatch()
	h.a.mu.Unlock()
	if len(next) == 0 || !next[0].rect.Overlaps(image.Rect(1700, 1030, 1780, 1044)) {
		t.Fatalf("next batch %v is not the notification", next)
	}
	h.a.read(context.Background(), next)
	h.wantKinds(event.Alert)
}

// A dead X server fails every frame with a message that changes (the next
// reconnect attempt's delay): that is one error a minute, not one a frame,
// and its message is the capturer's, not prefixed a second time.
func TestAgentReportsAnErrorClassOnceAMinute(t *testing.T) {
	h := newHarness(t)
	errGone := errors.New("display server disconnected")
	n := 0
	h.cap.mu.Lock()
	h.cap.fail = func() error {
		n++
		return fmt.Errorf("capture display 0: %w: X server :9: %w (next reconnect attempt in %v)", errGone, errors.New("broken pipe"), time.Duration(n)*150*time.Millisecond)
	}
	h.cap.mu.Unlock()
	for range 10 {
		h.step()
	}
	h.wantKinds(event.Error)
	if m := h.sink.last().Message; !strings.HasPrefix(m, "capture display 0: display server disconnected") || strings.Count(m, "capture display") != 1 {
		t.Fatalf("error message %q: want the capturer's, once", m)
	}
	// Another kind of failure is news.
	h.cap.mu.Lock()
	h.cap.fail = func() error { return errors.New("capture display 0: unsupported pixel format") }
	h.cap.mu.Unlock()
	h.step()
	h.step()
	h.wantKinds(event.Error, event.Error)
	// After a minute the first one is reported again.
	h.cap.mu.Lock()
	h.cap.fail = func() error { n++; return fmt.Errorf("capture display 0: %w: retry in %dms", errGone, n) }
	h.cap.mu.Unlock()
	h.step()
	h.wantKinds(event.Error, event.Error)
	h.clk.add(time.Minute)
	h.step()
	h.wantKinds(event.Error, event.Error, event.Error)
}

// blockSink blocks in Emit until released: stdout piped to a reader that
// stopped reading.
type blockSink struct {
	release chan struct{}
	n       atomic.Int64
}

func (b *blockSink) Emit(event.Event) { b.n.Add(1); <-b.release }
func (b *blockSink) Close() error     { return nil }

// A sink that stops taking events must not stall capture, OCR or Stats
// (the presenter page's status): events are queued, dropped when the
// queue is full, and the drops counted.
func TestAgentSlowSinkStallsNothing(t *testing.T) {
	cp := &fakeCapturer{displays: []Display{{Index: 0, Bounds: image.Rect(0, 0, 240, 160)}}, screens: map[int]*image.RGBA{0: blank(240, 160)}}
	sink := &blockSink{release: make(chan struct{})}
	a := New(Config{
		Capturer: cp, Recognizer: &fakeRecognizer{}, Sink: sink, Display: -1, Interval: 10 * time.Millisecond,
		Rules:  func() Matcher { return &fakeMatcher{terms: map[string]string{"Walmart": "customers"}} },
		MaxCPU: 100, Grace: 10 * time.Millisecond,
		Salt:      []byte("s"),
		FullEvery: 10 * time.Millisecond, EventQueue: 8,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	// Alerts and clears while the sink is stuck in its first Emit.
	s := blank(240, 160)
	put(s, image.Rect(40, 40, 120, 54), "Walmart")
	waitFor(t, "the sink to get stuck", func() bool {
		cp.set(0, s)
		return sink.n.Load() > 0
	})
	frames := a.Stats().Frames
	waitFor(t, "frames to go on with the sink stuck", func() bool { return a.Stats().Frames > frames+5 })
	for i := 0; a.Stats().EventsDropped == 0; i++ {
		// Flip the item on and off: an alert and a clear each time.
		if i%2 == 0 {
			cp.set(0, blank(240, 160))
		} else {
			cp.set(0, s)
		}
		waitFor(t, "a frame", func() bool { return a.Stats().Frames > frames+5+i })
		if i > 100000 {
			t.Fatal("no event dropped with the sink stuck")
		}
	}
	close(sink.release)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds; a generous bound turns a hang into a
// failure (it measures nothing).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
