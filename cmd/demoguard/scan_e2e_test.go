package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/scan/testpdf"
)

// textShot draws lines of text with the 7x13 bitmap font scaled 3x (about
// 30 px text, like a slide) and returns the image and each line's box.
func textShot(w, h int, bg, fg color.Color, lines ...string) (*image.RGBA, []rules.Box) {
	const scale = 3
	small := image.NewRGBA(image.Rect(0, 0, w/scale, h/scale))
	draw.Draw(small, small.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	var boxes []rules.Box
	for i, l := range lines {
		y := 20 + 25*i
		d := font.Drawer{Dst: small, Src: image.NewUniform(fg), Face: basicfont.Face7x13, Dot: fixed.P(10, y)}
		d.DrawString(l)
		boxes = append(boxes, rules.Box{X: 10 * scale, Y: (y - 11) * scale, W: len(l) * 7 * scale, H: 13 * scale})
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.NearestNeighbor.Scale(img, img.Bounds(), small, small.Bounds(), draw.Src, nil)
	return img, boxes
}

func overlaps(a, b rules.Box) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// TestScanEndToEnd builds the real binary and scans generated images and a
// PDF made here with real OCR (Tesseract worker processes), the default
// rules and poppler, checking exit code, JSON and where findings are.
func TestScanEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs Tesseract")
	}
	for _, tool := range []string{"go", "pdftoppm", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "demoguard")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	secret, secretBoxes := textShot(960, 240, color.White, color.Black, "Agenda for the review", "TOP SECRET until Friday")
	clean, _ := textShot(960, 240, color.RGBA{30, 30, 40, 255}, color.RGBA{230, 230, 230, 255}, "Welcome to the demo", "Questions at the end")
	page2, page2Boxes := textShot(960, 300, color.White, color.RGBA{20, 20, 120, 255}, "Roadmap 2027", "Do Not Distribute")
	writeImg := func(name string, img image.Image) string {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "in", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	writeImg("a-secret.png", secret)
	writeImg("b-clean.png", clean)
	pdf := testpdf.Make(testpdf.Page{Image: clean, DPI: 150}, testpdf.Page{Image: page2, DPI: 150})
	if err := os.WriteFile(filepath.Join(dir, "in", "c-deck.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "in", "d-broken.pdf"), pdf[:len(pdf)/3], 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "scan", "--format", "json", "--workers", "2", "--evidence", filepath.Join(dir, "ev"), "in")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitErr {
		t.Fatalf("exit %v; want %d (a broken PDF among findings)\nstdout:\n%s\nstderr:\n%s", err, exitErr, stdout.String(), stderr.String())
	}
	var rep struct {
		Findings []struct {
			Source string    `json:"source"`
			Page   int       `json:"page"`
			Rule   string    `json:"rule"`
			Text   string    `json:"text"`
			Box    rules.Box `json:"box"`
		} `json:"findings"`
		Errors []struct {
			Source string `json:"source"`
			Error  string `json:"error"`
		} `json:"errors"`
		Scanned int `json:"scanned"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	t.Logf("report:\n%s", stdout.String())
	if rep.Scanned != 3 || len(rep.Errors) != 1 || rep.Errors[0].Source != filepath.Join("in", "d-broken.pdf") {
		t.Errorf("scanned %d, errors %+v; want 3 and the broken PDF", rep.Scanned, rep.Errors)
	}
	want := []struct {
		source string
		page   int
		text   string
		box    rules.Box
	}{
		{filepath.Join("in", "a-secret.png"), 0, "TOP SECRET", secretBoxes[1]},
		{filepath.Join("in", "c-deck.pdf"), 1, "Do Not Distribute", page2Boxes[1]},
	}
	if len(rep.Findings) != len(want) {
		t.Fatalf("%d findings; want %d", len(rep.Findings), len(want))
	}
	for i, w := range want {
		f := rep.Findings[i]
		if f.Source != w.source || f.Page != w.page || f.Rule != "classification-marker" ||
			!strings.EqualFold(f.Text, w.text) || !overlaps(f.Box, w.box) {
			t.Errorf("finding %d = %+v; want %s page %d %q inside %v", i, f, w.source, w.page, w.text, w.box)
		}
	}
	ev, _ := filepath.Glob(filepath.Join(dir, "ev", "*.png"))
	if len(ev) != 2 {
		t.Errorf("evidence files %v; want 2", ev)
	}
	if strings.Contains(stderr.String(), "\r") {
		t.Errorf("progress line written to a pipe: %q", stderr.String())
	}
}
