package change

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
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

func blank(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	return img
}

func clone(img *image.RGBA) *image.RGBA {
	c := image.NewRGBA(img.Rect)
	copy(c.Pix, img.Pix)
	return c
}

// ink fills r with c, every third pixel diagonally left as bg (textured
// like glyphs: a solid block would look like background to the blank tests).
func ink(img *image.RGBA, r image.Rectangle, c, bg color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if (x+y)%3 == 0 {
				img.SetRGBA(x, y, bg)
			} else {
				img.SetRGBA(x, y, c)
			}
		}
	}
}
