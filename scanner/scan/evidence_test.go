package scan

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/rules"
)

func TestEvidenceName(t *testing.T) {
	tests := []struct {
		src  string
		page int
		pdf  bool
		want string
	}{
		{"slides/03.png", 0, false, "slides_03.png.evidence.png"},
		{"../../etc/passwd", 0, false, "etc_passwd.evidence.png"},
		{"/abs/deck.pdf", 2, true, "abs_deck.pdf-page2.evidence.png"},
		{StdinName, 0, false, "stdin.evidence.png"},
		{".hidden.png", 0, false, "hidden.png.evidence.png"},
		{"a b\nc.png", 0, false, "a_b_c.png.evidence.png"},
	}
	for _, tc := range tests {
		if got := EvidenceName(tc.src, tc.page, tc.pdf); got != tc.want {
			t.Errorf("EvidenceName(%q) = %q; want %q", tc.src, got, tc.want)
		}
	}
}

// textImage has "text" (dark pixels) in the finding box on a white page.
func textImage() *image.RGBA {
	img := solid(200, 100, color.White)
	for y := 40; y < 52; y++ {
		for x := 50; x < 120; x += 2 {
			img.Set(x, y, color.RGBA{20, 20, 20, 255})
		}
	}
	return img
}

func TestEvidence(t *testing.T) {
	dir := t.TempDir()
	src := write(t, filepath.Join(dir, "in", "shot.png"), encode(t, "png", textImage()))
	before, _ := os.ReadFile(src)
	evDir := filepath.Join(dir, "evidence")
	box := rules.Box{X: 50, Y: 40, W: 70, H: 12}
	rec := fakeRecognizer{recognize: func(context.Context, image.Image) ([]rules.Line, error) {
		return []rules.Line{{Words: []rules.Word{{Text: "Walmart", Box: box, Conf: 0.9}}}}, nil
	}}
	s := newTestScanner(t, Options{Recognizer: rec, Matcher: wordMatcher("Walmart"), EvidenceDir: evDir})

	// Twice: the second run must not overwrite the first file.
	var written []string
	for range 2 {
		res, err := s.Run(context.Background(), []string{src})
		if err != nil || len(res.Errors) > 0 {
			t.Fatalf("err %v, errors %v", err, res.Errors)
		}
		if len(res.Evidence) != 1 {
			t.Fatalf("evidence %v; want one file", res.Evidence)
		}
		written = append(written, res.Evidence[0])
	}
	if written[0] == written[1] || !strings.HasSuffix(written[1], "-1.png") {
		t.Errorf("evidence files %v; want a second, numbered file", written)
	}
	after, _ := os.ReadFile(src)
	if string(before) != string(after) {
		t.Error("the original image was modified")
	}
	f, err := os.Open(written[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("evidence mode %v; want 0600", fi.Mode().Perm())
	}
	ev, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Bounds() != textImage().Bounds() {
		t.Fatalf("evidence size %v", ev.Bounds())
	}
	// Every pixel of the box is black: nothing of the text survives.
	for y := box.Y; y < box.Y+box.H; y++ {
		for x := box.X; x < box.X+box.W; x++ {
			if r, g, b, _ := ev.At(x, y).RGBA(); r|g|b != 0 {
				t.Fatalf("pixel %d,%d inside the box is %v, not black", x, y, ev.At(x, y))
			}
		}
	}
	// The outline is drawn (red for high) and the rest of the page is kept.
	if c := color.RGBAModel.Convert(ev.At(box.X+box.W+4, box.Y+box.H/2)).(color.RGBA); c.R < 200 || c.G > 50 {
		t.Errorf("no red outline right of the box: %v", c)
	}
	if c := color.RGBAModel.Convert(ev.At(5, 95)).(color.RGBA); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("page outside the box changed: %v", c)
	}
}
