package ocr

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// Real renderings: LibreOffice Calc and Writer with automatic spell checking
// draw a red wave under every customer name (testdata/realapps/make-spellcheck.sh
// made them). Without removing the waves these read "Balecloud" (0.34),
// "Nexthwind" (0.43), "EME6", "Priya" at 0.46 in Calc, and "Contaso" (0.58),
// "Fahrikam", "Northwind" at 0.61 in Writer.
func TestSpellCheckUnderlinesRealRendering(t *testing.T) {
	tests := []struct {
		file  string
		words []string
	}{
		{"calc-spellcheck-rows.png", []string{"Relecloud", "Fabrikam", "Residences", "Northwind", "Traders", "APAC", "EMEA", "Priya"}},
		{"writer-spellcheck-lines.png", []string{"Relecloud", "Contoso", "Pharmaceuticals", "Wingtip", "Fabrikam", "Tailspin", "Northwind", "$2.4"}},
		// A contenteditable element with spellcheck="true" in Chromium
		// (make-chromium-spellcheck.sh): a dotted red wave.
		{"chromium-spellcheck-lines.png", []string{"Relecloud", "Contoso", "Pharmaceuticals", "Wingtip", "Fabrikam", "Tailspin", "Northwind", "Traders", "$2.4"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("..", "..", "testdata", "realapps", tc.file))
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
			for _, want := range tc.words {
				w, _, ok := findWord(lines, want)
				switch {
				case !ok:
					t.Errorf("%q not read; got%s", want, dump(lines))
				case w.Conf < 0.7:
					t.Errorf("%q read at confidence %.2f, want ≥ 0.7", want, w.Conf)
				}
			}
		})
	}
}

// Synthetic cases for the decision itself: what is erased and what stays.
func TestEraseDecorations(t *testing.T) {
	black := [3]int{20, 20, 20}
	white := [3]int{255, 255, 255}
	red := [3]int{230, 30, 30}
	blue := [3]int{30, 60, 220}
	// A 12 px glyph row: a "word" of 4 glyph blocks in text colour with a
	// descender, and a stroke under it.
	type stroke struct {
		col  [3]int
		y, h int // stroke rows
		wave bool
	}
	tests := []struct {
		name      string
		text      [3]int
		s         stroke
		wantErase bool
	}{
		{"red wave under black text", black, stroke{red, 17, 3, true}, true},
		{"blue straight grammar line", black, stroke{blue, 17, 2, false}, true},
		{"red strike-through", black, stroke{red, 10, 2, false}, true},
		{"underline in the text colour stays", black, stroke{black, 17, 2, false}, false},
		{"red text is not a decoration of red text", red, stroke{red, 17, 2, false}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const w, h = 120, 24
			colr := make([][3]int, w*h)
			g := &gray{w: w, h: h, pix: make([]uint8, w*h)}
			for i := range colr {
				colr[i] = white
				g.pix[i] = 255
			}
			set := func(x, y int, c [3]int) {
				colr[y*w+x] = c
				g.pix[y*w+x] = 0
			}
			// Glyph blocks: rows 6..17, each 8 wide, 3 px strokes (an "o"-ish box).
			for k := 0; k < 4; k++ {
				x0 := 10 + k*22
				for y := 6; y < 18; y++ {
					for x := x0; x < x0+8; x++ {
						if y < 9 || y > 14 || x < x0+3 || x > x0+4 {
							set(x, y, tc.text)
						}
					}
				}
			}
			// A descender under the third glyph, rows 18..21.
			for y := 18; y < 22; y++ {
				set(54, y, tc.text)
				set(55, y, tc.text)
			}
			for x := 8; x < 100; x++ {
				dy := 0
				if tc.s.wave && (x/3)%2 == 1 {
					dy = 1
				}
				for y := tc.s.y + dy; y < tc.s.y+dy+tc.s.h-1; y++ {
					// Under the text, as an editor paints it: where the
					// stroke crosses a glyph, the glyph shows.
					if g.pix[y*w+x] == 255 {
						set(x, y, tc.s.col)
					}
				}
			}
			erased := eraseDecorations(g, func(x, y int) [3]int { return colr[y*w+x] }, 12)
			if erased != tc.wantErase {
				t.Fatalf("erased = %v, want %v", erased, tc.wantErase)
			}
			if !tc.wantErase {
				return
			}
			// No pixel of the stroke's colour left; the descender kept.
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if colr[y*w+x] == tc.s.col && g.pix[y*w+x] != 255 {
						t.Fatalf("stroke pixel (%d,%d) kept", x, y)
					}
				}
			}
			for y := 18; y < 22; y++ {
				if g.pix[y*w+54] != 0 {
					t.Fatalf("descender pixel (54,%d) erased", y)
				}
			}
		})
	}
}
