package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/rules"
)

// TestScanVideoCommand: a recording through the command — JSON time/end,
// the text span, --redact and --evidence files, --max-duration as an error
// (exit 2).
func TestScanVideoCommand(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not installed (apt-get install ffmpeg)")
	}
	dir := t.TempDir()
	var bars []string
	for i := range 8 {
		bars = append(bars, fmt.Sprintf("drawbox=x=%d:y=40:w=5:h=%d:color=white:t=fill:enable='gte(t,0.5)*lt(t,1.5)'", 40+10*i, 20+4*(i%3)))
	}
	clip := filepath.Join(dir, "clip.mp4")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=black:s=200x120:r=20:d=2",
		"-vf", strings.Join(bars, ","), "-c:v", "libx264", "-pix_fmt", "yuv420p", clip).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	// OCR "reads" Walmart wherever there is white.
	useFakeEngine(t, fakeEngine{recognize: func(_ context.Context, img image.Image) ([]rules.Line, error) {
		var r image.Rectangle
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if cr, _, _, _ := img.At(x, y).RGBA(); cr > 0xe000 {
					r = r.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		if r.Empty() {
			return nil, nil
		}
		box := rules.Box{X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()}
		return []rules.Line{{Box: box, Words: []rules.Word{{Text: "Walmart", Box: box, Conf: 0.9}}}}, nil
	}})
	rulesFile := filepath.Join(dir, "r.toml")
	os.WriteFile(rulesFile, []byte("[[rules]]\nid = \"customers\"\nseverity = \"high\"\nterms = [\"Walmart\"]\n"), 0o644)

	out, errOut, code := runScanCmd(t, nil, "scan", "--rules", rulesFile, "--format", "json", "--redact", filepath.Join(dir, "red"), "--evidence", filepath.Join(dir, "ev"), clip)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings); stderr %s", code, errOut)
	}
	var rep struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rep.Findings) != 1 || rep.Findings[0]["time"] != 0.5 || rep.Findings[0]["end"] != 1.5 {
		t.Fatalf("findings %v, want one from 0.5 to 1.5", rep.Findings)
	}
	if _, err := os.Stat(filepath.Join(dir, "red", "clip.redacted.mp4")); err != nil {
		t.Errorf("redacted copy: %v", err)
	}
	// Evidence is named by the source path (flattened), time and rule.
	if ev, _ := filepath.Glob(filepath.Join(dir, "ev", "*clip.mp4-00h00m00.500s-customers.evidence.png")); len(ev) != 1 {
		t.Errorf("evidence files %v (stderr %s)", ev, errOut)
	}
	out, _, _ = runScanCmd(t, nil, "scan", "--rules", rulesFile, clip)
	if !strings.Contains(out, "00:00:00.500–00:00:01.500  high      customers") {
		t.Errorf("text output:\n%s", out)
	}
	out, _, code = runScanCmd(t, nil, "scan", "--rules", rulesFile, "--max-duration", "1s", clip)
	if code != 2 || !strings.Contains(out, "longer than --max-duration") {
		t.Errorf("--max-duration 1s: exit %d, output:\n%s", code, out)
	}
}
