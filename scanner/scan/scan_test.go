package scan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/scan/testpdf"
)

// fakeRecognizer answers with func fields so each test says what OCR sees.
type fakeRecognizer struct {
	recognize func(ctx context.Context, img image.Image) ([]rules.Line, error)
}

func (f fakeRecognizer) Recognize(ctx context.Context, img image.Image) ([]rules.Line, error) {
	return f.recognize(ctx, img)
}

type fakeMatcher struct {
	match func(lines []rules.Line) []rules.Finding
}

func (f fakeMatcher) Match(lines []rules.Line) []rules.Finding { return f.match(lines) }

// sizeOCR "reads" one word per image, chosen by the image width, with a
// box and confidence: the tests' images differ by width.
func sizeOCR(words map[int]rules.Word) fakeRecognizer {
	return fakeRecognizer{recognize: func(_ context.Context, img image.Image) ([]rules.Line, error) {
		w, ok := words[img.Bounds().Dx()]
		if !ok {
			return nil, nil
		}
		return []rules.Line{{Words: []rules.Word{w}, Box: w.Box}}, nil
	}}
}

// wordMatcher flags every word in terms, with the word's confidence.
func wordMatcher(terms ...string) fakeMatcher {
	return fakeMatcher{match: func(lines []rules.Line) []rules.Finding {
		var out []rules.Finding
		for i, l := range lines {
			for _, w := range l.Words {
				if slices.Contains(terms, w.Text) {
					out = append(out, rules.Finding{Rule: "customers", Severity: rules.High, Text: w.Text, Box: w.Box, Confidence: w.Conf, Line: i})
				}
			}
		}
		return out
	}}
}

func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

func encode(t *testing.T, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	default:
		t.Fatalf("no encoder for %s", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func write(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// hugePNG is a valid PNG signature and IHDR claiming w×h pixels, and
// nothing else: decoding it would need w*h*4 bytes.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func newTestScanner(t *testing.T, opt Options) *Scanner {
	t.Helper()
	s, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func needPoppler(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"pdfinfo", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (poppler-utils)", tool)
		}
	}
}

func errorSources(res *Result) []string {
	var out []string
	for _, e := range res.Errors {
		out = append(out, e.Source)
	}
	return out
}

func TestScanFormats(t *testing.T) {
	dir := t.TempDir()
	img := solid(40, 30, color.White)
	var paths []string
	for _, f := range []string{"png", "jpeg", "gif", "bmp"} {
		paths = append(paths, write(t, filepath.Join(dir, "a."+f), encode(t, f, img)))
	}
	webp, err := os.ReadFile("../../testdata/scan/inputs/gopher.webp")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, write(t, filepath.Join(dir, "g.webp"), webp))
	// A PNG named .jpg is read by content.
	paths = append(paths, write(t, filepath.Join(dir, "misnamed.jpg"), encode(t, "png", img)))

	var mu sync.Mutex
	seen := map[image.Point]int{}
	rec := fakeRecognizer{recognize: func(_ context.Context, img image.Image) ([]rules.Line, error) {
		mu.Lock()
		seen[img.Bounds().Size()]++
		mu.Unlock()
		return nil, nil
	}}
	s := newTestScanner(t, Options{Recognizer: rec, Matcher: wordMatcher()})
	res, err := s.Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if res.Scanned != len(paths) || res.Pages != len(paths) {
		t.Errorf("scanned %d sources, %d pages; want %d", res.Scanned, res.Pages, len(paths))
	}
	if seen[image.Pt(40, 30)] != 5 || len(seen) != 2 {
		t.Errorf("OCR saw sizes %v; want 5 of 40x30 and the WebP", seen)
	}
}

func TestBadInputs(t *testing.T) {
	needPoppler(t)
	dir := t.TempDir()
	good := encode(t, "png", solid(40, 30, color.White))
	pdf := testpdf.Make(testpdf.Page{Image: solid(40, 30, color.White), DPI: 150})

	cases := []struct {
		name    string
		make    func() string // returns the path to scan
		wantErr string        // substring of the one error line
	}{
		{"corrupt png", func() string {
			return write(t, filepath.Join(dir, "corrupt.png"), append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0x42}, 100)...))
		}, "corrupt.png: "},
		{"truncated png", func() string { return write(t, filepath.Join(dir, "trunc.png"), good[:len(good)/2]) }, "trunc.png: "},
		{"empty file", func() string { return write(t, filepath.Join(dir, "empty.png"), nil) }, "empty.png: empty file"},
		{"huge png header", func() string { return write(t, filepath.Join(dir, "huge.png"), hugePNG(100000, 100000)) }, "100000x100000 pixels (10000.0 MP): over the limit of 100 MP"},
		{"corrupt pdf", func() string {
			return write(t, filepath.Join(dir, "corrupt.pdf"), []byte("%PDF-1.4\ngarbage\n"))
		}, "corrupt.pdf: pdfinfo: "},
		{"truncated pdf", func() string { return write(t, filepath.Join(dir, "trunc.pdf"), pdf[:len(pdf)/2]) }, "trunc.pdf: "},
		{"text file", func() string { return write(t, filepath.Join(dir, "notes.txt"), []byte("hello")) }, "notes.txt: unsupported format"},
		{"missing path", func() string { return filepath.Join(dir, "nope.png") }, "nope.png: no such file or directory"},
		{"symlink loop", func() string {
			loop := filepath.Join(dir, "loop")
			write(t, filepath.Join(loop, "sub", "a.png"), good)
			if err := os.Symlink("..", filepath.Join(loop, "sub", "up")); err != nil {
				t.Fatal(err)
			}
			return loop
		}, "directory loop through symlinks"},
		{"self symlink", func() string {
			p := filepath.Join(dir, "self.png")
			if err := os.Symlink("self.png", p); err != nil {
				t.Fatal(err)
			}
			return p
		}, "self.png: too many levels of symbolic links"},
	}
	if os.Geteuid() != 0 { // root reads mode 000 files
		cases = append(cases, struct {
			name    string
			make    func() string
			wantErr string
		}{"unreadable", func() string {
			p := write(t, filepath.Join(dir, "secret.png"), good)
			os.Chmod(p, 0)
			return p
		}, "secret.png: permission denied"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.make()
			ok := write(t, filepath.Join(t.TempDir(), "ok.png"), good)
			s := newTestScanner(t, Options{
				Recognizer: sizeOCR(map[int]rules.Word{40: {Text: "Walmart", Box: rules.Box{X: 1, Y: 2, W: 30, H: 10}, Conf: 0.9}}),
				Matcher:    wordMatcher("Walmart"),
			})
			res, err := s.Run(context.Background(), []string{bad, ok})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) != 1 {
				t.Fatalf("errors = %v; want exactly one", res.Errors)
			}
			t.Log(res.Errors[0].Error())
			line := res.Errors[0].Error()
			if strings.Contains(line, "\n") || !strings.Contains(line, tc.wantErr) {
				t.Errorf("error %q; want one line containing %q", line, tc.wantErr)
			}
			if !slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Source == ok }) {
				t.Errorf("the good file after the bad one was not scanned: %+v", res.Findings)
			}
		})
	}
}

func TestHugePNGNotDecoded(t *testing.T) {
	// The check must happen before decoding: decoding would try to allocate
	// 40 GB or fail on the missing IDAT; neither may happen.
	_, err := decodeLimited(bytes.NewReader(hugePNG(100000, 100000)), DefaultMaxPixels)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v; want ErrTooLarge", err)
	}
}

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	png40 := encode(t, "png", solid(40, 30, color.White))
	write(t, filepath.Join(dir, "b", "2.png"), png40)
	write(t, filepath.Join(dir, "a.PNG"), png40)
	write(t, filepath.Join(dir, "b", "readme.md"), []byte("x"))
	write(t, filepath.Join(dir, "b", "c", "3.bmp"), encode(t, "bmp", solid(40, 30, color.White)))
	// A link to a sibling directory already walked: skipped, not a loop.
	if err := os.Symlink(filepath.Join(dir, "b", "c"), filepath.Join(dir, "d")); err != nil {
		t.Fatal(err)
	}
	var notes []string
	s := newTestScanner(t, Options{
		Recognizer: sizeOCR(nil), Matcher: wordMatcher(),
		Note: func(m string) { notes = append(notes, m) },
	})
	srcs, errs := s.collect(context.Background(), []string{dir, filepath.Join(dir, "a.PNG")})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var got []string
	for _, s := range srcs {
		rel, _ := filepath.Rel(dir, s.name)
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{"a.PNG", "b/2.png", "b/c/3.bmp"}
	if !slices.Equal(got, want) {
		t.Errorf("sources %v; want %v", got, want)
	}
	joined := strings.Join(notes, "\n")
	for _, w := range []string{"readme.md: not an image, PDF, office document or recording", "same directory as", "same file as"} {
		if !strings.Contains(joined, w) {
			t.Errorf("notes %q lack %q", joined, w)
		}
	}
}

func TestStdin(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		args    []string
		wantErr string
	}{
		{"png", encode(t, "png", solid(40, 30, color.White)), []string{"-"}, ""},
		{"garbage", []byte("not an image"), []string{"-"}, "<stdin>: unsupported format"},
		{"twice", encode(t, "png", solid(40, 30, color.White)), []string{"-", "-"}, `"-" given more than once`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScanner(t, Options{
				Recognizer: sizeOCR(map[int]rules.Word{40: {Text: "Walmart", Box: rules.Box{X: 1, Y: 2, W: 30, H: 10}, Conf: 0.9}}),
				Matcher:    wordMatcher("Walmart"),
				Stdin:      bytes.NewReader(tc.data),
			})
			res, err := s.Run(context.Background(), tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr == "" {
				if len(res.Errors) != 0 || len(res.Findings) != 1 || res.Findings[0].Source != StdinName {
					t.Fatalf("result %+v", res)
				}
				return
			}
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), tc.wantErr) {
				t.Fatalf("errors %v; want %q", res.Errors, tc.wantErr)
			}
		})
	}
}

func TestMinConf(t *testing.T) {
	dir := t.TempDir()
	a := write(t, filepath.Join(dir, "a.png"), encode(t, "png", solid(40, 30, color.White)))
	b := write(t, filepath.Join(dir, "b.png"), encode(t, "png", solid(41, 30, color.White)))
	words := map[int]rules.Word{
		40: {Text: "Walmart", Box: rules.Box{W: 5, H: 5}, Conf: 0.49},
		41: {Text: "Walmart", Box: rules.Box{W: 5, H: 5}, Conf: 0.5},
	}
	tests := []struct {
		minConf float64
		want    []string // sources with findings
		dropped int
	}{
		{0, []string{b}, 1}, // zero means the default 0.5: 0.5 is kept, 0.49 not
		{0.4, []string{a, b}, 0},
		{0.9, nil, 2},
		{-1, []string{a, b}, 0},
	}
	for _, tc := range tests {
		s := newTestScanner(t, Options{Recognizer: sizeOCR(words), Matcher: wordMatcher("Walmart"), MinConf: tc.minConf})
		res, err := s.Run(context.Background(), []string{a, b})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Source)
		}
		if !slices.Equal(got, tc.want) || res.Dropped != tc.dropped {
			t.Errorf("min-conf %v: findings in %v, %d dropped; want %v, %d", tc.minConf, got, res.Dropped, tc.want, tc.dropped)
		}
	}
}

func TestOrderAndErrorsStable(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	words := map[int]rules.Word{}
	for i := range 8 {
		w := 40 + i
		words[w] = rules.Word{Text: "Walmart", Box: rules.Box{X: i, W: 5, H: 5}, Conf: 0.9}
		paths = append(paths, write(t, filepath.Join(dir, string(rune('a'+i))+".png"), encode(t, "png", solid(w, 30, color.White))))
		if i == 3 {
			paths = append(paths, filepath.Join(dir, "missing.png"))
		}
	}
	rec := sizeOCR(words)
	failing := fakeRecognizer{recognize: func(ctx context.Context, img image.Image) ([]rules.Line, error) {
		if img.Bounds().Dx() == 45 {
			return nil, errors.New("worker died")
		}
		return rec.Recognize(ctx, img)
	}}
	s := newTestScanner(t, Options{Recognizer: failing, Matcher: wordMatcher("Walmart"), Parallel: 4})
	res, err := s.Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, filepath.Base(f.Source))
	}
	if want := []string{"a.png", "b.png", "c.png", "d.png", "e.png", "g.png", "h.png"}; !slices.Equal(got, want) {
		t.Errorf("findings in %v; want %v", got, want)
	}
	if es := errorSources(res); len(es) != 2 || filepath.Base(es[0]) != "missing.png" || filepath.Base(es[1]) != "f.png" {
		t.Errorf("errors %v; want missing.png then f.png", res.Errors)
	}
	if res.Scanned != 7 {
		t.Errorf("scanned %d; want 7", res.Scanned)
	}
}

func TestPDF(t *testing.T) {
	needPoppler(t)
	dir := t.TempDir()
	// Pages at 150 dpi of distinct widths, so the fake OCR can tell them
	// apart and the rendered size proves the resolution.
	pdf := testpdf.Make(
		testpdf.Page{Image: solid(300, 200, color.White), DPI: 150},
		testpdf.Page{Image: solid(310, 200, color.RGBA{0, 0, 80, 255}), DPI: 150},
		testpdf.Page{Image: solid(320, 200, color.White), DPI: 150},
	)
	write(t, filepath.Join(dir, "-deck.pdf"), pdf) // leading dash: not an option
	var mu sync.Mutex
	var sizes []image.Point
	rec := fakeRecognizer{recognize: func(_ context.Context, img image.Image) ([]rules.Line, error) {
		mu.Lock()
		sizes = append(sizes, img.Bounds().Size())
		mu.Unlock()
		if img.Bounds().Dx() == 310 {
			w := rules.Word{Text: "Walmart", Box: rules.Box{X: 10, Y: 20, W: 50, H: 12}, Conf: 0.95}
			return []rules.Line{{Words: []rules.Word{w}}}, nil
		}
		return nil, nil
	}}
	s := newTestScanner(t, Options{Recognizer: rec, Matcher: wordMatcher("Walmart"), PDFDPI: 150})
	t.Chdir(dir)
	res, err := s.Run(context.Background(), []string{"-deck.pdf"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors %v", res.Errors)
	}
	if res.Pages != 3 || res.Scanned != 1 {
		t.Errorf("pages %d scanned %d; want 3, 1", res.Pages, res.Scanned)
	}
	slices.SortFunc(sizes, func(a, b image.Point) int { return a.X - b.X })
	if want := []image.Point{{300, 200}, {310, 200}, {320, 200}}; !slices.Equal(sizes, want) {
		t.Errorf("rendered sizes %v; want %v", sizes, want)
	}
	if len(res.Findings) != 1 || res.Findings[0].Page != 1 || !res.Findings[0].Paged {
		t.Errorf("findings %+v; want one on page 1", res.Findings)
	}
}

func TestPDFLimits(t *testing.T) {
	needPoppler(t)
	dir := t.TempDir()
	page := testpdf.Page{Image: solid(30, 20, color.White), DPI: 150}
	three := write(t, filepath.Join(dir, "three.pdf"), testpdf.Make(page, page, page))
	// 4 px at 0.01 dpi is a 400-inch page: 60000 px wide at 150 dpi.
	giant := write(t, filepath.Join(dir, "giant.pdf"), testpdf.Make(page, testpdf.Page{Image: solid(4, 4, color.White), DPI: 0.01}))

	tests := []struct {
		name     string
		path     string
		maxPages int
		wantErr  string
		pages    int
	}{
		{"too many pages", three, 2, "three.pdf: 3 pages: over the limit of 2", 0},
		{"absurd page size", giant, 0, "giant.pdf: page 2: page of 28800x28800 pt at 150 dpi", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScanner(t, Options{Recognizer: sizeOCR(nil), Matcher: wordMatcher(), MaxPages: tc.maxPages})
			res, err := s.Run(context.Background(), []string{tc.path})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), tc.wantErr) || !errors.Is(res.Errors[0].Err, ErrTooLarge) {
				t.Fatalf("errors %v; want %q", res.Errors, tc.wantErr)
			}
			if res.Pages != tc.pages {
				t.Errorf("pages %d; want %d", res.Pages, tc.pages)
			}
		})
	}
}

func TestPPMRefusesHugeHeader(t *testing.T) {
	_, err := readPPM(bufioReader("P6\n100000 100000\n255\n"), DefaultMaxPixels)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v; want ErrTooLarge", err)
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

func TestParsePDFInfo(t *testing.T) {
	out := "Title: x\nPages:           2\nPage    1 size:  612 x 792 pts (letter)\nPage    1 rot:   0\nPage    2 size:  960 x 540 pts\n"
	sizes, err := parsePDFInfo([]byte(out), 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []PageSize{{612, 792}, {960, 540}}; !slices.Equal(sizes, want) {
		t.Errorf("sizes %v; want %v", sizes, want)
	}
	if _, err := parsePDFInfo([]byte(out), 1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v; want ErrTooLarge for 2 pages over a limit of 1", err)
	}
}

func TestStdinPDF(t *testing.T) {
	needPoppler(t)
	pdf := testpdf.Make(testpdf.Page{Image: solid(40, 30, color.White), DPI: 150}, testpdf.Page{Image: solid(40, 30, color.White), DPI: 150})
	s := newTestScanner(t, Options{
		Recognizer: sizeOCR(map[int]rules.Word{40: {Text: "Walmart", Box: rules.Box{W: 5, H: 5}, Conf: 0.9}}),
		Matcher:    wordMatcher("Walmart"),
		Stdin:      bytes.NewReader(pdf),
	})
	res, err := s.Run(context.Background(), []string{"-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 || res.Pages != 2 || len(res.Findings) != 2 || res.Findings[1].Page != 1 {
		t.Fatalf("result %+v", res)
	}
}
