package agent

import (
	"context"
	"errors"
	"fmt"
	"github.com/demoguard/demoguard/scanner/feed"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"strings"
	"sync"
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
	// damaged is what the next step reports drawn (root coordinates).
	damaged []image.Rectangle
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
		h.a.frame(d, h.damaged)
	}
	h.a.out.Flush() // the events of this step reach the sink now, not in Run's goroutine
}

// take takes the next batch as the two lanes would if OCR were instant:
// the urgent lane's first.
func (h *harness) take() ([]*job, lane) {
	h.a.mu.Lock()
	defer h.a.mu.Unlock()
	for l := range lanes {
		if b, _ := h.a.takeBatch(l, h.clk.now()); len(b) > 0 {
			return b, l
		}
	}
	return nil, 0
}

func (h *harness) drain() {
	for {
		b, l := h.take()
		if len(b) == 0 {
			h.a.out.Flush()
			return
		}
		h.a.read(context.Background(), b, l)
	}
}

func (h *harness) screen(i int) *image.RGBA { return clone(h.cap.screens[i]) }

// show puts word at r on display 0, captures and reads it; it returns the
// screen for the test to change further.
func (h *harness) show(r image.Rectangle, word string) *image.RGBA {
	s := h.screen(0)
	put(s, r, word)
	h.cap.set(0, s)
	h.step()
	h.drain()
	return s
}

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
	s := h.show(image.Rect(900, 600, 980, 614), "Walmart")
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
	h.show(image.Rect(100, 300, 180, 314), "Walmart")
	calls := h.rec.nCalls()
	// Scroll up by 30 px (a multiple of the texture period keeps pixels equal).
	s := h.screen(0)
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

// Small changes are read oldest first (each is cheap; none may wait long),
// and work for a place that changed again before it was read is dropped.
func TestAgentDropsStaleWorkAndReadsSmallChangesInOrder(t *testing.T) {
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
	b, l := h.take()
	if len(b) != 1 || l != laneUrgent || !b[0].rect.Overlaps(image.Rect(100, 100, 200, 114)) {
		t.Fatalf("first batch %v (lane %d), want the older small change", b, l)
	}
	h.a.read(context.Background(), b, l)
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
	h.show(image.Rect(100, 100, 180, 114), "Walmart")
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
	h.show(image.Rect(100, 100, 180, 114), "Globex")
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
	// Resized: read again from scratch.
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

// A geometry change (xrandr --fb) where the item's pixels stay where they
// were: the incident goes on, no clear and no second alert; an item that
// the new geometry cuts off closes after the grace period.
func TestAgentIncidentSurvivesResize(t *testing.T) {
	h := newHarness(t, Display{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080)})
	s := h.screen(0)
	put(s, image.Rect(100, 100, 180, 114), "Walmart")
	put(s, image.Rect(1700, 900, 1780, 914), "SECRET")
	h.cap.set(0, s)
	h.step()
	h.drain()
	h.wantKinds(event.Alert, event.Alert)
	first := h.sink.events()
	// Shrink to 1280x720: Walmart stays, SECRET is cut off.
	small := blank(1280, 720)
	put(small, image.Rect(100, 100, 180, 114), "Walmart")
	h.cap.mu.Lock()
	h.cap.displays[0].Bounds = image.Rect(0, 0, 1280, 720)
	h.cap.screens[0] = small
	h.cap.mu.Unlock()
	if err := h.a.refreshDisplays(false); err != nil {
		t.Fatal(err)
	}
	h.step() // the whole new geometry is pending: both held
	h.wantKinds(event.Alert, event.Alert)
	h.drain()
	for i := 0; i < 6; i++ { // past the grace period
		h.step()
		h.drain()
	}
	h.wantKinds(event.Alert, event.Alert, event.Clear)
	evs := h.sink.events()
	gone := evs[len(evs)-1]
	if gone.Rule != "classification" {
		t.Fatalf("cleared %s, want the cut-off SECRET", gone.Rule)
	}
	for _, e := range first {
		if e.Rule == "customers" && e.Incident == gone.Incident {
			t.Fatal("the Walmart incident was closed")
		}
	}
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
	h.show(image.Rect(100, 100, 180, 114), "Walmart")
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
	s := h.show(image.Rect(100, 100, 300, 114), "SECRETXXXX")
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
	first, l := h.take()
	if l != laneBulk {
		t.Fatalf("a dense first frame read in lane %d", l)
	}
	h.a.read(context.Background(), first, l)
	if h.a.Pending() == 0 {
		t.Fatal("the dense first frame was read in one batch")
	}
	put(s, image.Rect(1700, 1030, 1780, 1044), "SECRET")
	h.cap.set(0, s)
	h.step()
	next, l := h.take()
	if len(next) == 0 || l != laneUrgent || !next[0].rect.Overlaps(image.Rect(1700, 1030, 1780, 1044)) {
		t.Fatalf("next batch %v (lane %d) is not the notification", next, l)
	}
	h.a.read(context.Background(), next, l)
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

// Run and batch bounds are shares of the display, not of 1920×1080: on a
// 1366×768 screen a dense first frame is read in batches of at most a
// sixth of it, and a 4K one is not cut into more batches than a 1080p one.
func TestAgentBatchesFollowDisplaySize(t *testing.T) {
	batches := func(w, h int) (n int, maxArea int) {
		t.Helper()
		hs := newHarness(t, Display{Index: 0, Bounds: image.Rect(0, 0, w, h)})
		s := hs.screen(0)
		// Lines of words over the whole screen, scaled with it, each its
		// own (identical lines are read once: see resolve).
		lh, gap := h/54, h/54
		for i, y := 0, gap; y+lh < h-gap; i, y = i+1, y+lh+gap {
			put(s, image.Rect(w/20, y, w-w/20, y+lh), fmt.Sprintf("filler%d", i%40))
		}
		hs.cap.set(0, s)
		hs.step()
		before := hs.rec.nCalls()
		hs.drain()
		hs.rec.mu.Lock()
		defer hs.rec.mu.Unlock()
		for _, rects := range hs.rec.calls[before:] {
			a := 0
			for _, r := range rects {
				a += r.Dx() * r.Dy()
			}
			maxArea = max(maxArea, a)
		}
		return len(hs.rec.calls) - before, maxArea
	}
	n768, max768 := batches(1366, 768)
	if limit := 1366 * 768 / batchShare; max768 > limit+limit/4 {
		t.Errorf("1366x768: a batch of %d px, want about %d at most", max768, limit)
	}
	n1080, _ := batches(1920, 1080)
	n4k, _ := batches(3840, 2160)
	if n768 < 2 || n4k > n1080+1 || n768 > n1080+1 {
		t.Errorf("batches: %d at 1366x768, %d at 1920x1080, %d at 3840x2160; want about the same", n768, n1080, n4k)
	}
}

// TestAgentQueuedReadBesideChangingArea: a read under way of a run of
// lines, one of them in an area that changes on every frame (a terminal at
// the edge of a document), is not dropped when that area changes: only
// the changed piece is taken out, and the rest is read. (When the whole
// run was dropped, every read of the document's lines beside a scrolling
// terminal was dropped and queued again, for ever.)
func TestAgentQueuedReadBesideChangingArea(t *testing.T) {
	h := newHarness(t)
	obs := &feedObserver{read: map[uint64]bool{}}
	h.a.cfg.Feed, h.a.cfg.FeedDisplay = obs, 0
	s := h.screen(0)
	put(s, image.Rect(100, 100, 300, 114), "SECRET")
	term := image.Rect(303, 40, 480, 180) // a terminal, just to the right
	dark := color.RGBA{24, 26, 30, 255}
	draw.Draw(s, term, image.NewUniform(dark), image.Point{}, draw.Src)
	// The terminal's first line is read in one run with the word.
	ink(s, image.Rect(306, 100, 470, 110), wordColor("log"), dark)
	h.cap.set(0, s)
	h.step()
	for i := range 5 {
		b, l := h.take() // OCR starts...
		// ...the terminal's lines change (it scrolls: a change taller than
		// a line, next to the word, inside the read's margin)...
		draw.Draw(s, term, image.NewUniform(dark), image.Point{}, draw.Src)
		for k := range 5 {
			ink(s, image.Rect(306, 52+k*24, 470, 62+k*24), wordColor(fmt.Sprintf("log%d", i+k)), dark)
		}
		h.cap.set(0, s)
		h.step()
		if len(b) > 0 { // ...and OCR finishes.
			h.a.read(context.Background(), b, l)
		}
	}
	// A dropped read is not lost to alerts (lines whose pixels did not
	// change are kept), but the audience feed learns that a line is read
	// only from a read that was not dropped.
	if !obs.read[obs.keyAt(image.Rect(100, 100, 300, 114))] {
		t.Error("the feed was never told the line beside the terminal is read")
	}
	h.wantKinds(event.Alert)
}

// feedObserver records what the agent tells the audience feed.
type feedObserver struct {
	mu     sync.Mutex
	pieces []feed.Piece
	read   map[uint64]bool
}

func (o *feedObserver) Frame(_ *image.RGBA, _ time.Time, regions []feed.Region) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range regions {
		o.pieces = append(o.pieces, r.Pieces...)
	}
}

func (o *feedObserver) Read(keys []uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, k := range keys {
		o.read[k] = true
	}
}

func (o *feedObserver) Matched([]image.Rectangle, image.Point) {}

// keyAt is the key of the first piece given that holds r.
func (o *feedObserver) keyAt(r image.Rectangle) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range o.pieces {
		if r.In(p.Rect) {
			return p.Key
		}
	}
	return 0
}

// TestAgentKeptReadsDoNotPinFrames: reads kept across frames (lines that
// scroll faster than they are read) hold a copy of their own pixels, not
// the whole frame each was cut from: memory stays bounded while a screen
// keeps moving and OCR lags.
func TestAgentKeptReadsDoNotPinFrames(t *testing.T) {
	h := newHarness(t)
	s := h.screen(0)
	term := image.Rect(300, 100, 900, 400)
	dark := color.RGBA{24, 26, 30, 255}
	for i := range 12 { // scroll a line each step; nothing is read meanwhile
		draw.Draw(s, term, image.NewUniform(dark), image.Point{}, draw.Src)
		for k := range 10 {
			y := term.Min.Y + 10 + k*30 // a multiple of 3: ink's texture moves with the line
			word := fmt.Sprintf("line%d", i+k)
			if i+k == 14 {
				word = "SECRET"
			}
			ink(s, image.Rect(term.Min.X+10, y, term.Max.X-10, y+12), wordColor(word), dark)
		}
		h.cap.set(0, s)
		h.step()
	}
	h.a.mu.Lock()
	frames := map[*image.RGBA]bool{}
	pieces := 0
	for _, ds := range h.a.displays {
		for j := range ds.pending {
			pieces += len(j.pieces)
			if j.img.Rect.Dx() == 1280 { // a whole frame
				frames[j.img] = true
			}
		}
	}
	// And a line that moved on is not queued again on every frame: 10
	// lines, 11 of them new since, each queued once.
	if pieces > 21 {
		t.Errorf("%d pieces queued for 21 distinct lines", pieces)
	}
	t.Logf("pending reads hold %d whole frames", len(frames))
	if len(frames) > 2 {
		t.Errorf("queued reads hold %d whole frames", len(frames))
	}
	h.a.mu.Unlock()
	// The reads, once done, put each line where it is now: the secret,
	// which appeared and moved on unread, is found. (An area that keeps
	// changing is read once every hotAge.)
	for range 20 {
		h.clk.add(2 * hotAge)
		h.drain()
	}
	h.wantKinds(event.Alert)
}
