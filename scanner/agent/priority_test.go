package agent

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/internal/lineread"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// putText draws text in word's colour (the fake recognizer reads the word
// from the colour) with real glyph shapes, for likely. It returns the ink
// box's line.
func putText(img *image.RGBA, x, y int, text, word string) image.Rectangle {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(wordColor(word)), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(text)
	return image.Rect(x, y-11, x+7*len(text), y+3)
}

func TestLikelyRanksFiguresAndNamesOverProse(t *testing.T) {
	high := []string{"$4,200,000", "CONFIDENTIAL", "AKIA4QX7ZP2M", "Contoso Pharmaceuticals 2,450,000", "Invoice 88213 Walmart"}
	low := []string{"the migration was finished in may", "we moved every service over to the new cluster", "see you in the standup tomorrow"}
	score := func(s string) float64 {
		img := blank(400, 40)
		r := putText(img, 10, 25, s, "x")
		return lineread.Likely(img, r.Inset(-2))
	}
	minHigh, maxLow := 1.0, 0.0
	for _, s := range high {
		v := score(s)
		t.Logf("%.2f %q", v, s)
		minHigh = min(minHigh, v)
	}
	for _, s := range low {
		v := score(s)
		t.Logf("%.2f %q", v, s)
		maxLow = max(maxLow, v)
	}
	if minHigh <= maxLow {
		t.Fatalf("figures and names rate %.2f at least, prose up to %.2f: not ranked first", minHigh, maxLow)
	}
	if v := lineread.Likely(blank(100, 30), image.Rect(0, 0, 100, 30)); v != 0 {
		t.Fatalf("blank piece rated %v", v)
	}
}

func TestHeat(t *testing.T) {
	h := newHeat(image.Pt(1920, 1080))
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	term, card := image.Rect(0, 0, 640, 480), image.Rect(1500, 900, 1900, 1000)
	// A notification appears and goes, twice, a second apart: never hot.
	for i, at := range []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second} {
		h.mark(card, t0.Add(at))
		if h.hot(card, t0.Add(at)) {
			t.Fatalf("card change %d: hot", i)
		}
	}
	// A log scrolling twice a second: hot from its fourth change, and
	// the same frame marked twice counts once.
	for i := range 4 {
		at := t0.Add(time.Duration(i) * 500 * time.Millisecond)
		h.mark(term, at)
		h.mark(term, at)
		if got, want := h.hot(term, at), i == 3; got != want {
			t.Fatalf("scroll %d: hot %v, want %v", i, got, want)
		}
	}
	if h.hot(card.Union(term), t0.Add(1500*time.Millisecond)) {
		t.Fatal("an area mostly calm counted hot")
	}
	if h.hot(term, t0.Add(1500*time.Millisecond+hotWindow+time.Millisecond)) {
		t.Fatal("still hot after it stopped changing")
	}
}

// A big change (a window switched to) is read likeliest lines first.
func TestAgentBigReadLikelyLinesFirst(t *testing.T) {
	h := newHarness(t, Display{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080)})
	h.step()
	h.drain()
	s := h.screen(0)
	for y := 40; y < 1040; y += 30 {
		putText(s, 40, y, "we moved every service over to the new cluster and it went well", "prose")
		putText(s, 1000, y, "notes from the weekly review of the platform team", "prose")
	}
	draw.Draw(s, image.Rect(1000, 1000, 1900, 1045), image.NewUniform(color.White), image.Point{}, draw.Src)
	amount := putText(s, 1000, 1030, "TOTAL USD 4,200,000", "SECRET")
	h.cap.set(0, s)
	h.step()
	b, l := h.take()
	if l != laneBulk {
		t.Fatalf("a window switch read in lane %d", l)
	}
	found := false
	for _, j := range b {
		found = found || j.rect.Overlaps(amount)
	}
	if !found || h.a.Pending() == 0 {
		t.Fatalf("first batch of the switch (%d jobs, %d pieces left) does not hold the amount line", len(b), h.a.Pending())
	}
}

// A notification while an area keeps changing (a scrolling log): the log's
// reads are hot and wait; the notification is read first, in its own lane;
// the log is still read once its content has waited hotAge.
func TestAgentNotificationNotStarvedByChangingArea(t *testing.T) {
	h := newHarness(t, Display{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080)})
	h.step()
	h.drain()
	s := h.screen(0)
	term := image.Rect(0, 0, 900, 600)
	scroll := func(i int) {
		draw.Draw(s, term, image.NewUniform(color.White), image.Point{}, draw.Src)
		for k := 0; k < 20; k++ {
			putText(s, 10, 20+k*28, fmt.Sprintf("12:00:%02d GET /api/orders/%d 200 ok", (i+k)%60, i+k), "log")
		}
	}
	for i := range 6 {
		scroll(i)
		h.cap.set(0, s)
		h.step()
	}
	h.drain() // the log so far is read (and cached)
	h.a.mu.Lock()
	hot := h.a.stats.HotJobs
	h.a.mu.Unlock()
	if hot == 0 {
		t.Fatal("an area changing every frame was not recognised as hot")
	}
	// A new window appears beside it, and then a notification.
	// (A window has a background of its own: it changes as one region.)
	draw.Draw(s, image.Rect(980, 680, 1700, 990), image.NewUniform(color.RGBA{236, 238, 240, 255}), image.Point{}, draw.Src)
	for y := 700; y < 980; y += 30 {
		putText(s, 1000, y, "Quarterly review notes for the platform group", "prose")
		putText(s, 1400, y, "and a second column of the same window", "prose")
	}
	h.cap.set(0, s)
	h.step()
	card := putText(s, 1500, 1060, "Walmart", "Walmart")
	scroll(7)
	h.cap.set(0, s)
	h.step()
	b, l := h.take()
	if l != laneUrgent || len(b) != 1 || !b[0].rect.Overlaps(card) {
		t.Fatalf("first batch %v (lane %d), want the notification", b, l)
	}
	h.a.read(t.Context(), b, l)
	h.wantKinds(event.Alert)
	// Then the new window, before the log that keeps changing...
	b, l = h.take()
	if l != laneBulk || len(b) == 0 || b[0].class != classBig || !b[0].rect.Overlaps(image.Rect(1000, 690, 1400, 1000)) {
		t.Fatalf("next batch %v (lane %d), want the new window", b, l)
	}
	// ...until the log's unread lines have waited hotAge: then they go
	// before a window that appears after that.
	h.clk.add(hotAge)
	for y := 40; y < 600; y += 30 {
		putText(s, 1000, y, "Another window with a long paragraph of notes", "prose")
	}
	h.cap.set(0, s)
	h.step()
	b, l = h.take()
	if l != laneBulk || len(b) == 0 || b[0].class != classHot || !b[0].rect.Overlaps(term) {
		t.Fatalf("batch %v (lane %d), want the log's aged lines", b, l)
	}
}

type fakeDamage struct{ rects []image.Rectangle }

func (f *fakeDamage) Take() bool                 { return true }
func (f *fakeDamage) Changed() <-chan struct{}   { return nil }
func (f *fakeDamage) Damaged() []image.Rectangle { return f.rects }

// Drawing in a calm area is captured early; drawing where the screen keeps
// changing (and specks) waits for the interval.
func TestFreshDamage(t *testing.T) {
	h := newHarness(t, Display{Index: 0, Bounds: image.Rect(1920, 0, 3840, 1080)})
	fd := &fakeDamage{}
	h.a.cfg.Changes = fd
	video := image.Rect(600, 200, 1240, 560)
	h.a.mu.Lock()
	for i := range hotChanges {
		h.a.displays[0].heat.mark(video, h.clk.now().Add(time.Duration(i-hotChanges)*100*time.Millisecond))
	}
	h.a.displays[0].freshDamage([]image.Rectangle{video.Add(image.Pt(1920, 0))}, h.clk.now().Add(-100*time.Millisecond))
	h.a.mu.Unlock()
	for _, tt := range []struct {
		rects []image.Rectangle
		want  bool
	}{
		{nil, false},
		{[]image.Rectangle{video.Add(image.Pt(1920, 0))}, false},                                   // the video's next frame
		{[]image.Rectangle{image.Rect(3400, 900, 3800, 1000)}, true},                               // a notification
		{[]image.Rectangle{video.Add(image.Pt(1920, 0)), image.Rect(3400, 900, 3800, 1000)}, true}, // both
		{[]image.Rectangle{image.Rect(3400, 900, 3402, 920)}, false},                               // a caret
		{[]image.Rectangle{image.Rect(2900, 400, 3100, 460)}, true},                                // a notification over the video
		{[]image.Rectangle{image.Rect(2900, 400, 2910, 420)}, false},                               // a glyph typed over it
		{[]image.Rectangle{image.Rect(0, 0, 500, 500)}, false},                                     // not on the watched display
	} {
		fd.rects = tt.rects
		if got := h.a.drawnCalm(); got != tt.want {
			t.Errorf("damage %v: fresh %v, want %v", tt.rects, got, tt.want)
		}
	}
}

// playingVideo is a 1080p display on which a video has played long enough
// to be hot; each frame calls each(h, video) before it is captured.
func playingVideo(t *testing.T, each func(h *harness, video image.Rectangle)) (*harness, *image.RGBA, image.Rectangle) {
	t.Helper()
	h := newHarness(t, Display{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080)})
	h.step()
	h.drain()
	s := h.screen(0)
	video := image.Rect(200, 100, 1700, 950)
	for n := range hotChanges + 1 {
		noise(s, video, n)
		if each != nil {
			each(h, video)
		}
		h.cap.set(0, s)
		h.step()
	}
	return h, s, video
}

// noise paints a video frame: no colour the fake recognizer reads as a word.
func noise(img *image.RGBA, r image.Rectangle, n int) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x*7 + y*3 + n*31), uint8(60 + (x+n)%150), uint8(40 + (y*n)%200), 255})
		}
	}
}

// A notification over a playing video: every read of the video's area is
// overtaken by its next frame, yet the card's text, whose pixels stay, is
// known and alerted, and stays known while the video plays on.
func TestAgentNotificationOverPlayingVideo(t *testing.T) {
	h, s, video := playingVideo(t, nil)
	card := image.Rect(1200, 800, 1600, 880)
	frame := func(n int) {
		noise(s, video, n)
		draw.Draw(s, card, image.NewUniform(color.White), image.Point{}, draw.Src)
		put(s, image.Rect(1250, 830, 1330, 844), "Walmart")
		h.cap.set(0, s)
		h.step()
	}
	frame(10)
	b, l := h.take()
	if len(b) == 0 || l != laneBulk || b[0].class != classHot {
		t.Fatalf("batch %v (lane %d): want the video's hot area", b, l)
	}
	frame(11) // the video moves on before the read is done
	h.a.read(t.Context(), b, l)
	h.a.out.Flush()
	h.wantKinds(event.Alert)
	for n := 12; n < 20; n++ {
		frame(n)
		h.a.mu.Lock()
		known := false
		for _, l := range h.a.displays[0].lines {
			for _, w := range l.Words {
				known = known || w.Text == "Walmart"
			}
		}
		h.a.mu.Unlock()
		if !known {
			t.Fatalf("video frame %d: the card's unchanged line is no longer known", n)
		}
	}
	h.wantKinds(event.Alert) // still open: no clear while the card stays
	// The card goes; the video plays on (its area always pending): the
	// incident closes after the grace period, and the next card at the
	// same place is a new alert, not swallowed by the old one.
	for n := 20; n < 28; n++ {
		noise(s, video, n)
		h.cap.set(0, s)
		h.step()
	}
	h.wantKinds(event.Alert, event.Clear)
	frame(30)
	b, l = h.take()
	h.a.read(t.Context(), b, l)
	h.a.out.Flush()
	h.wantKinds(event.Alert, event.Clear, event.Alert)
}

// Where the X server says a notification was drawn over a playing video,
// its lines are read at once in the urgent lane, not with the video.
func TestAgentDrawnOverVideoReadUrgently(t *testing.T) {
	h, s, video := playingVideo(t, func(h *harness, video image.Rectangle) { h.damaged = []image.Rectangle{video} })
	h.drain()
	card := image.Rect(1200, 800, 1600, 880)
	noise(s, video, 9)
	draw.Draw(s, card, image.NewUniform(color.White), image.Point{}, draw.Src)
	put(s, image.Rect(1250, 830, 1330, 844), "Walmart")
	h.damaged = []image.Rectangle{video, card, image.Rect(300, 300, 302, 320)} // and a caret
	h.cap.set(0, s)
	h.step()
	b, l := h.take()
	if l != laneUrgent || len(b) != 1 || !b[0].rect.In(card) {
		t.Fatalf("first batch %v (lane %d): want the card's lines alone", b, l)
	}
	h.a.read(t.Context(), b, l)
	h.wantKinds(event.Alert)
	// The card drawn again a moment later (a redraw) is not news.
	noise(s, video, 10)
	h.damaged = []image.Rectangle{video, card}
	h.cap.set(0, s)
	h.step()
	if b, l := h.take(); l == laneUrgent && len(b) > 0 {
		t.Fatalf("a rectangle drawn again read urgently: %v", b)
	}
}

// An area that keeps changing is read about once every hotAge, not on
// every frame: a video must not take every worker and the whole budget.
func TestAgentHotAreaReadOnceAnInterval(t *testing.T) {
	h, s, video := playingVideo(t, nil)
	h.drain() // reads the video's area now
	noise(s, video, 20)
	h.cap.set(0, s)
	h.step() // 250 ms later
	h.a.mu.Lock()
	b, retry := h.a.takeBatch(laneBulk, h.clk.now())
	h.a.mu.Unlock()
	if len(b) != 0 || retry <= 0 || retry > hotAge {
		t.Fatalf("hot area read again after 250 ms: batch %d, retry in %v", len(b), retry)
	}
	h.clk.add(retry)
	if b, l := h.take(); len(b) == 0 || l != laneBulk || b[0].class != classHot {
		t.Fatalf("hot area not read after %v: %v (lane %d)", hotAge, b, l)
	}
}
