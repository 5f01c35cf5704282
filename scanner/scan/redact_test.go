package scan

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/scan/testpdf"
)

// TestRedactStill: an image becomes a PNG and a PDF a rasterised PDF with
// the finding's box black and everything else as it was; a second run
// writes a numbered copy instead of overwriting; a source without findings
// gets no copy.
func TestRedactStill(t *testing.T) {
	needPoppler(t)
	dir := t.TempDir()
	grey := color.RGBA{200, 210, 220, 255}
	write(t, filepath.Join(dir, "shot.png"), encode(t, "png", solid(300, 200, grey)))
	write(t, filepath.Join(dir, "clean.png"), encode(t, "png", solid(301, 200, grey)))
	write(t, filepath.Join(dir, "deck.pdf"), testpdf.Make(
		testpdf.Page{Image: solid(302, 200, grey), DPI: 150},
		testpdf.Page{Image: solid(300, 200, grey), DPI: 150},
	))
	box := rules.Box{X: 100, Y: 80, W: 60, H: 20}
	rec := fakeRecognizer{recognize: func(_ context.Context, img image.Image) ([]rules.Line, error) {
		if img.Bounds().Dx() == 300 {
			w := rules.Word{Text: "Walmart", Box: box, Conf: 0.95}
			return []rules.Line{{Words: []rules.Word{w}, Box: box}}, nil
		}
		return nil, nil
	}}
	out := filepath.Join(dir, "red")
	s := newTestScanner(t, Options{Recognizer: rec, Matcher: wordMatcher("Walmart"), PDFDPI: 150, RedactDir: out})
	t.Chdir(dir)
	for run := 0; run < 2; run++ {
		res, err := s.Run(context.Background(), []string{"shot.png", "clean.png", "deck.pdf"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) > 0 || len(res.Redacted) != 2 {
			t.Fatalf("run %d: errors %v, redacted %v; want two copies", run, res.Errors, res.Redacted)
		}
	}
	check := func(name string, img image.Image) {
		t.Helper()
		if img.Bounds().Dx() != 300 || img.Bounds().Dy() != 200 {
			t.Fatalf("%s: size %v", name, img.Bounds())
		}
		for _, p := range []image.Point{{130, 90}, {101, 81}, {159, 99}} {
			if r, g, b, _ := img.At(p.X, p.Y).RGBA(); r|g|b != 0 {
				t.Errorf("%s: %v inside the box is not black", name, p)
			}
		}
		for _, p := range []image.Point{{10, 10}, {290, 190}, {130, 150}} {
			if r, _, _, _ := img.At(p.X, p.Y).RGBA(); r>>8 < 190 || r>>8 > 210 {
				t.Errorf("%s: %v outside the box changed", name, p)
			}
		}
	}
	for _, name := range []string{"shot.redacted.png", "shot.redacted-1.png"} {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		check(name, img)
	}
	if _, err := os.Stat(filepath.Join(out, "clean.redacted.png")); err == nil {
		t.Error("a source without findings got a redacted copy")
	}
	// The PDF copy is read back through poppler: page 2 masked, page 1 as it was.
	pdf := &source{name: "r", path: filepath.Join(out, "deck.redacted.pdf"), kind: kindPDF}
	sizes, err := Poppler{}.Pages(context.Background(), pdf.pdfInput(), 10)
	if err != nil || len(sizes) != 2 {
		t.Fatalf("redacted PDF: %v pages, %v", len(sizes), err)
	}
	p2, err := Poppler{}.Render(context.Background(), pdf.pdfInput(), 1, 150, 1e8)
	if err != nil {
		t.Fatal(err)
	}
	check("deck.redacted.pdf page 2", p2)
}
