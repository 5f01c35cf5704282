// Package bench measures the live agent (demoguard watch) on a real X server
// (Xvfb) with real OCR and the default rules: alert latency of a chat
// notification over a dense 1080p screen against a full-frame OCR of that
// screen, CPU on a static screen, and a soak of RSS and goroutines.
//
// Short by default (it runs in `make test`); the README figures come from
//
//	go test ./scanner/bench -run TestWatchPerformance -v -timeout 60m \
//	    -args -trials 40 -static 60s -soak 30m -out bench.json
package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/demoguard/demoguard/scanner/budget"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/internal/corpus"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/watch"
	"github.com/demoguard/demoguard/scanner/xdamage"
)

var (
	trials     = flag.Int("trials", 20, "notifications to time")
	staticFor  = flag.Duration("static", 10*time.Second, "how long to measure CPU on a static screen")
	soakFor    = flag.Duration("soak", 20*time.Second, "soak duration")
	verbose    = flag.Bool("trial-log", false, "log each trial's latency")
	soakChange = flag.Duration("soak-change", 2*time.Second, "how often the screen changes during the soak")
	outFile    = flag.String("out", "", "write the figures as JSON to this file")
	enforce    = flag.Bool("targets", false, "fail when a README target is missed (make bench-watch); without it misses are only reported")
)

func TestMain(m *testing.M) {
	ocr.MaybeRunWorker() // the OCR workers are this test binary
	os.Exit(m.Run())
}

// chanSink hands events to the benchmark.
type chanSink chan event.Event

func (c chanSink) Emit(e event.Event) {
	select {
	case c <- e:
	default: // the benchmark does not read some events (reload); never block the agent
	}
}
func (c chanSink) Close() error { return nil }

// Results are the figures for the README.
type Results struct {
	Trials           int                `json:"trials"`
	AlertP50MS       float64            `json:"alert_p50_ms"`
	AlertP95MS       float64            `json:"alert_p95_ms"`
	AlertMaxMS       float64            `json:"alert_max_ms"`
	Missed           int                `json:"missed"`
	FullFrameOCRMS   float64            `json:"full_frame_ocr_ms"`
	P95OverFullFrame float64            `json:"p95_over_full_frame"`
	StaticSeconds    float64            `json:"static_s"`
	StaticCPUPercent float64            `json:"static_cpu_percent_of_one_core"`
	SoakSeconds      float64            `json:"soak_s"`
	SoakChanges      int                `json:"soak_changes"`
	RSSStartMB       float64            `json:"rss_start_mb"`
	RSSEndMB         float64            `json:"rss_end_mb"`
	RSSSlopeMBPerMin float64            `json:"rss_slope_mb_per_min"`
	GoroutinesStart  int                `json:"goroutines_start"`
	GoroutinesEnd    int                `json:"goroutines_end"`
	GoroutineSlope   float64            `json:"goroutine_slope_per_min"`
	SoakCPUPercent   float64            `json:"soak_cpu_percent_of_one_core"`
	Switch           SwitchResult       `json:"dense_window_switch"`
	Contention       []ContentionResult `json:"contention"`
	Targets          []Target           `json:"targets"`
	Stats            agent.Stats
}

// Target is one of the README's performance targets and whether this run
// met it.
type Target struct {
	Name     string  `json:"name"`
	Measured float64 `json:"measured"`
	Limit    float64 `json:"limit"` // measured must be at most this
	Unit     string  `json:"unit"`
	Met      bool    `json:"met"`
}

// README targets (Performance → demoguard watch). Flat memory is a slope:
// over a short soak it is noisy, so the limit is loose; a leak of a frame
// buffer per change (8 MB every 2 s) is far over it.
const (
	targetP95MS          = 300 // notification → alert, p95
	targetP95OverFull    = 0.1 // p95 against a full-frame OCR of the screen
	targetStaticCPU      = 2   // % of one core on a static screen
	targetRSSSlope       = 1   // MB per minute during the soak
	targetGoroutineGrown = 2   // goroutines more at the end of the soak than at its start
	targetMissedShare    = 0.1 // notifications with no alert
)

// checkTargets compares res with the README's targets.
func checkTargets(res *Results) []Target {
	ts := []Target{
		{Name: "notification → alert p95", Measured: res.AlertP95MS, Limit: targetP95MS, Unit: "ms"},
		{Name: "p95 / full-frame OCR", Measured: res.P95OverFullFrame, Limit: targetP95OverFull, Unit: "×"},
		{Name: "CPU on a static screen", Measured: res.StaticCPUPercent, Limit: targetStaticCPU, Unit: "% of one core"},
		{Name: "RSS slope during the soak", Measured: res.RSSSlopeMBPerMin, Limit: targetRSSSlope, Unit: "MB/min"},
		{Name: "goroutines grown during the soak", Measured: float64(res.GoroutinesEnd - res.GoroutinesStart), Limit: targetGoroutineGrown, Unit: ""},
		{Name: "notifications missed", Measured: float64(res.Missed) / float64(max(res.Trials, 1)), Limit: targetMissedShare, Unit: "share"},
	}
	if res.Switch.Trials > 0 {
		ts = append(ts, Target{Name: "dense window → first alert p95", Measured: res.Switch.FirstAlertP95, Limit: targetSwitchFirstP95MS, Unit: "ms"})
	}
	for _, c := range res.Contention {
		ts = append(ts,
			Target{Name: "notification " + c.Case + ": alert p95", Measured: c.P95MS, Limit: targetContentionP95MS, Unit: "ms"},
			Target{Name: "notification " + c.Case + ": missed", Measured: float64(c.Missed) / float64(max(c.Trials, 1)), Limit: targetContentionMissedSh, Unit: "share"})
	}
	for i := range ts {
		ts[i].Met = ts[i].Measured <= ts[i].Limit
	}
	return ts
}

func TestWatchPerformance(t *testing.T) {
	screen := denseScreen(t)
	disp := xtest.StartXvfb(t, "1920x1080x24")
	if err := xtest.SetRootImage(disp, screen); err != nil {
		t.Fatal(err)
	}
	cp, err := capture.OpenWith(capture.Options{Display: disp})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	dw, err := xdamage.Open(disp)
	if err != nil {
		t.Fatal(err)
	}
	defer dw.Close()
	eng, err := ocr.New(ocr.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	// The default pack plus the corpus's customer list (the dense windows
	// are corpus screens).
	rs, err := rules.Load("../../testdata/corpus/rules.toml")
	if err != nil {
		t.Fatal(err)
	}
	events := make(chanSink, 1000)
	ag := agent.New(agent.Config{
		Capturer: watch.Capturer(cp), Recognizer: eng, Sink: events, Display: -1,
		Rules:   func() agent.Matcher { return rs },
		Changes: dw, MinConf: 0.5,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	// The dense screen is read first (at the CPU budget) — wait for it.
	waitIdle(t, ag, 5*time.Minute)
	drain(events)
	var res Results

	// Full-frame OCR of the same screen, in the same run, for comparison;
	// on workers of its own, whose CPU is not charged to the agent's budget.
	ref, err := ocr.New(ocr.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	var full []float64
	for range 3 {
		t0 := time.Now()
		if _, err := ref.Recognize(context.Background(), screen); err != nil {
			t.Fatal(err)
		}
		full = append(full, ms(time.Since(t0)))
	}
	slices.Sort(full)
	res.FullFrameOCRMS = full[1]
	waitIdle(t, ag, time.Minute) // let the budget refill after that

	// Notifications: each a new text (no cache help), at changing places.
	var lat []float64
	for i := range *trials {
		img := card(fmt.Sprintf("From: %s", senders[i%len(senders)]), fmt.Sprintf("Re #%d: %s draft", 100+i, markers[i%len(markers)]))
		x, y := 1920-img.Rect.Dx()-40-(i%3)*60, 1080-img.Rect.Dy()-60-(i%4)*90
		st0 := ag.Stats()
		t0 := time.Now()
		win, err := xtest.ShowImage(disp, img, x, y)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := waitEvent(events, event.Alert, 5*time.Second)
		if ok {
			lat = append(lat, ms(time.Since(t0)))
			if *verbose {
				st := ag.Stats()
				t.Logf("trial %d: %.0f ms %q (frames +%d, changed +%d, OCR calls +%d, pieces +%d)", i, lat[len(lat)-1], markers[i%len(markers)],
					st.Frames-st0.Frames, st.ChangedFrames-st0.ChangedFrames, st.OCRCalls-st0.OCRCalls, st.OCRPieces-st0.OCRPieces)
			}
		} else {
			res.Missed++
			t.Logf("trial %d: no alert for %q", i, markers[i%len(markers)])
		}
		_ = e
		win.Close()
		if ok {
			waitEvent(events, event.Clear, 10*time.Second)
		}
		waitIdle(t, ag, time.Minute)
		time.Sleep(300 * time.Millisecond)
		drain(events)
	}
	res.Trials = *trials
	if len(lat) > 0 {
		slices.Sort(lat)
		res.AlertP50MS = pct(lat, 50)
		res.AlertP95MS = pct(lat, 95)
		res.AlertMaxMS = lat[len(lat)-1]
		res.P95OverFullFrame = res.AlertP95MS / res.FullFrameOCRMS
	}

	// CPU on a static screen: this process plus the OCR workers.
	time.Sleep(time.Second)
	stStatic := ag.Stats()
	c0, w0, t0 := selfCPU(), workersCPU(eng), time.Now()
	time.Sleep(*staticFor)
	el := time.Since(t0)
	cpu := selfCPU() - c0 + workersCPU(eng) - w0
	if *verbose {
		t.Logf("static screen: agent %v, workers %v over %v (%s)", selfCPU()-c0, workersCPU(eng)-w0, el, statsDelta(stStatic, ag.Stats()))
	}
	res.StaticSeconds = el.Seconds()
	res.StaticCPUPercent = 100 * cpu.Seconds() / el.Seconds()

	// A dense window switched to (issue 12.4).
	if *switchTrials > 0 {
		res.Switch = runSwitch(t, disp, ag, ref, events, 6*time.Second)
		t.Logf("dense window switch: %+v", res.Switch)
	}
	// Notifications beside an area that keeps changing (issue 12.5), on a
	// plain slide (the dense background's items would alert as the
	// terminal uncovers them).
	if *contentionTrials > 0 {
		xtest.SetRootImage(disp, slide("Platform update"))
		waitIdle(t, ag, time.Minute)
		for _, c := range []struct {
			name string
			busy func(<-chan struct{})
		}{
			{"beside a scrolling terminal + new windows", scrollingTerminal(t, disp)},
			{"beside a playing video", playingVideo(t, disp, image.Rect(600, 200, 1240, 560))},
			// The notification pops up over the video (its bottom right).
			{"over a playing video", playingVideo(t, disp, image.Rect(500, 260, 1900, 1060))},
		} {
			if !strings.Contains(c.name, *contentionCases) {
				continue
			}
			// New numbers in every case: no notification is in the cache.
			r := runContention(t, c.name, disp, ag, eng, events, c.busy, 1000*(len(res.Contention)+1))
			t.Logf("contention: %+v", r)
			res.Contention = append(res.Contention, r)
			waitIdle(t, ag, time.Minute)
		}
		xtest.SetRootImage(disp, screen)
		waitIdle(t, ag, 5*time.Minute)
	}

	// Soak: the screen changes every soakChange (notifications come and go,
	// the slide behind changes); RSS (agent + workers) and goroutines are
	// sampled and their slope fitted.
	var ts, rss, gor []float64
	start := time.Now()
	sc0 := selfCPU()
	var wc workerMeter
	wc.sample(eng)
	var win *xtest.Window
	backs := []*image.RGBA{screen, slide("Quarterly platform update"), slide("Roadmap review")}
	for i := 0; time.Since(start) < *soakFor; i++ {
		if win != nil {
			win.Close()
			win = nil
		}
		if i%5 == 4 {
			xtest.SetRootImage(disp, backs[i%len(backs)])
		}
		lines := []string{fmt.Sprintf("From: %s", senders[i%len(senders)]), fmt.Sprintf("Standup moved to %d:%02d", 9+i%8, (i*7)%60)}
		if i%3 == 0 {
			lines[1] = fmt.Sprintf("Re #%d: %s", i, markers[i%len(markers)])
		}
		if w, err := xtest.ShowImage(disp, card(lines...), 200+(i%5)*250, 150+(i%4)*180); err == nil {
			win = w
		}
		res.SoakChanges++
		time.Sleep(*soakChange)
		drain(events)
		runtime.GC()
		ts = append(ts, time.Since(start).Minutes())
		rss = append(rss, float64(rssKB("self")+workersRSS(eng))/1024)
		gor = append(gor, float64(runtime.NumGoroutine()))
		wc.sample(eng)
	}
	if win != nil {
		win.Close()
	}
	res.SoakSeconds = time.Since(start).Seconds()
	// Includes the test's own X client work (drawing the cards).
	wc.sample(eng)
	res.SoakCPUPercent = 100 * (selfCPU() - sc0 + wc.total).Seconds() / res.SoakSeconds
	if len(ts) >= 2 {
		res.RSSStartMB, res.RSSEndMB = rss[0], rss[len(rss)-1]
		res.RSSSlopeMBPerMin = slope(ts, rss)
		res.GoroutinesStart, res.GoroutinesEnd = int(gor[0]), int(gor[len(gor)-1])
		res.GoroutineSlope = slope(ts, gor)
	}
	res.Stats = ag.Stats()
	res.Targets = checkTargets(&res)

	b, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("results:\n%s", b)
	if *outFile != "" {
		os.WriteFile(*outFile, b, 0o644)
	}
	// Timings on a shared or loaded machine say little, so a short run
	// (make test) reports a missed target; make bench-watch (-targets)
	// fails on it.
	for _, tg := range res.Targets {
		verdict := "met"
		if !tg.Met {
			verdict = "MISSED"
		}
		line := fmt.Sprintf("target %-34s %10.3f %s (limit %g): %s", tg.Name, tg.Measured, tg.Unit, tg.Limit, verdict)
		if !tg.Met && *enforce {
			t.Error(line)
		} else {
			t.Log(line)
		}
	}
}

var senders = []string{"Dana Whitfield", "Sam Ortega", "Priya Raman", "Lee Novak", "Ana Costa", "Tom Becker"}

// Markers the default rules flag (classification markers, large amounts).
var markers = []string{
	"TOP SECRET", "Internal Only", "Do Not Distribute", "Strictly Confidential",
	"Under NDA", "budget USD 4,200,000", "Company Secret", "Not for Distribution",
}

// denseScreen is the corpus's 1080p spreadsheet: small dense text everywhere.
func denseScreen(t *testing.T) *image.RGBA {
	for _, s := range corpus.Generate(1) {
		if s.Style == "spreadsheet" && s.W == 1920 && s.H == 1080 {
			return s.Image
		}
	}
	t.Fatal("no 1920x1080 spreadsheet in the corpus")
	return nil
}

func renderText(fg, bg color.RGBA, scale int, lines ...string) *image.RGBA {
	w := 0
	for _, l := range lines {
		w = max(w, len(l)*7)
	}
	small := image.NewRGBA(image.Rect(0, 0, w+24, len(lines)*18+14))
	draw.Draw(small, small.Rect, image.NewUniform(bg), image.Point{}, draw.Src)
	d := &font.Drawer{Dst: small, Src: image.NewUniform(fg), Face: basicfont.Face7x13}
	for i, l := range lines {
		d.Dot = fixed.P(12, 20+i*18)
		d.DrawString(l)
	}
	big := image.NewRGBA(image.Rect(0, 0, small.Rect.Dx()*scale, small.Rect.Dy()*scale))
	for y := range big.Rect.Dy() {
		for x := range big.Rect.Dx() {
			big.SetRGBA(x, y, small.RGBAAt(x/scale, y/scale))
		}
	}
	return big
}

// card is a chat notification: light text on a dark card.
func card(lines ...string) *image.RGBA {
	return renderText(color.RGBA{240, 240, 240, 255}, color.RGBA{36, 38, 46, 255}, 2, lines...)
}

func slide(title string) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{250, 250, 246, 255}), image.Point{}, draw.Src)
	t := renderText(color.RGBA{20, 20, 20, 255}, color.RGBA{250, 250, 246, 255}, 3, title, "", "Latency is down 40 percent", "Migration finished in May")
	draw.Draw(img, t.Rect.Add(image.Pt(160, 140)), t, image.Point{}, draw.Src)
	return img
}

func waitIdle(t *testing.T, a *agent.Agent, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for a.Stats().Frames < 3 || a.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("agent not idle after %v: %+v", limit, a.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitEvent(c chanSink, kind event.Kind, d time.Duration) (event.Event, bool) {
	timeout := time.After(d)
	for {
		select {
		case e := <-c:
			if e.Event == kind {
				return e, true
			}
		case <-timeout:
			return event.Event{}, false
		}
	}
}

func drain(c chanSink) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pct is the nearest-rank percentile of sorted v.
func pct(v []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}

// slope is the least-squares slope of y over x.
func slope(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// selfCPU is this process's CPU time.
func selfCPU() time.Duration { return budget.ProcessCPU() }

// workerMeter adds up the CPU of OCR workers across recycling (a new
// worker's pid starts from zero; a worker's last ticks before it was
// replaced between two samples are lost).
type workerMeter struct {
	last  map[int]time.Duration
	total time.Duration
}

func (m *workerMeter) sample(e *ocr.Engine) {
	next := map[int]time.Duration{}
	for _, pid := range e.WorkerPIDs() {
		c := pidCPU(pid)
		if c == 0 {
			continue // exited between listing and reading
		}
		next[pid] = c
		m.total += c - m.last[pid]
	}
	m.last = next
}

func workersCPU(e *ocr.Engine) time.Duration {
	var total time.Duration
	for _, pid := range e.WorkerPIDs() {
		total += pidCPU(pid)
	}
	return total
}

// pidCPU is the CPU time pid used so far (0 if gone).
func pidCPU(pid int) time.Duration {
	d, _ := budget.PIDCPU(pid)
	return d
}

func rssKB(pid string) int {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

func workersRSS(e *ocr.Engine) int {
	n := 0
	for _, pid := range e.WorkerPIDs() {
		n += rssKB(strconv.Itoa(pid))
	}
	return n
}
