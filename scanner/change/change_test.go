package change

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/demoguard/demoguard/scanner/internal/testimg"
)

func black(img *image.RGBA, r image.Rectangle) {
	ink(img, r, color.RGBA{0, 0, 0, 255}, color.RGBA{255, 255, 255, 255})
}

// textLine draws "words" (black blocks) along a line: n words of width ww
// separated by sp pixels.
func textLine(img *image.RGBA, x, y, n, ww, h, sp int) image.Rectangle {
	var r image.Rectangle
	for i := 0; i < n; i++ {
		w := image.Rect(x+i*(ww+sp), y, x+i*(ww+sp)+ww, y+h)
		black(img, w)
		r = r.Union(w)
	}
	return r
}

// glyphLine is textLine with words drawn as glyph strokes (2 px bars 5 px
// apart), mostly background as real text is: n words of width ww
// separated by sp pixels.
func glyphLine(img *image.RGBA, x, y, n, ww, h, sp int) image.Rectangle {
	var r image.Rectangle
	for i := 0; i < n; i++ {
		w := image.Rect(x+i*(ww+sp), y, x+i*(ww+sp)+ww, y+h)
		for sx := w.Min.X; sx+2 <= w.Max.X; sx += 5 {
			black(img, image.Rect(sx, y, sx+2, y+h))
		}
		r = r.Union(w)
	}
	return r
}

func TestChangedRegionsNoneWhenStatic(t *testing.T) {
	a := blank(1920, 1080)
	textLine(a, 100, 100, 10, 40, 12, 6)
	if got := Regions(a, clone(a)); len(got) != 0 {
		t.Fatalf("static screen: got %v, want no change", got)
	}
}

func TestChangedRegionsFirstFrameIsWholeScreen(t *testing.T) {
	a := blank(640, 480)
	got := Regions(nil, a)
	if len(got) != 1 || got[0] != a.Rect {
		t.Fatalf("got %v, want the whole screen", got)
	}
}

// A small dark notification card over a busy slide (1.5% of 1080p) must be
// found, exactly, however small.
func TestChangedRegionsSmallNotification(t *testing.T) {
	prev := blank(1920, 1080)
	for y := 40; y < 1040; y += 24 {
		textLine(prev, 40, y, 30, 50, 12, 8)
	}
	cur := clone(prev)
	card := image.Rect(1490, 900, 1850, 986) // 360x86 = 1.5%
	draw.Draw(cur, card, image.NewUniform(color.RGBA{40, 40, 48, 255}), image.Point{}, draw.Src)
	ink(cur, image.Rect(1510, 915, 1700, 929), color.RGBA{250, 250, 250, 255}, color.RGBA{40, 40, 48, 255})
	ink(cur, image.Rect(1510, 950, 1780, 964), color.RGBA{250, 250, 250, 255}, color.RGBA{40, 40, 48, 255})
	got := Regions(prev, cur)
	if len(got) != 1 {
		t.Fatalf("got %d regions %v, want 1", len(got), got)
	}
	if !got[0].In(card.Inset(-48)) || !card.In(got[0]) {
		t.Fatalf("region %v, want about the card %v", got[0], card)
	}
	// The card's two text lines are cut into two pieces.
	pieces := Lines(cur, card)
	if len(pieces) != 2 {
		t.Fatalf("card pieces %v, want 2 lines", pieces)
	}
}

func TestChangedRegionsOnePixel(t *testing.T) {
	prev := blank(800, 600)
	cur := clone(prev)
	cur.Set(400, 300, color.Black)
	got := Regions(prev, cur)
	if len(got) != 1 || !got[0].Overlaps(image.Rect(400, 300, 401, 301)) {
		t.Fatalf("got %v, want the changed pixel", got)
	}
}

// A digit typed in the middle of a line makes the whole line (up to a wide
// gap) be read again, not just the digit.
func TestGrowToWholeLine(t *testing.T) {
	prev := blank(1200, 200)
	line := textLine(prev, 100, 50, 6, 30, 14, 5)  // one phrase, word spaces of 5
	other := textLine(prev, 700, 50, 2, 30, 14, 5) // far right: another column
	cur := clone(prev)
	black(cur, image.Rect(line.Max.X+5, 50, line.Max.X+15, 64)) // typed a digit
	got := Regions(prev, cur)
	if len(got) != 1 {
		t.Fatalf("got %v", got)
	}
	if !line.In(got[0]) {
		t.Errorf("region %v does not cover the line %v", got[0], line)
	}
	if got[0].Overlaps(other) {
		t.Errorf("region %v reaches into the other column %v", got[0], other)
	}
}

func TestSegmentLinesAndColumns(t *testing.T) {
	img := blank(1000, 300)
	textLine(img, 20, 20, 4, 40, 12, 6)
	textLine(img, 20, 40, 4, 40, 12, 6)
	textLine(img, 600, 20, 3, 40, 12, 6) // second column, same rows
	pieces := Lines(img, img.Rect)
	if len(pieces) != 3 {
		t.Fatalf("pieces %v, want 3 (two lines left, one right)", pieces)
	}
	for _, p := range pieces {
		if p.Dy() > 20 {
			t.Errorf("piece %v spans more than one line", p)
		}
	}
}

func TestSegmentBlankRegionIsFree(t *testing.T) {
	img := blank(400, 300)
	if p := Lines(img, img.Rect); len(p) != 0 {
		t.Fatalf("blank region gave pieces %v", p)
	}
}

func blank(w, h int) *image.RGBA        { return testimg.Blank(w, h) }
func clone(img *image.RGBA) *image.RGBA { return testimg.Clone(img) }
func ink(img *image.RGBA, r image.Rectangle, c, bg color.RGBA) {
	testimg.Ink(img, r, c, bg)
}

// TestCut: a region whose edge falls inside a line of new text cuts a
// word; a region that ends at a column gap cuts nothing, nor does one
// whose edge falls in a line that did not change (it grew beside the
// change into text read before).
func TestCut(t *testing.T) {
	prev := blank(2400, 200)
	glyphLine(prev, 100, 120, 3, 30, 14, 5)
	cur := clone(prev)
	glyphLine(cur, 100, 50, 60, 30, 14, 5) // 2,100 px of new words 5 px apart
	r := image.Rect(1000, 48, 1300, 66)    // through the middle of the line
	cuts := func(prev *image.RGBA, r image.Rectangle) int {
		n := 0
		for _, p := range Lines(cur, r) {
			if Cut(prev, cur, r, p) {
				n++
			}
		}
		return n
	}
	if cuts(prev, r) == 0 {
		t.Error("a region through a new line cuts nothing")
	}
	if cuts(nil, r) == 0 {
		t.Error("first frame: a region through a line cuts nothing")
	}
	if n := cuts(cur, r); n != 0 {
		t.Errorf("a region through an unchanged line: %d cut", n)
	}
	if n := cuts(prev, image.Rect(95, 115, 230, 140)); n != 0 {
		t.Errorf("a whole line: %d cut", n)
	}
}

// TestCutNotAtPanelEdge: a card (its own background) drawn over text; its
// region grew left into the text beside it (change detection grows into
// lines). Neither edge cuts a new word: on the right the text does not run
// into the card (another background), on the left the word cut is old
// text, unchanged.
func TestCutNotAtPanelEdge(t *testing.T) {
	prev := blank(800, 200)
	for y := 20; y < 180; y += 18 {
		glyphLine(prev, 10, y, 20, 30, 12, 5)
	}
	cur := clone(prev)
	card := image.Rect(300, 40, 600, 140)
	ink(cur, card, color.RGBA{36, 38, 46, 255}, color.RGBA{36, 38, 46, 255})
	for y := 60; y < 130; y += 24 {
		ink(cur, image.Rect(320, y, 560, y+12), color.RGBA{240, 240, 240, 255}, color.RGBA{36, 38, 46, 255})
	}
	region := image.Rect(262, 40, 600, 140) // through a word (255-285)
	n := 0
	for _, p := range Lines(cur, region) {
		n++
		if Cut(prev, cur, region, p) {
			t.Errorf("piece %v of the card's region counted cut", p)
		}
	}
	if n == 0 {
		t.Fatal("no pieces")
	}
	// The same region over new text (no prev): its left edge cuts.
	cut := false
	for _, p := range Lines(cur, region) {
		cut = cut || Cut(nil, cur, region, p)
	}
	if !cut {
		t.Error("a region through new text cuts nothing")
	}
}

// TestNoGrowthIntoNeighbourPanel: a panel with its own background that
// changes (a video, a terminal, a card) beside a document is not grown
// into the document's lines.
func TestNoGrowthIntoNeighbourPanel(t *testing.T) {
	prev := blank(900, 400)
	for y := 20; y < 380; y += 18 {
		glyphLine(prev, 10, y, 25, 30, 12, 5)
	}
	panel := image.Rect(300, 100, 600, 300)
	ink(prev, panel, color.RGBA{24, 26, 30, 255}, color.RGBA{24, 26, 30, 255})
	cur := clone(prev)
	for y := 110; y < 290; y += 18 { // the panel's lines change (a terminal scrolled)
		ink(cur, image.Rect(310, y, 590, y+12), color.RGBA{210, 215, 205, 255}, color.RGBA{24, 26, 30, 255})
	}
	got := Regions(prev, cur)
	for _, r := range got {
		if !r.In(panel) {
			t.Errorf("region %v grew out of the panel %v", r, panel)
		}
	}
	if len(got) == 0 {
		t.Fatal("no change found")
	}
}

// TestPanelsSideBySide: a terminal (dark) and a picture beside a
// document, with no blank column between them where their rows run: no
// piece spans two of them.
func TestPanelsSideBySide(t *testing.T) {
	img := blank(1000, 300)
	for y := 4; y < 296; y += 18 {
		glyphLine(img, 4, y, 28, 30, 12, 5) // the document, edge to edge
	}
	term := image.Rect(600, 36, 900, 270) // edges on the document's blank rows
	ink(img, term, color.RGBA{24, 26, 30, 255}, color.RGBA{24, 26, 30, 255})
	for y := term.Min.Y + 6; y+12 < term.Max.Y; y += 18 {
		ink(img, image.Rect(term.Min.X+4, y, term.Max.X-4, y+12), color.RGBA{210, 215, 205, 255}, color.RGBA{24, 26, 30, 255})
	}
	pic := image.Rect(100, 54, 340, 234)
	for y := pic.Min.Y; y < pic.Max.Y; y++ {
		for x := pic.Min.X; x < pic.Max.X; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 3), uint8(y * 2), uint8((x + y) % 256), 255})
		}
	}
	for _, p := range Lines(img, img.Rect) {
		in := 0
		for _, panel := range []image.Rectangle{term, pic} {
			if p.Overlaps(panel.Inset(4)) {
				in++
				if !p.In(panel.Inset(-3)) {
					t.Errorf("piece %v reaches out of panel %v", p, panel)
				}
			}
		}
		if in > 1 {
			t.Errorf("piece %v spans two panels", p)
		}
	}
}

// TestPictureUnderText: a picture (a video window) right under a line of
// text and over another, with no blank row between them, beside a
// document: no piece of the picture takes in a line of text.
func TestPictureUnderText(t *testing.T) {
	img := blank(1000, 300)
	for y := 4; y < 296; y += 18 {
		glyphLine(img, 4, y, 28, 30, 12, 5)
	}
	pic := image.Rect(100, 52, 340, 238) // from a line's last row to the next line's first
	for y := pic.Min.Y; y < pic.Max.Y; y++ {
		for x := pic.Min.X; x < pic.Max.X; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 3), uint8(y * 2), uint8((x + y) % 256), 255})
		}
	}
	for _, p := range Lines(img, img.Rect) {
		// Columns are cut within panelMin of the picture's edge; rows of
		// text must stay out.
		if p.Overlaps(pic.Inset(8)) && !p.In(image.Rect(pic.Min.X-panelMin, pic.Min.Y-3, pic.Max.X+panelMin, pic.Max.Y+3)) {
			t.Errorf("piece %v of the picture %v takes in text around it", p, pic)
		}
	}
}

// TestCutNotThroughUnchangedLineAbove: a card on the document's own
// background, whose region reaches into the document's lines above and
// below it (unchanged): no piece is cut, though the text runs across the
// region's top and bottom edges.
func TestCutNotThroughUnchangedLineAbove(t *testing.T) {
	prev := blank(900, 300)
	for y := 4; y < 296; y += 18 {
		glyphLine(prev, 4, y, 25, 30, 12, 5)
	}
	cur := clone(prev)
	card := image.Rect(200, 52, 600, 202) // right under a line, right over the next
	ink(cur, card, color.RGBA{255, 255, 255, 255}, color.RGBA{255, 255, 255, 255})
	for y := card.Min.Y + 10; y+12 < card.Max.Y; y += 20 {
		glyphLine(cur, card.Min.X+10, y, 10, 30, 12, 6)
	}
	region := image.Rect(180, 44, 620, 216) // cuts the document's lines at 40-52 and 202-214
	cuts := func(prev *image.RGBA) int {
		n := 0
		for _, p := range Lines(cur, region) {
			if Cut(prev, cur, region, p) {
				n++
			}
		}
		return n
	}
	if n := cuts(prev); n != 0 {
		t.Errorf("%d pieces cut where only unchanged lines cross the edges", n)
	}
	if cuts(nil) == 0 {
		t.Error("the same region over new text cuts nothing")
	}
}

// TestTallChangeNotGrown: a window on the document's own background whose
// lines all change (a page scrolled) is not grown into the document's
// lines beside it; a change a line high still is (TestGrowToWholeLine).
func TestTallChangeNotGrown(t *testing.T) {
	prev := blank(900, 300)
	for y := 4; y < 296; y += 18 {
		glyphLine(prev, 4, y, 25, 30, 12, 5)
	}
	win := image.Rect(300, 40, 700, 260)
	cur := clone(prev)
	ink(cur, win, color.RGBA{255, 255, 255, 255}, color.RGBA{255, 255, 255, 255})
	for y := win.Min.Y + 4; y+12 < win.Max.Y; y += 20 {
		glyphLine(cur, win.Min.X, y, 11, 30, 12, 6) // from the very edge
	}
	for _, r := range Regions(prev, cur) {
		if r.Min.X < win.Min.X-2 || r.Max.X > win.Max.X+2 {
			t.Errorf("region %v grew out of the window %v", r, win)
		}
	}
}
