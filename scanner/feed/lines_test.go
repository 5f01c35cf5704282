package feed

import (
	"image"
	"image/color"
	"math"
	"testing"
	"time"
)

// The rules of a feed whose unit of verdict is the line (see tick): each
// test is one rule, with fakes standing in for the agent.

// TestLineShownWhenRead: a line read clean is shown as soon as it is read,
// wherever it is, while another change elsewhere is still unread.
func TestLineShownWhenRead(t *testing.T) {
	h := newHarness(t, Config{})
	s := newScreen()
	h.first(s)
	s2 := s.clone()
	a := s2.card(image.Rect(210, 10, 310, 50), 910, 911)
	b := s2.card(image.Rect(210, 140, 310, 180), 920, 921)
	h.f.Frame(s2.img, h.now, []Region{a, b})
	h.f.Read([]uint64{910, 911})
	h.f.Matched(nil, image.Point{})
	h.advance(300 * time.Millisecond)
	last := h.sink.lastFrame(t)
	if !sameArea(last, s2.img, a.Rect) {
		t.Error("card read clean is not shown")
	}
	for _, pc := range b.Pieces {
		if !sameArea(last, s.img, pc.Rect) {
			t.Error("unread line shown")
		}
	}
	if st := h.f.Stats(); st.Held != 2 || st.HeldShare <= 0 || st.HeldShare >= 0.1 {
		t.Errorf("stats %+v: want the two unread lines held", st)
	}
}

// TestNeighbourUnreadHoldsLine: a line read clean whose next line is not
// read yet stays held (a term wrapped onto the next line, a near rule, or
// new pixels beside stale ones could make a word that was never on
// screen); once the neighbour is read both are shown.
func TestNeighbourUnreadHoldsLine(t *testing.T) {
	h := newHarness(t, Config{})
	s := newScreen()
	h.first(s)
	s2 := s.clone()
	cr := image.Rect(210, 100, 310, 150)
	rg := s2.card(cr, 800, 801)
	rg.Pieces[0].Read = true // a cache hit
	h.f.Frame(s2.img, h.now, []Region{rg})
	h.f.Matched(nil, image.Point{})
	h.advance(400 * time.Millisecond)
	for _, pc := range rg.Pieces {
		if !sameArea(h.sink.lastFrame(t), s.img, pc.Rect) {
			t.Fatal("a line shown beside its unread neighbour")
		}
	}
	h.f.Read([]uint64{801})
	h.f.Matched(nil, image.Point{})
	h.advance(50 * time.Millisecond)
	if !sameArea(h.sink.lastFrame(t), s2.img, cr) {
		t.Fatal("read card not shown")
	}
}

// TestNearDistanceHoldsLine: a rule that combines findings up to NearPx
// apart holds a line read clean while an unread line lies that far.
func TestNearDistanceHoldsLine(t *testing.T) {
	for _, near := range []int{0, 120} {
		h := newHarness(t, Config{NearPx: func() int { return near }})
		s := newScreen()
		h.first(s)
		s2 := s.clone()
		a := s2.card(image.Rect(210, 10, 310, 50), 930, 931)
		b := s2.card(image.Rect(210, 140, 310, 180), 940, 941) // 90 px below a
		h.f.Frame(s2.img, h.now, []Region{a, b})
		h.f.Read([]uint64{930, 931})
		h.f.Matched(nil, image.Point{})
		h.advance(300 * time.Millisecond)
		shown := sameArea(h.sink.lastFrame(t), s2.img, a.Pieces[1].Rect)
		if shown != (near == 0) {
			t.Errorf("NearPx %d: line 90 px from an unread one shown=%v", near, shown)
		}
	}
}

// TestCutPieceHeld: a piece cut through a word by its region's edge is no
// verdict: it is held even when read clean, until the agent reads the line
// whole.
func TestCutPieceHeld(t *testing.T) {
	h := newHarness(t, Config{})
	s := newScreen()
	h.first(s)
	s2 := s.clone()
	line := image.Rect(10, 150, 300, 164)
	text(s2.img, line, ink)
	half := image.Rect(10, 150, 150, 164)
	h.f.Frame(s2.img, h.now, []Region{{Rect: half, Pieces: []Piece{{Rect: half, Key: 950, Read: true, Cut: true}}}})
	h.f.Matched(nil, image.Point{})
	h.advance(300 * time.Millisecond)
	if !sameArea(h.sink.lastFrame(t), s.img, half) {
		t.Fatal("half a word shown on the verdict of the half")
	}
	whole := Region{Rect: line, Pieces: []Piece{{Rect: line, Key: 951, Read: true}}}
	h.f.Frame(s2.img, h.now, []Region{whole})
	h.f.Matched(nil, image.Point{})
	h.advance(300 * time.Millisecond)
	if !sameArea(h.sink.lastFrame(t), s2.img, line) {
		t.Fatal("the line read whole is not shown")
	}
}

// TestScrolledLineKeepsCover: a terminal scrolls by a line; every moved
// line keeps its verdict (verdicts are by content), a moved finding stays
// covered at its new place, and only the revealed line waits.
func TestScrolledLineKeepsCover(t *testing.T) {
	h := newHarness(t, Config{})
	term := image.Rect(0, 0, W, H)
	lineAt := func(i, top int) image.Rectangle { return image.Rect(10, top+i*20, 300, top+i*20+14) }
	draw := func(top, n, first int) (*image.RGBA, []Piece) {
		img := image.NewRGBA(term)
		fill(img, term, cardBg)
		var ps []Piece
		for i := range n {
			r := lineAt(i, top)
			// Each line's own pattern: its key is its content.
			for x := r.Min.X + 2 + (first+i)%3; x+2 <= r.Max.X-2; x += 5 {
				fill(img, image.Rect(x, r.Min.Y+2, x+2, r.Max.Y-2), cardInk)
			}
			ps = append(ps, Piece{Rect: r, Key: uint64(5000 + first + i)})
		}
		return img, ps
	}
	img, ps := draw(10, 8, 0)
	h.f.Frame(img, h.now, []Region{{Rect: term, Pieces: ps}})
	keys := make([]uint64, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	h.f.Read(keys)
	secret := ps[4].Rect // line 4 holds a finding
	h.f.Matched([]image.Rectangle{secret}, image.Point{})
	h.advance(300 * time.Millisecond)
	if !coveredAt(h.sink.lastFrame(t), secret) {
		t.Fatal("finding not covered before the scroll")
	}
	// Scroll by one line: lines 1..7 move up, line 8 is new (unread).
	img2, ps2 := draw(10, 8, 1)
	for i := range ps2[:7] {
		ps2[i].Read = true // the agent's line cache knows moved content
	}
	h.f.Frame(img2, h.now, []Region{{Rect: term, Pieces: ps2}})
	h.f.Matched([]image.Rectangle{ps2[3].Rect}, image.Point{}) // the finding, moved
	h.advance(300 * time.Millisecond)
	last := h.sink.lastFrame(t)
	if !coveredAt(last, ps2[3].Rect) {
		t.Error("moved finding not covered at its new place")
	}
	if !sameArea(last, img2, ps2[1].Rect) {
		t.Error("moved clean line not shown at its new place")
	}
	if sameArea(last, img2, ps2[7].Rect) {
		t.Error("the revealed line is shown unread")
	}
}

// video draws a smooth moving picture (no text) into r of img: frame i.
func video(img *image.RGBA, r image.Rectangle, i int) {
	cx, cy := float64(r.Min.X)+float64(r.Dx())*(0.3+0.02*float64(i%20)), float64(r.Min.Y+r.Dy()/2)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d := math.Hypot(float64(x)-cx, float64(y)-cy)
			v := 128 + 100*math.Sin(d/25+float64(i)/3)
			img.SetRGBA(x, y, color.RGBA{uint8(v), uint8(255 - v/2), uint8(v / 2), 255})
		}
	}
}

// TestTextFreeMotionShown: an area that keeps changing and holds nothing
// text-like (a video) is shown live, unread; text that appears inside it
// (a subtitle) is held while unread, and the rest of the video is live.
func TestTextFreeMotionShown(t *testing.T) {
	for _, subtitle := range []bool{false, true} {
		h := newHarness(t, Config{})
		s := newScreen()
		h.first(s)
		vr := image.Rect(200, 60, 316, 196)
		sub := image.Rect(210, 170, 306, 186)
		cur := s.clone()
		var frames []*image.RGBA
		for i := range 20 {
			video(cur.img, vr, i)
			if subtitle {
				fill(cur.img, sub, color.RGBA{0, 0, 0, 255})
				text(cur.img, sub.Inset(1), color.RGBA{255, 255, 255, 255})
			}
			h.f.Frame(cur.img, h.now, []Region{{Rect: vr, Pieces: []Piece{{Rect: vr, Key: uint64(6000 + i)}}}})
			frames = append(frames, cur.clone().img)
			h.advance(33 * time.Millisecond)
		}
		h.advance(200 * time.Millisecond)
		last := h.sink.lastFrame(t)
		top := image.Rect(vr.Min.X, vr.Min.Y, vr.Max.X, vr.Min.Y+40)
		if !sameArea(last, frames[len(frames)-1], top) {
			t.Errorf("subtitle=%v: the moving picture is not shown live", subtitle)
		}
		if subtitle {
			for i, fr := range h.sink.frames {
				if sameArea(fr, frames[0], sub) {
					t.Fatalf("frame %d shows the unread subtitle", i)
				}
			}
		}
	}
}

// TestTextBands checks the pixel test on its own.
func TestTextBands(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	r := image.Rect(50, 50, 350, 250)
	video(img, r, 3)
	if b := textBands(img, r); len(b) != 0 {
		t.Errorf("smooth picture: bands %v", b)
	}
	// A subtitle: white strokes with a dark outline over the picture.
	sub := image.Rect(100, 200, 300, 222)
	for x := sub.Min.X; x+3 <= sub.Max.X; x += 7 {
		fill(img, image.Rect(x, sub.Min.Y, x+5, sub.Max.Y), color.RGBA{0, 0, 0, 255})
		fill(img, image.Rect(x+1, sub.Min.Y+1, x+4, sub.Max.Y-1), color.RGBA{250, 250, 250, 255})
	}
	b := textBands(img, r)
	if len(b) != 1 || !sub.Intersect(r).In(b[0]) || b[0].Min.Y < r.Min.Y+100 {
		t.Errorf("subtitle: bands %v, want one band holding %v", b, sub)
	}
	// Grey text on a flat background: low contrast, still text.
	flat := image.Rect(0, 0, 200, 100)
	img2 := image.NewRGBA(flat)
	fill(img2, flat, color.RGBA{245, 245, 245, 255})
	for x := 20; x < 180; x += 6 {
		fill(img2, image.Rect(x, 40, x+2, 52), color.RGBA{190, 190, 190, 255})
	}
	if b := textBands(img2, flat); len(b) == 0 {
		t.Error("grey text not text-like")
	}
	// Large text: 30 px strokes, 40 px apart.
	for x := 10; x < 190; x += 70 {
		fill(img2, image.Rect(x, 5, x+30, 95), color.RGBA{20, 20, 20, 255})
	}
	if b := textBands(img2, flat); len(b) == 0 {
		t.Error("large glyph strokes not text-like")
	}
	// Too small to decide: held whole.
	small := image.Rect(0, 0, 300, 20)
	if b := textBands(img, small); len(b) != 1 || b[0] != small {
		t.Errorf("a text line's height: bands %v, want the piece", b)
	}
}

// TestRestOfTouchedLineStays: a line not yet read is partly redrawn (a
// card painted in two steps, a second change over the first); the new
// pieces are cut inside the second change only, so what is left of the
// first line outside it must stay in the screen model, unread: shown
// only when read, never as pixels that belong to no piece.
func TestRestOfTouchedLineStays(t *testing.T) {
	h := newHarness(t, Config{})
	s := newScreen()
	h.first(s)
	s2 := s.clone()
	line := image.Rect(10, 150, 300, 164)
	text(s2.img, line, ink)
	h.f.Frame(s2.img, h.now, []Region{{Rect: line, Pieces: []Piece{{Rect: line, Key: 960}}}})
	h.advance(50 * time.Millisecond)
	s3 := s2.clone()
	right := image.Rect(200, 150, 300, 164)
	fill(s3.img, right, base)
	text(s3.img, right, cardInk)
	h.f.Frame(s3.img, h.now, []Region{{Rect: right, Pieces: []Piece{{Rect: right, Key: 961}}}})
	h.f.Read([]uint64{961})
	h.f.Matched(nil, image.Point{})
	h.advance(400 * time.Millisecond)
	left := image.Rect(10, 150, 200, 164)
	if sameArea(h.sink.lastFrame(t), s3.img, left) {
		t.Fatal("the unread rest of a redrawn line is shown")
	}
	// The agent reads the line whole.
	h.f.Frame(s3.img, h.now, []Region{{Rect: line, Pieces: []Piece{{Rect: line, Key: 962, Read: true}}}})
	h.f.Matched(nil, image.Point{})
	h.advance(300 * time.Millisecond)
	if !sameArea(h.sink.lastFrame(t), s3.img, line) {
		t.Fatal("the line is not shown once read whole")
	}
}
