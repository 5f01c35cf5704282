package scan_test

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/scan"
)

// verdictScreens are the screens both paths read: corpus screens of four
// styles (the spreadsheet and the admin console are where whole-image scan
// and watch disagreed), and the real LibreOffice renderings where scan once
// dropped "Relecloud" under the floor that watch alerted on. A handful:
// about 15 s of OCR, a minute under -race.
var verdictScreens = []string{
	"corpus/10-spreadsheet-1440x900",
	"corpus/23-admin-console-1366x768",
	"corpus/30-chat-1366x768",
	"corpus/44-document-1366x768",
	"realapps/calc-spellcheck-rows",
	"realapps/writer-spellcheck-lines",
}

// realappsRules names what the LibreOffice renderings show.
const realappsRules = `
extends = "default"

[[rules]]
id = "customers"
severity = "high"
terms = ["Relecloud", "Contoso Pharmaceuticals", "Fabrikam Residences", "Fabrikam", "Northwind Traders", "Wingtip Toys", "Tailspin Toys"]

[[rules]]
id = "customer-spend"
severity = "critical"
near = ["customers", "large-amount"]
within = "line"
`

// boxTol is how far (px, per edge) the same finding's box may differ
// between the paths. They read the same pixels with the same calls, so
// boxes should be equal; a pixel or two is allowed so that the test is
// about verdicts, not about rounding.
const boxTol = 2

// TestScanAndWatchSameVerdict is issue 12's "one verdict for the same
// pixels": each screen is scanned as an image file, and shown to the live
// agent through a capturer that returns it frame after frame; once the
// agent has read the first frame, its open incidents (rule and box) must be
// the scan's findings, at the same confidence floor, with real Tesseract.
func TestScanAndWatchSameVerdict(t *testing.T) {
	if testing.Short() {
		t.Skip("real OCR of several screens")
	}
	eng, err := ocr.New(ocr.Options{Workers: runtime.NumCPU()})
	if err != nil {
		t.Fatalf("OCR: %v", err)
	}
	defer eng.Close()
	corpusRules, err := rules.Load(filepath.Join(corpusDir, "rules.toml"))
	if err != nil {
		t.Fatalf("corpus rules: %v", err)
	}
	rf := filepath.Join(t.TempDir(), "realapps.toml")
	if err := os.WriteFile(rf, []byte(realappsRules), 0o644); err != nil {
		t.Fatal(err)
	}
	appRules, err := rules.Load(rf)
	if err != nil {
		t.Fatalf("realapps rules: %v", err)
	}
	const floor = scan.DefaultMinConf
	total := 0
	for _, name := range verdictScreens {
		dir, base, _ := strings.Cut(name, "/")
		rs := corpusRules
		path := filepath.Join(corpusDir, base+".png")
		if dir == "realapps" {
			rs = appRules
			path = filepath.Join("..", "..", "testdata", "realapps", base+".png")
		}
		t.Run(base, func(t *testing.T) {
			scanned := scanVerdict(t, eng, rs, path, floor)
			watched := watchVerdict(t, eng, rs, path, floor)
			total += len(scanned)
			if d := diffVerdicts(scanned, watched); d != "" {
				t.Errorf("scan and watch disagree on %s (scan %d findings, watch %d incidents):\n%s", base, len(scanned), len(watched), d)
			}
		})
	}
	// Agreeing on nothing proves nothing: the screens hold planted items.
	if total < 2*len(verdictScreens) {
		t.Errorf("only %d findings on %d screens: the comparison is vacuous", total, len(verdictScreens))
	}
}

// verdict is one finding or open incident: what must agree.
type verdict struct {
	rule string
	box  rules.Box
	conf float64 // scan only, for the report
}

func (v verdict) String() string {
	if v.conf > 0 {
		return fmt.Sprintf("%s at %v (confidence %.2f)", v.rule, v.box, v.conf)
	}
	return fmt.Sprintf("%s at %v", v.rule, v.box)
}

func scanVerdict(t *testing.T, eng *ocr.Engine, rs *rules.Ruleset, path string, floor float64) []verdict {
	t.Helper()
	s, err := scan.New(scan.Options{Recognizer: eng, Matcher: rs, MinConf: floor})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("scan: %v", res.Errors)
	}
	var out []verdict
	for _, f := range res.Findings {
		out = append(out, verdict{rule: f.Rule, box: f.Box, conf: f.Confidence})
	}
	return out
}

// screen is a capturer showing one image on one display, unchanged.
type screen struct{ img *image.RGBA }

func (s screen) Displays() ([]agent.Display, error) {
	return []agent.Display{{Index: 0, Bounds: s.img.Rect}}, nil
}

func (s screen) Capture(agent.Display) (*image.RGBA, error) {
	return &image.RGBA{Pix: slices.Clone(s.img.Pix), Stride: s.img.Stride, Rect: s.img.Rect}, nil
}

type eventLog struct {
	mu  sync.Mutex
	evs []event.Event
}

func (l *eventLog) Emit(e event.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, e)
}

func (l *eventLog) Close() error { return nil }

// open returns the incidents alerted and not cleared.
func (l *eventLog) open() []verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	alerts := map[string]event.Event{}
	var order []string
	for _, e := range l.evs {
		switch e.Event {
		case event.Alert:
			alerts[e.Incident] = e
			order = append(order, e.Incident)
		case event.Clear:
			delete(alerts, e.Incident)
		}
	}
	var out []verdict
	for _, id := range order {
		if e, ok := alerts[id]; ok {
			out = append(out, verdict{rule: e.Rule, box: *e.Box})
		}
	}
	return out
}

func watchVerdict(t *testing.T, eng *ocr.Engine, rs *rules.Ruleset, path string, floor float64) []verdict {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
	draw.Draw(img, img.Rect, src, src.Bounds().Min, draw.Src)

	const interval, grace = 20 * time.Millisecond, 100 * time.Millisecond
	log := &eventLog{}
	ag := agent.New(agent.Config{
		Capturer:   screen{img},
		Recognizer: eng,
		Rules:      func() agent.Matcher { return rs },
		Sink:       log,
		Display:    0,
		Interval:   interval,
		Grace:      grace,
		MaxCPU:     float64(4 * runtime.NumCPU()), // no waiting for the budget: this is about results
		Workers:    runtime.NumCPU(),
		MinConf:    floor,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	}()
	// Read means: the first frame was taken and nothing is pending. Then a
	// few more frames (unchanged) let incidents of findings that a later
	// batch replaced (a name that became part of a combined finding) close
	// after the grace period, as they do on a live screen.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if st := ag.Stats(); st.ChangedFrames > 0 && ag.Pending() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not read the screen in 2 minutes: %+v, %d pending", ag.Stats(), ag.Pending())
		}
		time.Sleep(interval)
	}
	time.Sleep(grace + 10*interval)
	if st := ag.Stats(); st.OCRErrors > 0 {
		t.Fatalf("agent OCR errors: %+v", st)
	}
	return log.open()
}

// diffVerdicts pairs findings of the same rule whose boxes agree within
// boxTol and describes what is left on either side ("" if nothing).
func diffVerdicts(scanned, watched []verdict) string {
	used := make([]bool, len(watched))
	var b strings.Builder
	for _, s := range scanned {
		found := false
		for i, w := range watched {
			if !used[i] && w.rule == s.rule && near(w.box, s.box) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			fmt.Fprintf(&b, "  only scan:  %v\n", s)
		}
	}
	for i, w := range watched {
		if !used[i] {
			fmt.Fprintf(&b, "  only watch: %v\n", w)
		}
	}
	lines := strings.SplitAfter(b.String(), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "")
}

func near(a, b rules.Box) bool {
	d := func(x, y int) bool { return x-y <= boxTol && y-x <= boxTol }
	return d(a.X, b.X) && d(a.Y, b.Y) && d(a.X+a.W, b.X+b.W) && d(a.Y+a.H, b.Y+b.H)
}
