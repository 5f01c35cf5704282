package feed

import (
	"image"
	"image/color"
	"testing"
	"time"
)

// recSink records copies of what the feed writes.
type recSink struct {
	frames []*image.RGBA
	pts    []time.Duration
	refuse bool
}

func (s *recSink) Write(img *image.RGBA, pts time.Duration) bool {
	if s.refuse {
		return false
	}
	c := image.NewRGBA(img.Rect)
	copy(c.Pix, img.Pix)
	s.frames = append(s.frames, c)
	s.pts = append(s.pts, pts)
	return true
}

func (s *recSink) lastFrame(t *testing.T) *image.RGBA {
	t.Helper()
	if len(s.frames) == 0 {
		t.Fatal("nothing written")
	}
	return s.frames[len(s.frames)-1]
}

const W, H = 320, 200

var (
	base    = color.RGBA{230, 230, 225, 255}
	ink     = color.RGBA{20, 20, 20, 255}
	cardBg  = color.RGBA{40, 44, 52, 255}
	cardInk = color.RGBA{240, 240, 240, 255}
)

// screen is a test screen: a background with "text lines" (stripes) whose
// keys the test chooses, standing in for the agent's pieces.
type screen struct {
	img    *image.RGBA
	pieces []Piece
}

func newScreen() *screen {
	s := &screen{img: image.NewRGBA(image.Rect(0, 0, W, H))}
	fill(s.img, s.img.Rect, base)
	for i := 0; i < 5; i++ {
		r := image.Rect(10, 10+i*20, 200, 22+i*20)
		text(s.img, r, ink)
		s.pieces = append(s.pieces, Piece{Rect: r, Key: uint64(100 + i)})
	}
	return s
}

// text draws glyph-like strokes (2 px bars, 2 px apart) in piece r, leaving
// a 2 px margin as change.Lines does.
func text(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for x := r.Min.X + 2; x+2 <= r.Max.X-2; x += 4 {
		fill(img, image.Rect(x, r.Min.Y+2, x+2, r.Max.Y-2), c)
	}
}

func (s *screen) clone() *screen {
	c := &screen{img: image.NewRGBA(s.img.Rect), pieces: append([]Piece(nil), s.pieces...)}
	copy(c.img.Pix, s.img.Pix)
	return c
}

// card draws a card at r with two lines keyed k1, k2 and returns its region.
func (s *screen) card(r image.Rectangle, k1, k2 uint64) Region {
	fill(s.img, r, cardBg)
	l1 := image.Rect(r.Min.X+8, r.Min.Y+8, r.Max.X-8, r.Min.Y+18)
	l2 := image.Rect(r.Min.X+8, r.Min.Y+24, r.Max.X-8, r.Min.Y+34)
	text(s.img, l1, cardInk)
	text(s.img, l2, cardInk)
	return Region{Rect: r, Pieces: []Piece{{Rect: l1, Key: k1}, {Rect: l2, Key: k2}}}
}

type harness struct {
	t    *testing.T
	f    *Feed
	sink *recSink
	now  time.Time
}

func newHarness(t *testing.T, cfg Config) *harness {
	h := &harness{t: t, sink: &recSink{}, now: time.Unix(1000, 0)}
	cfg.Out = h.sink
	cfg.Now = func() time.Time { return h.now }
	cfg.Start = h.now
	if cfg.Delay == 0 {
		cfg.Delay = 150 * time.Millisecond
	}
	h.f = New(cfg)
	return h
}

// advance moves the clock by d in output-frame steps, ticking each.
func (h *harness) advance(d time.Duration) {
	step := time.Second / time.Duration(h.f.cfg.FPS)
	for end := h.now.Add(d); h.now.Before(end); {
		h.now = h.now.Add(step)
		h.f.tick(h.now)
	}
}

// first puts s in as the first frame and reads it clean.
func (h *harness) first(s *screen) {
	h.f.Frame(s.img, h.now, []Region{{Rect: s.img.Rect, Pieces: s.pieces}})
	keys := make([]uint64, len(s.pieces))
	for i, p := range s.pieces {
		keys[i] = p.Key
	}
	h.f.Read(keys)
	h.f.Matched(nil, image.Point{})
	h.advance(300 * time.Millisecond)
}

func sameArea(a, b *image.RGBA, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				return false
			}
		}
	}
	return true
}

func TestCheckingUntilFirstCompleteRead(t *testing.T) {
	h := newHarness(t, Config{})
	s := newScreen()
	h.f.Frame(s.img, h.now, []Region{{Rect: s.img.Rect, Pieces: s.pieces}})
	h.f.Read([]uint64{100, 101, 102, 103}) // one line still unread
	h.f.Matched(nil, image.Point{})
	h.advance(time.Second)
	chk := plainChecking(W, H)
	for i, fr := range h.sink.frames {
		if !sameArea(fr, chk, fr.Rect) {
			t.Fatalf("frame %d is not the checking frame before the screen was read", i)
		}
	}
	if !h.f.Stats().Checking {
		t.Error("stats say not checking")
	}
	h.f.Read([]uint64{104})
	h.f.Matched(nil, image.Point{})
	h.advance(100 * time.Millisecond)
	if !sameArea(h.sink.lastFrame(t), s.img, s.img.Rect) {
		t.Error("screen read completely but not shown")
	}
}

// TestCardHeldThenCovered: a card appears; until it is read the audience
// sees the screen as before; then the card with the finding covered, and
// never the finding.
func TestCardHeldThenCovered(t *testing.T) {
	for _, late := range []bool{false, true} {
		h := newHarness(t, Config{})
		s := newScreen()
		h.first(s)
		s2 := s.clone()
		cr := image.Rect(150, 100, 300, 150)
		rg := s2.card(cr, 900, 901)
		h.f.Frame(s2.img, h.now, []Region{rg})
		n0 := len(h.sink.frames)
		finding := image.Rect(160, 124, 220, 134) // part of line 2
		if late {
			h.advance(400 * time.Millisecond) // read after the frame was due: held
			for _, fr := range h.sink.frames[n0:] {
				for _, pc := range rg.Pieces {
					if !sameArea(fr, s.img, pc.Rect) {
						t.Fatal("unread line of the card shown")
					}
				}
			}
			if h.f.Stats().Held != 3 || h.f.Stats().HeldFrames == 0 { // see TestPendingPolicies
				t.Errorf("stats: %+v", h.f.Stats())
			}
		} else {
			h.advance(50 * time.Millisecond)
		}
		h.f.Read([]uint64{900, 901})
		h.f.Matched([]image.Rectangle{finding}, image.Point{})
		h.advance(300 * time.Millisecond)
		last := h.sink.lastFrame(t)
		for _, fr := range h.sink.frames[n0:] {
			if sameArea(fr, s2.img, finding) {
				t.Fatalf("late=%v: finding shown", late)
			}
		}
		if fr := last.RGBAAt(finding.Min.X+5, finding.Min.Y+5); fr != coverFill {
			t.Errorf("late=%v: finding not covered black: %v", late, fr)
		}
		// The rest of the card is shown as captured.
		if !sameArea(last, s2.img, image.Rect(cr.Min.X, cr.Min.Y, cr.Max.X, cr.Min.Y+18)) {
			t.Errorf("late=%v: clean line of the card not shown", late)
		}
		if !sameArea(last, s.img, image.Rect(0, 0, 140, H)) {
			t.Errorf("late=%v: unchanged area differs", late)
		}
		if h.f.Stats().Covered != 1 {
			t.Errorf("covered = %d", h.f.Stats().Covered)
		}
		// The card closes: the screen returns to base, read (cache hits).
		back := &screen{img: s.img, pieces: nil}
		h.f.Frame(back.img, h.now, []Region{{Rect: cr}})
		h.advance(300 * time.Millisecond)
		if !sameArea(h.sink.lastFrame(t), s.img, s.img.Rect) {
			t.Errorf("late=%v: the screen did not return to base after the card closed", late)
		}
	}
}

// TestFindingCoversFramesCapturedBefore: content shown clean whose verdict
// turns into a finding (a rule reload) is covered in the frames still in
// the delay line, not only in later ones.
func TestFindingCoversFramesCapturedBefore(t *testing.T) {
	h := newHarness(t, Config{})
	s := newScreen()
	h.first(s)
	s2 := s.clone()
	rg := s2.card(image.Rect(150, 100, 300, 150), 700, 701)
	h.f.Frame(s2.img, h.now, []Region{rg})
	h.f.Read([]uint64{700, 701})
	h.f.Matched(nil, image.Point{}) // clean at first
	h.advance(33 * time.Millisecond)
	// A later frame (nothing to do with the card) and then the verdict.
	s3 := s2.clone()
	fill(s3.img, image.Rect(0, 180, 20, 190), ink)
	h.f.Frame(s3.img, h.now, []Region{{Rect: image.Rect(0, 180, 20, 190)}})
	box := rg.Pieces[0].Rect
	h.f.Matched([]image.Rectangle{box}, image.Point{})
	n0 := len(h.sink.frames)
	h.advance(400 * time.Millisecond)
	for i, fr := range h.sink.frames[n0:] {
		if sameArea(fr, s2.img, box) {
			t.Fatalf("frame %d shows the line found after its capture", i)
		}
	}
}

func TestPendingPolicies(t *testing.T) {
	for _, pol := range []Pending{PendingBlur, PendingShow} {
		h := newHarness(t, Config{Pending: pol})
		s := newScreen()
		h.first(s)
		s2 := s.clone()
		cr := image.Rect(150, 100, 300, 150)
		h.f.Frame(s2.img, h.now, []Region{s2.card(cr, 600, 601)})
		h.advance(300 * time.Millisecond)
		last := h.sink.lastFrame(t)
		switch pol {
		case PendingShow:
			if !sameArea(last, s2.img, cr) {
				t.Error("show: unread card not shown")
			}
		case PendingBlur:
			if sameArea(last, s2.img, cr) || sameArea(last, s.img, cr) {
				t.Error("blur: card shown as captured or held")
			}
			// Blurred: the sharp edge between a text line and the card is gone.
			a, b := last.RGBAAt(200, 117), last.RGBAAt(200, 120)
			if int(b.R)-int(a.R) > 60 {
				t.Errorf("blur: edge still sharp: %v vs %v", a, b)
			}
		}
		// The card's two lines, and the line of the screen just above the
		// card (what is left of it beside the card), within a line of them.
		if h.f.Stats().Held != 3 {
			t.Errorf("%v: held = %d", pol, h.f.Stats().Held)
		}
	}
}

// TestDelayLineMemoryCapped: frames captured faster than they are due never
// allocate more than the cap; changes of dropped frames still reach the
// feed.
func TestDelayLineMemoryCapped(t *testing.T) {
	h := newHarness(t, Config{Delay: 150 * time.Millisecond, FPS: 30})
	s := newScreen()
	h.first(s)
	cur := s.clone()
	for i := 0; i < 40; i++ {
		r := image.Rect(220+i%10*8, 150, 228+i%10*8, 158)
		fill(cur.img, r, color.RGBA{uint8(i * 5), 0, 0, 255})
		h.f.Frame(cur.img, h.now, []Region{{Rect: r}})
		h.now = h.now.Add(time.Millisecond)
	}
	if h.f.nbuf > h.f.MaxFrames() {
		t.Errorf("%d buffers, cap %d", h.f.nbuf, h.f.MaxFrames())
	}
	if h.f.Stats().Lost == 0 {
		t.Error("no frame counted lost")
	}
	h.advance(300 * time.Millisecond)
	if !sameArea(h.sink.lastFrame(t), cur.img, cur.img.Rect) {
		t.Error("changes of lost frames missing from the feed")
	}
	if want := 5 + 3; h.f.MaxFrames() != want { // ceil(150 ms × 30 fps) frames due, one coming in, one shown, one spare
		t.Errorf("MaxFrames %d, want %d", h.f.MaxFrames(), want)
	}
}

func TestDelayAndTimestamps(t *testing.T) {
	h := newHarness(t, Config{Delay: 200 * time.Millisecond, FPS: 10})
	s := newScreen()
	h.first(s)
	s2 := s.clone()
	cr := image.Rect(150, 100, 300, 150)
	rg := s2.card(cr, 500, 501)
	rg.Pieces[0].Read, rg.Pieces[1].Read = true, true
	at := h.now
	h.f.Frame(s2.img, at, rg.wrap())
	h.f.Matched(nil, image.Point{})
	n0 := len(h.sink.frames)
	h.advance(400 * time.Millisecond)
	for i, fr := range h.sink.frames[n0:] {
		shows := sameArea(fr, s2.img, cr)
		pts := h.sink.pts[n0+i]
		captured := h.f.cfg.Start.Add(pts)
		if shows != !captured.Before(at) {
			t.Errorf("frame pts %v (capture time %v after the card) shows card=%v", pts, captured.Sub(at), shows)
		}
	}
	for i := 1; i < len(h.sink.pts); i++ {
		if d := h.sink.pts[i] - h.sink.pts[i-1]; d != 100*time.Millisecond {
			t.Fatalf("pts step %v", d)
		}
	}
}

func (r Region) wrap() []Region { return []Region{r} }

func TestPointerDelayed(t *testing.T) {
	cur := image.NewRGBA(image.Rect(0, 0, 4, 4))
	fill(cur, cur.Rect, color.RGBA{255, 0, 0, 255})
	p := &fakePointer{img: cur}
	h := newHarness(t, Config{Pointer: p, DrawPointer: DrawPointer, Origin: image.Pt(1000, 0)})
	s := newScreen()
	p.pos = image.Pt(1050, 150)
	h.first(s)
	if got := h.sink.lastFrame(t).RGBAAt(51, 151); got != (color.RGBA{255, 0, 0, 255}) {
		t.Fatalf("pointer not drawn: %v", got)
	}
	p.pos = image.Pt(1250, 150)
	h.advance(100 * time.Millisecond) // less than the delay: still the old place
	if got := h.sink.lastFrame(t).RGBAAt(51, 151); got != (color.RGBA{255, 0, 0, 255}) {
		t.Error("pointer moved before the delay")
	}
	h.advance(100 * time.Millisecond)
	last := h.sink.lastFrame(t)
	if last.RGBAAt(251, 151) != (color.RGBA{255, 0, 0, 255}) || last.RGBAAt(51, 151) == (color.RGBA{255, 0, 0, 255}) {
		t.Error("pointer not at its new place after the delay")
	}
}

type fakePointer struct {
	img *image.RGBA
	pos image.Point
}

func (p *fakePointer) Sample() (*image.RGBA, image.Point, image.Point, error) {
	return p.img, image.Point{}, p.pos, nil
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		want string
	}{{"hold", true, "hold"}, {"blur", true, "blur"}, {"show", true, "show"}, {"peek", false, ""}} {
		p, err := ParsePending(c.in)
		if (err == nil) != c.ok || (c.ok && p.String() != c.want) {
			t.Errorf("ParsePending(%q) = %v, %v", c.in, p, err)
		}
	}
	for _, c := range []struct {
		in string
		ok bool
	}{{"black", true}, {"blur", true}, {"pixelate", true}, {"mosaic", false}} {
		r, err := ParseRedact(c.in)
		if (err == nil) != c.ok || (c.ok && r.String() != c.in) {
			t.Errorf("ParseRedact(%q) = %v, %v", c.in, r, err)
		}
	}
	for _, d := range []time.Duration{0, -time.Second, 5*time.Second + 1} {
		if CheckDelay(d) == nil {
			t.Errorf("CheckDelay(%v) accepted", d)
		}
	}
	if CheckDelay(5*time.Second) != nil || CheckDelay(time.Millisecond) != nil {
		t.Error("valid delay refused")
	}
}

// TestFindingRememberedByPixels: a card hides half of a line with a finding
// and closes; the agent re-reads only the half that was under the card and
// finds it clean (the name is cut). The line's pixels are back, so the
// finding is covered again.
func TestFindingRememberedByPixels(t *testing.T) {
	h := newHarness(t, Config{})
	s := newScreen()
	line := s.pieces[2].Rect // 10,50 - 200,62
	h.f.Frame(s.img, h.now, []Region{{Rect: s.img.Rect, Pieces: s.pieces}})
	h.f.Read([]uint64{100, 101, 102, 103, 104})
	h.f.Matched([]image.Rectangle{line}, image.Point{})
	h.advance(300 * time.Millisecond)
	if !coveredAt(h.sink.lastFrame(t), line) {
		t.Fatal("finding not covered")
	}
	// A card over the right half of the line.
	s2 := s.clone()
	cr := image.Rect(120, 40, 300, 90)
	rg := s2.card(cr, 300, 301)
	h.f.Frame(s2.img, h.now, []Region{rg})
	h.f.Read([]uint64{300, 301})
	h.f.Matched(nil, image.Point{})
	h.advance(300 * time.Millisecond)
	// It closes: the region under it is read as a new piece, clean.
	half := image.Rect(120, 50, 200, 62)
	h.f.Frame(s.img, h.now, []Region{{Rect: cr, Pieces: []Piece{{Rect: half, Key: 555, Read: true}}}})
	h.f.Matched(nil, image.Point{})
	h.advance(300 * time.Millisecond)
	if !coveredAt(h.sink.lastFrame(t), half) {
		t.Error("the half of the finding that was under the card is shown")
	}
}

func coveredAt(img *image.RGBA, r image.Rectangle) bool {
	return img.RGBAAt(r.Min.X+r.Dx()/2, r.Min.Y+r.Dy()/2) == coverFill
}

// TestCheckingEndsBesideAChangingArea: a terminal that never stops
// scrolling must not keep the whole feed on "checking": once the rest of
// the screen is read it is shown, and the terminal's area stays "checking"
// until it is read.
func TestCheckingEndsBesideAChangingArea(t *testing.T) {
	h := newHarness(t, Config{})
	s := newScreen()
	h.f.Frame(s.img, h.now, []Region{{Rect: s.img.Rect, Pieces: s.pieces}})
	h.f.Read([]uint64{100, 101, 102, 103, 104})
	h.f.Matched(nil, image.Point{})
	term := image.Rect(220, 120, 310, 190)
	cur := s.clone()
	for i := 0; i < 30; i++ {
		fill(cur.img, term, color.RGBA{uint8(i * 8), 30, 30, 255})
		line := image.Rect(term.Min.X+4, term.Min.Y+4, term.Max.X-4, term.Min.Y+14)
		text(cur.img, line, cardInk)
		h.f.Frame(cur.img, h.now, []Region{{Rect: term, Pieces: []Piece{{Rect: line, Key: uint64(7000 + i)}}}})
		h.advance(33 * time.Millisecond)
	}
	last := h.sink.lastFrame(t)
	if h.f.Stats().Checking {
		t.Fatal("still checking although everything but the terminal was read")
	}
	if !sameArea(last, s.img, image.Rect(0, 0, 210, H)) {
		t.Error("the read part of the screen is not shown")
	}
	line := image.Rect(term.Min.X+4, term.Min.Y+4, term.Max.X-4, term.Min.Y+14)
	if !sameArea(last, plainChecking(W, H), line) {
		t.Error("the unread terminal line is not left as checking")
	}
}
