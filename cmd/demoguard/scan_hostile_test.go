package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/scan"
	"github.com/demoguard/demoguard/scanner/scan/bigpages"
	"github.com/demoguard/demoguard/scanner/scan/testpdf"
)

// TestScanOddNames: names with a newline or an escape sequence are quoted
// in notes, errors and the report, so a name can neither forge an "error:"
// line nor colour the terminal.
func TestScanOddNames(t *testing.T) {
	useFakeEngine(t, fakeEngine{recognize: widthOCR(scanTexts, 0.9)})
	dir := t.TempDir()
	t.Chdir(dir)
	forged := "in/notes\nerror: forged.txt" // skipped with a note
	red := "in/\x1b[31mred.png"             // a broken PNG: an error
	secret := "in/secret\n.png"             // a finding
	nonUTF8 := "in/x\x9b31m.txt"            // a C1 control byte, skipped
	writePNG(t, secret, 101, 50)            // "TOP SECRET"
	for _, name := range []string{forged, nonUTF8} {
		if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(red, []byte("\x89PNG\r\n\x1a\nxx"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			out, errOut, code := runScanCmd(t, nil, "scan", "--no-progress", "--format", format, "in")
			if code != exitErr {
				t.Errorf("exit %d; want %d (the broken PNG)\n%s", code, exitErr, out)
			}
			all := out + errOut
			if strings.Contains(all, "\x1b") || strings.Contains(all, "\x9b") || strings.Contains(all, "\nerror: forged") || !utf8Valid(all) {
				t.Errorf("raw name in output:\nstdout %q\nstderr %q", out, errOut)
			}
			for _, name := range []string{forged, nonUTF8} {
				if !strings.Contains(errOut, "skipping "+strconv.Quote(name)+": not an image, PDF, office document or recording") {
					t.Errorf("stderr %q lacks the quoted skipped name %s", errOut, strconv.Quote(name))
				}
			}
			if format == "text" {
				for _, name := range []string{red, secret} {
					if !strings.Contains(out, strconv.Quote(name)) {
						t.Errorf("report lacks %s quoted:\n%s", strconv.Quote(name), out)
					}
				}
			}
		})
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\ufffd") == s }

// TestScanPageNotRead: a PDF page OCR read nothing from although it has text
// is an error naming the file and the page, exit 2, never a clean page.
func TestScanPageNotRead(t *testing.T) {
	for _, tool := range []string{"pdfinfo", "pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed: .ci/deps.sh installs poppler-utils", tool)
		}
	}
	useFakeEngine(t, fakeEngine{recognize: widthOCR(nil, 0.9)}) // reads nothing
	dir := t.TempDir()
	t.Chdir(dir)
	pdf := testpdf.Make(
		testpdf.Page{MediaBox: [4]float64{0, 0, 300, 200}},
		testpdf.Page{MediaBox: [4]float64{0, 0, 300, 200}, Text: []testpdf.Text{{X: 20, Y: 100, Size: 14, S: "Walmart renewal $580.4 million"}}},
	)
	if err := os.WriteFile("deck.pdf", pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := runScanCmd(t, nil, "scan", "--no-progress", "deck.pdf")
	want := "error: deck.pdf: page 2: page not read in full: OCR read no text, but the page has 4 words of text\n"
	if code != exitErr || !strings.Contains(out, want) {
		t.Errorf("exit %d, report:\n%s\nwant exit %d and %q", code, out, exitErr, want)
	}
}

// buildDemoguard builds the binary into the test's temporary directory.
func buildDemoguard(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "demoguard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestScanCropBoxEndToEnd is issue 13's report, with real poppler and real
// Tesseract: the letter-size CropBox of a 13000 pt page holds an amount.
// Before, pdftoppm rendered the MediaBox, failed, and the page was called
// clean (exit 0); now the visible page is read and the amount found.
func TestScanCropBoxEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs Tesseract")
	}
	bin := buildDemoguard(t)
	dir := t.TempDir()
	pdf := testpdf.Make(testpdf.Page{
		MediaBox: [4]float64{0, 0, 13000, 13000},
		CropBox:  [4]float64{0, 0, 612, 792},
		Text:     []testpdf.Text{{X: 72, Y: 700, Size: 24, S: "Walmart renewal $580.4 million"}},
	})
	path := filepath.Join(dir, "renewal.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "scan", "--no-progress", "--workers", "1", path)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFindings {
		t.Fatalf("exit %v; want %d\nstdout:\n%s\nstderr:\n%s", err, exitFindings, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "large-amount") || !strings.Contains(stdout.String(), `"$580.4 million"`) {
		t.Errorf("report lacks the amount:\n%s", stdout.String())
	}
}

// TestScanMemoryBound runs the real binary (real Tesseract workers) over
// big PNGs and a 200-frame GIF and checks that the scan process's peak RSS
// stays within the bound the scan package states for its limits. The
// limits are lowered so that the inputs are big relative to them and the
// test takes a minute, not ten; a scan that read a 36 MP page whole
// (about 620 MB) or let two in flight at once would go over.
func TestScanMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs Tesseract on big pages")
	}
	bin := buildDemoguard(t)
	dir := t.TempDir()
	var paths []string
	for i := range 2 {
		p := filepath.Join(dir, "big"+strconv.Itoa(i)+".png")
		if err := bigpages.WritePNG(p, 6000, 6000); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	gifPath := filepath.Join(dir, "anim.gif")
	if err := bigpages.WriteGIF(gifPath, 4500, 4500, 200); err != nil {
		t.Fatal(err)
	}
	paths = append(paths, gifPath)

	const maxMP, inflightMP = 40, 60
	sc, err := scan.New(scan.Options{Recognizer: fakeEngine{}, Matcher: &rules.Ruleset{}, MaxPixels: maxMP * 1e6, MaxInFlightPixels: inflightMP * 1e6})
	if err != nil {
		t.Fatal(err)
	}
	bound := sc.MemoryBound()

	args := append([]string{"scan", "--no-progress", "--format", "json", "--workers", "2",
		"--max-megapixels", strconv.Itoa(maxMP), "--max-inflight-megapixels", strconv.Itoa(inflightMP)}, paths...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	peak, err := bigpages.Run(cmd)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFindings {
		t.Fatalf("exit %v; want %d (every page has a marker)\n%s\n%s", err, exitFindings, stdout.String(), stderr.String())
	}
	if n := strings.Count(stdout.String(), `"rule":"classification-marker"`); n != 3 {
		t.Errorf("%d classification markers found; want one per input (3):\n%s", n, stdout.String())
	}
	t.Logf("peak: %s; bound %d MB", peak, bound>>20)
	if peak.MainHWM == 0 || peak.MainHWM > bound {
		t.Errorf("scan process peaked at %d MB; the stated bound is %d MB", peak.MainHWM>>20, bound>>20)
	}
}
