// Package e2e tests the audience feed with real parts: Tesseract for what
// blur and pixelate leave readable, Xvfb and ffmpeg for the whole feed.
package e2e

import (
	"context"
	"image"
	"image/draw"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/feed"
	"github.com/demoguard/demoguard/scanner/internal/corpus"
	"github.com/demoguard/demoguard/scanner/ocr"
)

func TestMain(m *testing.M) {
	ocr.MaybeRunWorker() // the OCR workers are this test binary
	os.Exit(m.Run())
}

func newEngine(t testing.TB) *ocr.Engine { return newEngineN(t, 1) }

func newEngineN(t testing.TB, workers int) *ocr.Engine {
	t.Helper()
	eng, err := ocr.New(ocr.Options{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// norm keeps letters and digits, lower case: what a reader could match.
func norm(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// legible reports whether OCR of the lines gives away the item: a rule
// finding inside the item's box, the item's text, or any of its words of
// four or more characters.
func legible(rs *rules.Ruleset, lines []rules.Line, item corpus.Item, box image.Rectangle) (bool, string) {
	for _, f := range rs.Match(lines) {
		if r := image.Rect(f.Box.X, f.Box.Y, f.Box.X+f.Box.W, f.Box.Y+f.Box.H); r.Overlaps(box) {
			return true, "rule " + f.Rule
		}
	}
	var all strings.Builder
	for _, l := range lines {
		for _, w := range l.Words {
			all.WriteString(norm(w.Text))
		}
	}
	text := all.String()
	if n := norm(item.Text); n != "" && strings.Contains(text, n) {
		return true, "text"
	}
	for _, w := range strings.Fields(item.Text) {
		if n := norm(w); len(n) >= 4 && strings.Contains(text, n) {
			return true, "word " + n
		}
	}
	return false, ""
}

func itemRect(it corpus.Item) image.Rectangle {
	return image.Rect(it.Box.X, it.Box.Y, it.Box.X+it.Box.W, it.Box.Y+it.Box.H)
}

// TestBlurAndPixelateUnreadable: notification cards in many sizes and
// themes; each planted item is read by Tesseract as drawn (the control:
// the test can fail), then covered with blur and with pixelate, and must
// be unreadable.
func TestBlurAndPixelateUnreadable(t *testing.T) {
	eng := newEngine(t)
	rs := corpusRules(t)
	n := 30
	if testing.Short() {
		n = 10
	}
	read, total := 0, 0
	for i := range n {
		card := corpus.NewNotification(7, i)
		// On a neutral margin, as on screen, so Tesseract gets context.
		img := image.NewRGBA(card.Image.Rect.Inset(-20))
		draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
		draw.Draw(img, card.Image.Rect, card.Image, image.Point{}, draw.Src)
		for _, it := range card.Items {
			box := itemRect(it)
			total++
			lines, err := eng.RecognizeRegions(context.Background(), img, []image.Rectangle{img.Rect})
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := legible(rs, lines, it, box); ok {
				read++
			}
			for _, mode := range []feed.Redact{feed.RedactBlur, feed.RedactPixelate, feed.RedactBlack} {
				red := image.NewRGBA(img.Rect)
				copy(red.Pix, img.Pix)
				mode.Apply(red, box)
				lines, err := eng.RecognizeRegions(context.Background(), red, []image.Rectangle{red.Rect})
				if err != nil {
					t.Fatal(err)
				}
				if ok, why := legible(rs, lines, it, box); ok {
					t.Errorf("card %d (%s, %d px): %v leaves the %s item legible (%s)", i, card.Theme, it.FontPx, mode, it.Kind, why)
				}
			}
		}
	}
	t.Logf("control: %d of %d items legible as drawn", read, total)
	if read*10 < total*8 {
		t.Errorf("only %d of %d items read as drawn: the check cannot tell covered from unreadable", read, total)
	}
}
