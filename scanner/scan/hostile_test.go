package scan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/scan/testpdf"
)

// cropBoxPDF is issue 13's page: a 13000x13000 pt MediaBox around a
// letter-size CropBox holding the text. pdfinfo reports the CropBox;
// pdftoppm without -cropbox renders the MediaBox, fails to allocate it and
// still exits 0 with a 1x1 image.
func cropBoxPDF() []byte {
	return testpdf.Make(testpdf.Page{
		MediaBox: [4]float64{0, 0, 13000, 13000},
		CropBox:  [4]float64{0, 0, 612, 792},
		Text:     []testpdf.Text{{X: 72, Y: 700, Size: 24, S: "Walmart renewal $580.4 million"}},
	})
}

// TestCropBoxRendered: the page is rendered as a viewer shows it, at the
// CropBox's size, so OCR gets the whole visible page.
func TestCropBoxRendered(t *testing.T) {
	needPoppler(t)
	path := write(t, filepath.Join(t.TempDir(), "renewal.pdf"), cropBoxPDF())
	var mu sync.Mutex
	var got []image.Point
	rec := fakeRecognizer{recognize: func(_ context.Context, img image.Image) ([]rules.Line, error) {
		mu.Lock()
		got = append(got, img.Bounds().Size())
		mu.Unlock()
		w := rules.Word{Text: "Walmart", Box: rules.Box{X: 150, Y: 180, W: 180, H: 40}, Conf: 0.9}
		return []rules.Line{{Words: []rules.Word{w}}}, nil
	}}
	s := newTestScanner(t, Options{Recognizer: rec, Matcher: wordMatcher("Walmart"), PDFDPI: 150})
	res, err := s.Run(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors %v", res.Errors)
	}
	// 612x792 pt at 150 dpi.
	if len(got) != 1 || got[0] != (image.Point{1275, 1650}) {
		t.Errorf("OCR saw %v; want one 1275x1650 page", got)
	}
	if len(res.Findings) != 1 {
		t.Errorf("findings %v; want 1", res.Findings)
	}
}

// fakePoppler puts a pdftoppm script first in PATH that writes the given
// PPM header (and white pixels for it) and stderr, then exits 0: the ways a
// renderer reports success while handing back less than the page.
func fakePoppler(t *testing.T, w, h int, stderr string) {
	t.Helper()
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nprintf 'P6\\n%d %d\\n255\\n'\nhead -c %d /dev/zero | tr '\\000' '\\377'\nprintf '%%s' '%s' >&2\nexit 0\n", w, h, 3*w*h, stderr)
	if err := os.WriteFile(filepath.Join(dir, "pdftoppm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestRenderFailuresAreErrors(t *testing.T) {
	needPoppler(t)
	// A 40x30 pt page rendered at 72 dpi is 40x30 px.
	pdf := testpdf.Make(testpdf.Page{MediaBox: [4]float64{0, 0, 40, 30}})
	tests := []struct {
		name    string
		w, h    int
		stderr  string
		wantErr string // "" means the page is scanned
	}{
		{"1x1 after failed allocation", 1, 1, "Bogus memory allocation size\n", "page 1: pdftoppm: Bogus memory allocation size"},
		{"1x1 and silent", 1, 1, "", "page 1: page not read in full: rendered 1x1 px, want 40x30"},
		{"strip of the page", 40, 10, "", "rendered 40x10 px, want 40x30"},
		{"internal error, right size", 40, 30, "Internal Error: xyz\n", "page 1: pdftoppm: Internal Error: xyz"},
		{"out of memory", 40, 30, "Out of memory\n", "page 1: pdftoppm: Out of memory"},
		{"rounding", 41, 31, "", ""},
		{"repaired syntax", 40, 30, "Syntax Error (12): Illegal character\nSyntax Warning: x\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, filepath.Join(t.TempDir(), "deck.pdf"), pdf)
			fakePoppler(t, tc.w, tc.h, tc.stderr)
			s := newTestScanner(t, Options{Recognizer: sizeOCR(nil), Matcher: wordMatcher(), PDFDPI: 72})
			res, err := s.Run(context.Background(), []string{path})
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr == "" {
				if len(res.Errors) > 0 || res.Scanned != 1 {
					t.Fatalf("errors %v, scanned %d; want the page scanned", res.Errors, res.Scanned)
				}
				return
			}
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), tc.wantErr) || !strings.HasPrefix(res.Errors[0].Error(), path+": ") {
				t.Fatalf("errors %v; want one for %s containing %q", res.Errors, path, tc.wantErr)
			}
			if res.Scanned != 0 || res.Pages != 0 {
				t.Errorf("scanned %d pages %d; a page not read is not scanned", res.Scanned, res.Pages)
			}
		})
	}
}

// TestNoTextReadFromTextPage: a page whose text objects are there (pdftotext
// finds them) but OCR reads nothing was not scanned, whatever the reason
// (invisible text here; a failed render or OCR in the wild).
func TestNoTextReadFromTextPage(t *testing.T) {
	needPoppler(t)
	dir := t.TempDir()
	blank := write(t, filepath.Join(dir, "blank.pdf"), testpdf.Make(testpdf.Page{MediaBox: [4]float64{0, 0, 200, 100}}))
	text := write(t, filepath.Join(dir, "text.pdf"), testpdf.Make(
		testpdf.Page{MediaBox: [4]float64{0, 0, 200, 100}},
		testpdf.Page{MediaBox: [4]float64{0, 0, 200, 100}, Text: []testpdf.Text{{X: 10, Y: 50, Size: 12, S: "Walmart renewal $580.4 million"}}},
	))
	// Text outside the CropBox is not on the page a viewer shows.
	outside := write(t, filepath.Join(dir, "outside.pdf"), testpdf.Make(testpdf.Page{
		MediaBox: [4]float64{0, 0, 400, 400}, CropBox: [4]float64{0, 0, 200, 100},
		Text: []testpdf.Text{{X: 10, Y: 300, Size: 12, S: "Walmart renewal"}},
	}))
	bullets := write(t, filepath.Join(dir, "bullets.pdf"), testpdf.Make(testpdf.Page{
		MediaBox: [4]float64{0, 0, 200, 100}, Text: []testpdf.Text{{X: 10, Y: 50, Size: 12, S: "- * -"}},
	}))
	s := newTestScanner(t, Options{Recognizer: sizeOCR(nil), Matcher: wordMatcher(), PDFDPI: 72})
	res, err := s.Run(context.Background(), []string{blank, text, outside, bullets})
	if err != nil {
		t.Fatal(err)
	}
	want := text + ": page 2: page not read in full: OCR read no text, but the page has 4 words of text"
	if len(res.Errors) != 1 || res.Errors[0].Error() != want || !errors.Is(res.Errors[0].Err, ErrIncomplete) {
		t.Fatalf("errors %v; want only %q", res.Errors, want)
	}
	if res.Scanned != 3 || res.Pages != 4 {
		t.Errorf("scanned %d pages %d; want 3 and 4", res.Scanned, res.Pages)
	}
}

func TestParsePDFInfoRotation(t *testing.T) {
	out := "Pages: 2\nPage    1 size: 612 x 792 pts (letter)\nPage    1 rot:   90\nPage    2 size: 612 x 792 pts\nPage    2 rot:   180\n"
	sizes, err := parsePDFInfo([]byte(out), 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []PageSize{{792, 612}, {612, 792}}; len(sizes) != 2 || sizes[0] != want[0] || sizes[1] != want[1] {
		t.Errorf("sizes %v; want %v", sizes, want)
	}
}

// TestTruncatedImages: an image cut short is an error for its file, never
// a partial image OCRed and called clean, whatever the format.
func TestTruncatedImages(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7 % 251) // noise: every format has pixel data to cut
	}
	dir := t.TempDir()
	for _, format := range []string{"png", "jpeg", "gif", "bmp"} {
		t.Run(format, func(t *testing.T) {
			data := encode(t, format, img)
			path := write(t, filepath.Join(dir, "cut."+format), data[:len(data)*3/4])
			s := newTestScanner(t, Options{Recognizer: sizeOCR(nil), Matcher: wordMatcher()})
			res, err := s.Run(context.Background(), []string{path})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) != 1 || res.Scanned != 0 || res.Pages != 0 {
				t.Fatalf("errors %v scanned %d pages %d; want one error and nothing scanned", res.Errors, res.Scanned, res.Pages)
			}
		})
	}
}
