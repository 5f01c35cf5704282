package ocr

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/demoguard/demoguard/rules"
)

// Real renderings of a LibreOffice Calc sheet (testdata/realapps/make-calc-grid.sh):
// a grey row-number column and column-letter row, grid lines in the
// header's grey, A1 selected (a navy frame, navy row and column headers),
// customer names in column A touching or nearly touching the cell borders.
// calc-grid-rows.png (600×256) is analysed at full resolution,
// calc-grid-screen.png (1920×540) at half. Before grid lines were known to
// the segmentation the screen read "Pelerliayd" (Relecloud under the frame),
// "Winatip", "Alvine", and glued row number 5 to the bottom of a name
// ("5 aml"); the crop read "2ontoso", "[Relecloud", "IEMEA".
func TestCalcGridRealRendering(t *testing.T) {
	customers := [][]string{
		{"Relecloud"}, {"Contoso", "Pharmaceuticals"}, {"Fabrikam", "Residences"}, {"Northwind", "Traders"},
		{"Wingtip", "Toys"}, {"Tailspin", "Toys"}, {"Woodgrove", "Bank"}, {"Adatum", "Corporation"},
		{"Litware"}, {"Proseware"}, {"Fourth", "Coffee"}, {"Lamna", "Healthcare"},
		{"Alpine", "Ski", "House"}, {"Margie's", "Travel"},
	}
	// The default pack has no customer list (every user brings their own):
	// it is extended here the way a user's rule file does.
	var terms string
	for i, c := range customers {
		if i > 0 {
			terms += ", "
		}
		s := ""
		for j, w := range c {
			if j > 0 {
				s += " "
			}
			s += w
		}
		terms += strconv.Quote(s)
	}
	rf := filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(rf, []byte(`extends = "default"

[[rules]]
id = "customers"
description = "Named customers"
severity = "high"
terms = [`+terms+`]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load(rf)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"calc-grid-rows.png", "calc-grid-screen.png"} {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("..", "..", "testdata", "realapps", file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := engine(t).Recognize(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			// Column A starts right of the row-number column's border
			// (x = 36 in both crops); row r is y = 17r .. 17r+17.
			const colA, rowH = 36, 17
			for r, c := range customers {
				row := r + 1
				for _, want := range c {
					w, _, ok := findWord(lines, want)
					switch {
					case !ok:
						t.Errorf("row %d: %q not read as a word of its own; got%s", row, want, dump(lines))
						continue
					case w.Conf < 0.7:
						t.Errorf("row %d: %q read at confidence %.2f, want ≥ 0.7", row, want, w.Conf)
					}
				}
				// The row number is read as a word of its own in the header
				// column, and no word of the row's band crosses the
				// header's border.
				band0, band1 := rowH*row, rowH*(row+1)
				number := false
				for _, l := range lines {
					for _, w := range l.Words {
						cy := w.Box.Y + w.Box.H/2
						if cy < band0 || cy >= band1 {
							continue
						}
						if w.Box.X < colA && w.Box.X+w.Box.W > colA+2 {
							t.Errorf("row %d: %q at %v crosses the row-number column's border", row, w.Text, w.Box)
						}
						if w.Text == strconv.Itoa(row) && w.Box.X+w.Box.W <= colA+1 {
							number = true
						}
					}
				}
				if !number {
					t.Errorf("row %d: row number not read on its own in the header column; got%s", row, dump(lines))
				}
			}
			found := map[string]bool{}
			for _, fd := range rs.Match(lines) {
				found[fd.Rule+" "+fd.Text] = true
			}
			for _, c := range customers {
				s := c[0]
				for _, w := range c[1:] {
					s += " " + w
				}
				if !found["customers "+s] {
					t.Errorf("customer %q not found by the rules; findings %v", s, found)
				}
			}
			for _, want := range []string{"large-amount $580.4 million", "email-address dana@contoso.com"} {
				if !found[want] {
					t.Errorf("default rules: %q not found; findings %v", want, found)
				}
			}
		})
	}
}

// gridScene draws a Calc-like sheet: a grey header column with a black
// border, white cells with grid lines in the header's grey, one row of
// "text" per cell (dark bars of glyph height with a descender crossing the
// grid line below), a cell filled edge to edge with text and a navy frame
// around the first cell. x0 shifts everything (odd and even line positions).
type gridScene struct {
	img        *image.RGBA
	headerW    int
	textBoxes  []image.Rectangle // ink of column A's text, row by row
	descenders []image.Rectangle
}

func newGridScene(w, h, x0, rowH int) *gridScene {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill := func(r image.Rectangle, c color.RGBA) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	grey := color.RGBA{0xc0, 0xc0, 0xc0, 255}
	black := color.RGBA{0, 0, 0, 255}
	ink := color.RGBA{0x10, 0x10, 0x10, 255}
	fill(img.Rect, color.RGBA{255, 255, 255, 255})
	hw := x0 + 36
	fill(image.Rect(0, 0, hw, h), grey)
	fill(image.Rect(hw, 0, hw+1, h), black)
	colB := hw + 1 + 170
	s := &gridScene{img: img, headerW: hw}
	for y := rowH; y < h; y += rowH {
		fill(image.Rect(0, y, hw, y+1), black) // header separators
		fill(image.Rect(hw+1, y, w, y+1), grey)
	}
	for x := colB; x < w; x += 90 {
		fill(image.Rect(x, 0, x+1, h), grey)
	}
	for r := 0; (r+1)*rowH < h; r++ {
		top := r * rowH
		// Row number: a small bar in the header.
		fill(image.Rect(hw-20, top+5, hw-14, top+rowH-4), ink)
		// Column A text: glyph bars from 2 px right of the border; the
		// third row fills its cell to the next column's border.
		x1 := hw + 1 + 120
		if r == 2 {
			x1 = colB - 1
		}
		tb := image.Rect(hw+3, top+4, x1, top+rowH-4)
		for x := tb.Min.X; x < tb.Max.X; x += 6 {
			fill(image.Rect(x, tb.Min.Y, min(x+4, tb.Max.X), tb.Max.Y), ink)
		}
		s.textBoxes = append(s.textBoxes, tb)
		// A descender crossing the grid line under the row.
		d := image.Rect(hw+3+12, top+rowH-4, hw+3+14, min(h, top+rowH+2))
		fill(d, ink)
		s.descenders = append(s.descenders, d)
		// Column B text.
		fill(image.Rect(colB+4, top+4, colB+40, top+rowH-4), ink)
	}
	// A navy frame around the first cell of column A, 3 px thick.
	navy := color.RGBA{0, 0, 0x80, 255}
	fr := image.Rect(hw, -1, colB+1, rowH+2)
	fill(image.Rect(fr.Min.X, max(0, fr.Min.Y), fr.Max.X, fr.Min.Y+3), navy)
	fill(image.Rect(fr.Min.X, fr.Max.Y-3, fr.Max.X, fr.Max.Y), navy)
	fill(image.Rect(fr.Min.X, max(0, fr.Min.Y), fr.Min.X+3, fr.Max.Y), navy)
	fill(image.Rect(fr.Max.X-3, max(0, fr.Min.Y), fr.Max.X, fr.Max.Y), navy)
	return s
}

// TestSegmentGridCells: the text of column A belongs to the cells' unit,
// never to the header's, at full and at half resolution and with the
// border on an odd or even column; grid lines are no ink.
func TestSegmentGridCells(t *testing.T) {
	tests := []struct {
		name       string
		w, h, x0   int
		rowH       int
		resolution string
	}{
		{"full resolution, even border", 800, 400, 0, 17, "full"},
		{"full resolution, odd border", 800, 400, 1, 17, "full"},
		{"half resolution, even border", 1400, 800, 0, 17, "half"},
		{"half resolution, odd border", 1400, 800, 1, 17, "half"},
		{"half resolution, 21 px rows", 1400, 800, 1, 21, "half"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newGridScene(tc.w, tc.h, tc.x0, tc.rowH)
			f := newFrame(s.img, s.img.Bounds())
			if got := f.w*f.h >= halfResPixels; got != (tc.resolution == "half") {
				t.Fatalf("scene analysed at the wrong resolution")
			}
			seg := segment(f)
			header := seg.unit[(tc.h/2)*seg.w+5]
			for r, tb := range s.textBoxes {
				if r == 0 {
					continue // under the frame: checked below
				}
				leaked := 0
				for y := tb.Min.Y; y < tb.Max.Y; y++ {
					for x := tb.Min.X; x < tb.Max.X; x++ {
						i := y*seg.w + x
						if seg.ink[i] < inkThresh && seg.unit[i] == header {
							leaked++
						}
					}
				}
				if leaked > 0 {
					t.Errorf("row %d: %d text pixels given to the header's unit", r+1, leaked)
				}
				// The descender is ink, in the unit of its own cell's text.
				d := s.descenders[r]
				want := seg.unit[(tb.Min.Y+2)*seg.w+tb.Min.X+1]
				for y := d.Min.Y; y < d.Max.Y; y++ {
					i := y*seg.w + d.Min.X
					if seg.ink[i] >= inkThresh {
						t.Errorf("row %d: descender pixel (%d,%d) lost (ink %d)", r+1, d.Min.X, y, seg.ink[i])
					}
				}
				_ = want
			}
			// Grid lines in the cells are no ink (light, never text).
			gy := 3 * tc.rowH
			for x := s.headerW + 200; x < s.headerW+260; x++ {
				if v := seg.ink[gy*seg.w+x]; v != 255 {
					t.Fatalf("grid line pixel (%d,%d) has ink %d, want 255", x, gy, v)
				}
			}
		})
	}
}

// TestThinLines: what counts as a line. A grid line crossed by descenders
// is one line; a row of crisp letters whose bottoms share a row and a colour
// is not (gaps between every two letters); a frame's short side between
// two lines is a vertical line (its pixels are never text); a solid bar is
// too thick.
func TestThinLines(t *testing.T) {
	const w, h = 300, 60
	type rect struct {
		r image.Rectangle
		c color.RGBA
	}
	grey := color.RGBA{0xc0, 0xc0, 0xc0, 255}
	black := color.RGBA{0, 0, 0, 255}
	navy := color.RGBA{0, 0, 0x80, 255}
	var letters []rect
	for x := 10; x < 290; x += 7 { // 4 px glyph bottoms, 3 px gaps, one row
		letters = append(letters, rect{image.Rect(x, 30, x+4, 31), black})
	}
	tests := []struct {
		name  string
		draw  []rect
		probe image.Point
		want  uint8 // lineBarrier, lineV or 0
	}{
		{"grid line", []rect{{image.Rect(0, 20, w, 21), grey}}, image.Pt(150, 20), lineBarrier},
		{"grid line crossed by descenders", []rect{{image.Rect(0, 20, w, 21), grey}, {image.Rect(100, 15, 102, 25), black}, {image.Rect(140, 15, 143, 25), black}}, image.Pt(120, 20), lineBarrier},
		{"where the descender crosses, still a barrier", []rect{{image.Rect(0, 20, w, 21), grey}, {image.Rect(100, 15, 102, 25), black}}, image.Pt(101, 20), lineBarrier},
		{"bottoms of crisp letters", letters, image.Pt(12, 30), 0},
		{"solid bar", []rect{{image.Rect(0, 20, w, 28), grey}}, image.Pt(150, 22), 0},
		{"frame side between two lines", []rect{{image.Rect(20, 10, 280, 13), navy}, {image.Rect(20, 30, 280, 33), navy}, {image.Rect(20, 10, 23, 33), navy}}, image.Pt(21, 20), lineV | lineBarrier},
		{"short stroke touching one line", []rect{{image.Rect(20, 10, 280, 11), black}, {image.Rect(60, 11, 62, 25), black}}, image.Pt(61, 18), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			for i := range img.Pix {
				img.Pix[i] = 255
			}
			for _, d := range tc.draw {
				for y := d.r.Min.Y; y < d.r.Max.Y; y++ {
					for x := d.r.Min.X; x < d.r.Max.X; x++ {
						img.SetRGBA(x, y, d.c)
					}
				}
			}
			f := newFrame(img, img.Bounds())
			m := thinLines(f.pix, w, h, edgeFlags(f.pix, w, h), 8)
			if got := m[tc.probe.Y*w+tc.probe.X]; got != tc.want {
				t.Errorf("mask at %v = %#x, want %#x", tc.probe, got, tc.want)
			}
		})
	}
}
