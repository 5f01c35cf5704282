package ocr

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkRecognizeNotification: the live agent's typical job, one changed
// region holding a notification card (460×170).
func BenchmarkRecognizeNotification(b *testing.B) {
	e := engine(b)
	s, card := cardScene(b)
	ctx := context.Background()
	rects := []image.Rectangle{card}
	if _, err := e.RecognizeRegions(ctx, s.img, rects); err != nil { // warm
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.RecognizeRegions(ctx, s.img, rects); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecognizeDense1080p: a full 1920×1080 spreadsheet, 13 px rows.
func BenchmarkRecognizeDense1080p(b *testing.B) {
	e := engine(b)
	s := denseSheet(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Recognize(ctx, s.img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecognizeSlide1080p: a sparse slide with a notification card.
func BenchmarkRecognizeSlide1080p(b *testing.B) {
	e := engine(b)
	s := notificationSlide(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Recognize(ctx, s.img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCLIDense1080p is the baseline the engine is compared with: the
// tesseract command on the whole frame, OMP_THREAD_LIMIT=1 (a file is
// written here only because the CLI needs one).
func BenchmarkCLIDense1080p(b *testing.B) {
	benchCLI(b, denseSheet(b))
}

// BenchmarkCLISlide1080p: the CLI baseline on the sparse slide.
func BenchmarkCLISlide1080p(b *testing.B) {
	benchCLI(b, notificationSlide(b))
}

func benchCLI(b *testing.B, s *scene) {
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		b.Skip("tesseract command not installed")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, s.img); err != nil {
		b.Fatal(err)
	}
	f := filepath.Join(b.TempDir(), "screen.png")
	if err := os.WriteFile(f, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd := exec.Command(bin, f, "-")
		cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("tesseract: %v: %s", err, out)
		}
	}
}

// BenchmarkSegment: background analysis alone (what every changed region
// and every scanned page pays before OCR) on a dense 1080p spreadsheet and
// on a real 600×256 Calc crop (analysed at full resolution).
func BenchmarkSegment(b *testing.B) {
	for _, tc := range []struct{ name, file string }{
		{"dense1080p", filepath.Join("..", "..", "testdata", "corpus", "18-spreadsheet-1920x1080.png")},
		{"calc-crop", filepath.Join("..", "..", "testdata", "realapps", "calc-grid-rows.png")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data, err := os.ReadFile(tc.file)
			if err != nil {
				b.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			f := newFrame(img, img.Bounds())
			for b.Loop() {
				segment(f)
			}
		})
	}
}
