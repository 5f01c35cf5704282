package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/ocr"
)

// fakeEngine "reads" words chosen by the image width, so each test image
// says what OCR sees in it without Tesseract.
type fakeEngine struct {
	recognize func(ctx context.Context, img image.Image) ([]rules.Line, error)
	closed    *bool
}

func (f fakeEngine) Recognize(ctx context.Context, img image.Image) ([]rules.Line, error) {
	return f.recognize(ctx, img)
}

func (f fakeEngine) Close() error {
	if f.closed != nil {
		*f.closed = true
	}
	return nil
}

// widthOCR maps an image width to the words read in it, one line per
// entry, each word 10 px apart on the same row.
func widthOCR(texts map[int]string, conf float64) func(context.Context, image.Image) ([]rules.Line, error) {
	return func(_ context.Context, img image.Image) ([]rules.Line, error) {
		t, ok := texts[img.Bounds().Dx()]
		if !ok {
			return nil, nil
		}
		var l rules.Line
		x := 10
		for _, w := range strings.Fields(t) {
			b := rules.Box{X: x, Y: 20, W: 8 * len(w), H: 14}
			l.Words = append(l.Words, rules.Word{Text: w, Box: b, Conf: conf})
			l.Box = l.Box.Union(b)
			x += 8*len(w) + 10
		}
		return []rules.Line{l}, nil
	}
}

func useFakeEngine(t *testing.T, e fakeEngine) *ocr.Options {
	t.Helper()
	var got ocr.Options
	old := newEngine
	newEngine = func(o ocr.Options) (ocrEngine, error) { got = o; return e, nil }
	t.Cleanup(func() { newEngine = old })
	return &got
}

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runCmd runs demoguard in-process and returns stdout, stderr, exit code.
func runScanCmd(t *testing.T, stdin []byte, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, bytes.NewReader(stdin), &out, &errb)
	code := 0
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) {
			t.Fatalf("run: %v", err)
		}
		code = ee.code
		if ee.msg != "" {
			errb.WriteString("demoguard: " + ee.msg + "\n")
		}
	}
	return out.String(), errb.String(), code
}

// scanDir lays out the test inputs in a fresh directory and makes it the
// working directory, so that source names in the output are relative.
func scanDir(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	writePNG(t, "shots/clean.png", 100, 50)
	writePNG(t, "shots/secret.png", 101, 50)
	writePNG(t, "shots/key.png", 102, 50)
	if err := os.WriteFile("shots/notes.txt", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("broken.png", []byte("\x89PNG\r\n\x1a\nxx"), 0o644); err != nil {
		t.Fatal(err)
	}
}

var scanTexts = map[int]string{
	// Read with one letter wrong: a fuzzy match, which keeps the
	// confidence floor (an exact read of a listed term would clear it).
	101: "deck marked TOP SECRFT today",
	102: "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
}

func TestScanCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		conf       float64
		wantCode   int
		wantOut    []string
		notOut     []string
		wantErr    []string
		golden     string
		wantWorker int
	}{
		{
			name: "clean", args: []string{"scan", "shots/clean.png"}, conf: 0.9, wantCode: exitClean,
			wantOut: []string{"scanned 1 source (1 page): no findings"},
		},
		{
			name: "findings text", args: []string{"scan", "shots"}, conf: 0.9, wantCode: exitFindings,
			wantErr: []string{"skipping shots/notes.txt: not an image, PDF, office document or recording"}, golden: "cmd_findings.txt",
		},
		{
			name: "error and findings", args: []string{"scan", "--format", "json", "broken.png", "shots"}, conf: 0.9, wantCode: exitErr,
			golden: "cmd_errors.json",
		},
		{
			name: "flags after paths", args: []string{"scan", "shots/secret.png", "--format", "sarif", "--workers", "3"}, conf: 0.9,
			wantCode: exitFindings, wantOut: []string{`"version": "2.1.0"`, `"ruleId": "classification-marker"`}, notOut: []string{"TOP SECRFT"},
			wantWorker: 3,
		},
		{
			name: "below min-conf", args: []string{"scan", "shots/secret.png"}, conf: 0.3, wantCode: exitClean,
			wantOut: []string{"no findings; 1 low-confidence match below --min-conf 0.50 ignored"},
		},
		{
			name: "min-conf lowered", args: []string{"scan", "--min-conf", "0.2", "shots/secret.png"}, conf: 0.3, wantCode: exitFindings,
			wantOut: []string{`"TOP SECRFT"`},
		},
		{
			name: "bad format", args: []string{"scan", "--format", "xml", "shots"}, wantCode: exitErr,
			wantErr: []string{`--format "xml"`},
		},
		{
			name: "no paths", args: []string{"scan"}, wantCode: exitErr,
			wantErr: []string{"no PATH given"},
		},
		{
			name: "missing rules file", args: []string{"scan", "--rules", "nope.toml", "shots"}, wantCode: exitErr,
			wantErr: []string{"nope.toml"},
		},
		{
			name: "dash-dash", args: []string{"scan", "--", "--format"}, wantCode: exitErr,
			wantOut: []string{"error: --format: no such file or directory"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scanDir(t)
			got := useFakeEngine(t, fakeEngine{recognize: widthOCR(scanTexts, tc.conf)})
			out, errOut, code := runScanCmd(t, nil, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notOut {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut, "\r") {
				t.Errorf("progress line on a stderr that is not a terminal: %q", errOut)
			}
			if tc.wantWorker > 0 && got.Workers != tc.wantWorker {
				t.Errorf("engine started with %d workers; want %d", got.Workers, tc.wantWorker)
			}
			if tc.golden != "" {
				checkScanGolden(t, tc.golden, out)
			}
		})
	}
}

func TestScanStdinAndEvidence(t *testing.T) {
	scanDir(t)
	closed := false
	useFakeEngine(t, fakeEngine{recognize: widthOCR(scanTexts, 0.9), closed: &closed})
	data, err := os.ReadFile("shots/secret.png")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runScanCmd(t, data, "scan", "--format", "json", "--evidence", "ev", "-")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var rep struct {
		Findings []struct {
			Source string `json:"source"`
			Rule   string `json:"rule"`
		} `json:"findings"`
		Scanned int `json:"scanned"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Scanned != 1 || len(rep.Findings) != 1 || rep.Findings[0].Source != "<stdin>" {
		t.Errorf("report %+v", rep)
	}
	if _, err := os.Stat(filepath.Join("ev", "stdin.evidence.png")); err != nil {
		t.Errorf("evidence: %v (stderr %s)", err, errOut)
	}
	if !closed {
		t.Error("OCR engine not closed")
	}
}

// updateScan rewrites testdata/scan/golden/cmd_*; named apart from any
// -update of the package's other tests.
var updateScan = flag.Bool("update-scan", false, "rewrite the scan command's golden files")

// testdataDir is absolute: the scan tests change the working directory.
var testdataDir = func() string {
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata"))
	if err != nil {
		panic(err)
	}
	return p
}()

func checkScanGolden(t *testing.T, name, got string) {
	t.Helper()
	// The test runs in a temporary working directory.
	path := filepath.Join(testdataDir, "scan", "golden", name)
	if *updateScan {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-scan to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update-scan if intended)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}
