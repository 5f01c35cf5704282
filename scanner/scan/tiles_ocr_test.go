package scan_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/scan"
)

// drawText writes s at (x, y) (top left) in the 7x13 bitmap font scaled 3x
// (39 px tall letters, like a slide title) and returns its box.
func drawText(img *image.RGBA, x, y int, s string) rules.Box {
	small := image.NewRGBA(image.Rect(0, 0, 7*len(s)+4, 17))
	draw.Draw(small, small.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: small, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(2, 13)}
	d.DrawString(s)
	r := image.Rect(x, y, x+3*small.Bounds().Dx(), y+3*small.Bounds().Dy())
	xdraw.NearestNeighbor.Scale(img, r, small, small.Bounds(), draw.Src, nil)
	return rules.Box{X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()}
}

// TestTiledPagesRealOCR reads pages big enough to be read in tiles with the
// real OCR engine and the default rules: text on a band edge, in the
// overlap, and across a column edge is found exactly once, where it is.
func TestTiledPagesRealOCR(t *testing.T) {
	if testing.Short() {
		t.Skip("OCRs two pages of about 20 MP")
	}
	dir := t.TempDir()
	type page struct {
		w, h  int
		lines []image.Point // top left of each "TOP SECRET" line
	}
	pages := []page{
		// 6000 px wide: bands of 2154 rows (edge at y=2154) and 256 rows
		// of overlap on each side.
		{6000, 4000, []image.Point{{100, 100}, {300, 2154 - 25}, {900, 2154 - 240}, {1500, 2154 + 200}, {2500, 3940}}},
		// 12000 px wide: two columns meeting at x=10000, the line across it.
		{12000, 1500, []image.Point{{9850, 700}, {200, 200}, {11000, 1200}}},
	}
	var paths []string
	want := map[string][]rules.Box{}
	for i, p := range pages {
		img := image.NewRGBA(image.Rect(0, 0, p.w, p.h))
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
		path := filepath.Join(dir, fmt.Sprintf("page%d.png", i))
		for _, at := range p.lines {
			want[path] = append(want[path], drawText(img, at.X, at.Y, "TOP SECRET"))
		}
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	rs, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := ocr.New(ocr.Options{Workers: runtime.NumCPU()})
	if err != nil {
		t.Fatalf("OCR: %v", err)
	}
	defer eng.Close()
	s, err := scan.New(scan.Options{Recognizer: eng, Matcher: rs})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors %v", res.Errors)
	}
	for _, path := range paths {
		hits := make([]int, len(want[path]))
		for _, f := range res.Findings {
			if f.Source != path || f.Rule != "classification-marker" {
				continue
			}
			n := 0
			for i, b := range want[path] {
				if f.Box.X < b.X+b.W && b.X < f.Box.X+f.Box.W && f.Box.Y < b.Y+b.H && b.Y < f.Box.Y+f.Box.H {
					hits[i]++
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s: finding %q at %v is on %d planted lines; want 1", filepath.Base(path), f.Text, f.Box, n)
			}
		}
		for i, h := range hits {
			if h != 1 {
				t.Errorf("%s: line at %v found %d times; want once", filepath.Base(path), want[path][i], h)
			}
		}
	}
}

// TestTransparentPNGRealOCR: dark text on a transparent PNG (the stored
// colour under transparency is black, as encoders leave it) is read, not
// seen as black on black and called clean.
func TestTransparentPNGRealOCR(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Tesseract")
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 900, 200))
	draw.Draw(rgba, rgba.Bounds(), image.White, image.Point{}, draw.Src)
	box := drawText(rgba, 40, 60, "TOP SECRET")
	// White becomes fully transparent black, text stays opaque.
	img := image.NewNRGBA(rgba.Bounds())
	for i := 0; i < len(rgba.Pix); i += 4 {
		if rgba.Pix[i] < 128 {
			copy(img.Pix[i:i+4], []byte{rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2], 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := ocr.New(ocr.Options{Workers: 1})
	if err != nil {
		t.Fatalf("OCR: %v", err)
	}
	defer eng.Close()
	s, err := scan.New(scan.Options{Recognizer: eng, Matcher: rs})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 || len(res.Findings) != 1 || res.Findings[0].Rule != "classification-marker" {
		t.Fatalf("errors %v findings %+v; want the marker at %v", res.Errors, res.Findings, box)
	}
}
