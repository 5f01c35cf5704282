package ocr

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

// Many narrow pieces (a spreadsheet's row numbers) once filled one canvas
// 59867 px tall: over Tesseract's 32767 px limit, which crashed the worker.
func TestPackBoundsCanvasSides(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		w, h   int
		worker int
	}{
		{"row numbers", 660, 88, 57, 2},
		{"one worker", 2000, 40, 40, 1},
		{"wide lines", 30, 15_000, 60, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ps []*piece
			for range tc.n {
				ps = append(ps, &piece{img: &gray{w: tc.w, h: tc.h, pix: make([]uint8, tc.w*tc.h)}})
			}
			cs := pack(ps, tc.worker)
			placed := 0
			for _, c := range cs {
				if c.h > maxCanvasSide || c.w > maxCanvasSide {
					t.Errorf("canvas %dx%d exceeds %d px", c.w, c.h, maxCanvasSide)
				}
				placed += len(c.pieces)
			}
			if placed != tc.n {
				t.Errorf("placed %d pieces, want %d", placed, tc.n)
			}
		})
	}
}

// A line wider than a canvas may be is scaled down to fit, not sent whole.
func TestPrepareFitsVeryWideLines(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 9000, 60))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	// Small "glyphs" (5 px high, so the line would be upscaled ×3.5) across
	// the whole width.
	for x := 10; x < 8990; x += 9 {
		draw.Draw(img, image.Rect(x, 28, x+4, 33), image.NewUniform(color.Black), image.Point{}, draw.Src)
	}
	n := 0
	for _, p := range prepare(img, img.Bounds(), func() int { n++; return n }) {
		if p.img.w+2*canvasMargin > maxCanvasSide {
			t.Errorf("piece %dx%d does not fit a %d px canvas", p.img.w, p.img.h, maxCanvasSide)
		}
	}
}
