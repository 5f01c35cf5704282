package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/sink"
)

// renderText draws lines in the 7x13 bitmap font scaled by scale (nearest
// neighbour: crisp for Tesseract), fg on bg, with a margin.
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

// slide is a light 1920x1080 screen with some harmless text on it.
func slide() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{250, 250, 246, 255}), image.Point{}, draw.Src)
	t := renderText(color.RGBA{20, 20, 20, 255}, color.RGBA{250, 250, 246, 255}, 3, "Quarterly platform update", "", "Latency is down 40 percent", "Migration finished in May")
	draw.Draw(img, t.Rect.Add(image.Pt(160, 140)), t, image.Point{}, draw.Src)
	return img
}

// watchRun is `demoguard watch --format json` running in this process.
type watchRun struct {
	t      *testing.T
	events chan event.Event
	cancel context.CancelFunc
	done   chan struct{} // closed when run returned; err is then set
	err    error
	stderr *syncBuf
	agent  chan *agent.Agent
	a      *agent.Agent
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startWatch runs watch against display with args and waits until the first
// frame has been read completely, so what the test shows next is a change.
func startWatch(t *testing.T, display string, args ...string) *watchRun {
	t.Helper()
	t.Setenv("DISPLAY", display)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // never the developer's config
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	w := &watchRun{t: t, events: make(chan event.Event, 100), cancel: cancel, done: make(chan struct{}), stderr: &syncBuf{}, agent: make(chan *agent.Agent, 1)}
	watchStarted = func(a *agent.Agent) { w.agent <- a }
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var e event.Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Errorf("stdout line %q is not an event: %v", sc.Text(), err)
				continue
			}
			w.events <- e
		}
		close(w.events)
	}()
	go func() {
		w.err = run(ctx, append([]string{"watch", "--format", "json"}, args...), nil, pw, w.stderr)
		pw.Close()
		close(w.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-w.done
		watchStarted = nil
	})
	var a *agent.Agent
	select {
	case a = <-w.agent:
	case <-w.done:
		t.Fatalf("watch exited: %v\nstderr:\n%s", w.err, w.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("watch did not start; stderr:\n%s", w.stderr)
	}
	if e := w.next(30 * time.Second); e.Event != event.Reload || e.Rules == 0 {
		t.Fatalf("first event %+v, want reload with the rule count", e)
	}
	deadline := time.Now().Add(60 * time.Second)
	for a.Stats().Frames < 3 || a.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("first frame not read in 60s: %+v; stderr:\n%s", a.Stats(), w.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.a = a
	return w
}

// next returns the next event, failing after d.
func (w *watchRun) next(d time.Duration) event.Event {
	w.t.Helper()
	select {
	case e, ok := <-w.events:
		if !ok {
			w.t.Fatalf("watch ended; stderr:\n%s", w.stderr)
		}
		return e
	case <-time.After(d):
		w.t.Fatalf("no event within %v; agent %+v; stderr:\n%s", d, w.a.Stats(), w.stderr)
	}
	return event.Event{}
}

// none asserts that no event comes within d.
func (w *watchRun) none(d time.Duration) {
	w.t.Helper()
	select {
	case e := <-w.events:
		w.t.Fatalf("unexpected event %+v", e)
	case <-time.After(d):
	}
}

// stop cancels the run (what SIGINT does) and returns the remaining events.
func (w *watchRun) stop() ([]event.Event, error) {
	w.cancel()
	<-w.done
	var rest []event.Event
	for e := range w.events {
		rest = append(rest, e)
	}
	return rest, w.err
}

func show(t *testing.T, display string, img image.Image, x, y int) *xtest.Window {
	t.Helper()
	win, err := xtest.ShowImage(display, img, x, y)
	if err != nil {
		t.Fatal(err)
	}
	return win
}

func TestWatchEndToEnd(t *testing.T) {
	disp := xtest.StartXvfb(t, "1920x1080x24")
	if err := xtest.SetRootImage(disp, slide()); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "audit.jsonl")
	w := startWatch(t, disp, "--log", logFile)

	// A chat notification slides in at the bottom right: about 1.5% of the screen.
	shown := time.Now()
	win := show(t, disp, card("Dana Whitfield", "TOP SECRET roadmap attached"), 1450, 930)
	e := w.next(2 * time.Second)
	latency := time.Since(shown)
	if e.Event != event.Alert || e.Rule != "classification-marker" || e.Severity != "high" || e.Display == nil || *e.Display != 0 {
		t.Fatalf("first event %+v, want a classification-marker alert on display 0", e)
	}
	if e.Box == nil || e.Box.X < 1450 || e.Box.Y < 930 || e.Fingerprint == "" || e.Incident == "" || e.FirstSeen == nil {
		t.Fatalf("alert %+v: box must be inside the card and carry fingerprint, incident, first_seen", e)
	}
	if strings.Contains(strings.ToLower(e.Text), "secret") || e.Text == "" {
		t.Fatalf("alert text %q is not masked", e.Text)
	}
	t.Logf("alert %v after the window appeared", latency)

	// It stays: no second alert.
	w.none(1500 * time.Millisecond)

	// It goes: one clear with the exposure.
	win.Close()
	c := w.next(5 * time.Second)
	if c.Event != event.Clear || c.Incident != e.Incident || c.ExposureMS == nil || *c.ExposureMS < 1000 || *c.ExposureMS > 5000 {
		t.Fatalf("after the window closed: %+v, want a clear of %s with ~1.5-2.5s exposure", c, e.Incident)
	}

	// Shutdown with an incident open closes it with a clear, and exits 0.
	win = show(t, disp, card("Q3 board pack", "Strictly Confidential"), 100, 800)
	defer win.Close()
	e = w.next(2 * time.Second)
	if e.Event != event.Alert {
		t.Fatalf("want an alert, got %+v", e)
	}
	rest, err := w.stop()
	if err != nil {
		t.Fatalf("watch returned %v on shutdown, want nil (exit 0)", err)
	}
	if len(rest) != 1 || rest[0].Event != event.Clear || rest[0].Incident != e.Incident {
		t.Fatalf("events at shutdown %+v, want one clear of %s", rest, e.Incident)
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\n"); got != 5 { // reload, alert, clear, alert, clear
		t.Errorf("audit log has %d lines, want 5:\n%s", got, b)
	}
	if strings.Contains(strings.ToLower(string(b)), "secret") || strings.Contains(strings.ToLower(string(b)), "confidential") {
		t.Errorf("audit log holds matched text:\n%s", b)
	}
}

const customerRules = `
[[rules]]
id = "customers"
description = "Named customers"
severity = "high"
terms = [%s]
`

func writeRules(t *testing.T, path, terms string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Replace(customerRules, "%s", terms, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil { // how editors save
		t.Fatal(err)
	}
}

func TestWatchHotReload(t *testing.T) {
	disp := xtest.StartXvfb(t, "1920x1080x24")
	if err := xtest.SetRootImage(disp, slide()); err != nil {
		t.Fatal(err)
	}
	rf := filepath.Join(t.TempDir(), "customers.toml")
	writeRules(t, rf, `"Globex"`)
	w := startWatch(t, disp, "--rules", rf)

	win := show(t, disp, card("Re: Globex renewal call", "", "Next: Initech pilot review"), 1300, 700)
	defer win.Close()
	e := w.next(3 * time.Second)
	if e.Event != event.Alert || e.Rule != "customers" {
		t.Fatalf("want a customers alert for Globex, got %+v", e)
	}
	w.none(time.Second) // Initech is not a customer yet

	writeRules(t, rf, `"Globex", "Initech"`)
	if e := w.next(5 * time.Second); e.Event != event.Reload || e.Rules != 1 {
		t.Fatalf("want a reload event with 1 rule, got %+v", e)
	}
	// The new alert is Initech's, on the card's last line: below Globex's,
	// and another incident (Globex's stays open, not raised again).
	if e2 := w.next(3 * time.Second); e2.Event != event.Alert || e2.Rule != "customers" || e2.Incident == e.Incident || e2.Box.Y <= e.Box.Y+e.Box.H {
		t.Fatalf("want an alert for the new term below %+v, got %+v", e.Box, e2)
	}

	os.WriteFile(rf, []byte("[[rules]]\nid = \"customers\"\nseverity = \"extreme\"\nterms = [\"Globex\"]\n"), 0o600)
	e = w.next(5 * time.Second)
	if e.Event != event.Error || e.File == "" || e.Line == 0 || e.Message == "" {
		t.Fatalf("want an error event with file and line, got %+v", e)
	}
	// The old rules (with Initech) still work.
	win2 := show(t, disp, card("New: Initech contract"), 200, 600)
	defer win2.Close()
	if e := w.next(3 * time.Second); e.Event != event.Alert || e.Rule != "customers" {
		t.Fatalf("after a broken save, want the previous rules to alert, got %+v", e)
	}
}

func TestWatchNoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"watch"}, nil, &stdout, &stderr)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitErr {
		t.Fatalf("run returned %v, want exit 2", err)
	}
	if ee.msg == "" || strings.Contains(ee.msg, "\n") || !strings.Contains(ee.msg, "DISPLAY") {
		t.Fatalf("message %q: want one line that names DISPLAY", ee.msg)
	}
	if stdout.Len() != 0 {
		t.Fatalf("stdout %q", stdout.String())
	}
}

// A webhook endpoint that verifies signatures and then stops answering must
// not delay alerts on stdout.
func TestWatchWebhookDeadEndpoint(t *testing.T) {
	const secret = "hook-secret"
	var mu sync.Mutex
	verified, bad := 0, 0
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		if r.Header.Get(sink.SignatureHeader) == sink.Sign(secret, body) {
			verified++
		} else {
			bad++
		}
		mu.Unlock()
		<-hang // dead from here on
	}))
	defer srv.Close()
	defer close(hang)
	disp := xtest.StartXvfb(t, "1920x1080x24")
	if err := xtest.SetRootImage(disp, slide()); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, disp, "--webhook", srv.URL, "--webhook-secret", secret)
	for i, text := range []string{"Memo: TOP SECRET", "Note: Internal Only", "Draft: Do Not Distribute"} {
		win := show(t, disp, card(text), 300+i*500, 700)
		defer win.Close()
		if e := w.next(2 * time.Second); e.Event != event.Alert {
			t.Fatalf("alert %d: got %+v", i, e)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if verified == 0 || bad != 0 {
		t.Fatalf("webhook: %d verified, %d bad signatures", verified, bad)
	}
}

// Two side-by-side monitors of different sizes (RandR monitors on one wide
// Xvfb screen): an alert on the second carries its index and a box local to
// it; unplugging it closes the incident without a restart.
func TestWatchTwoMonitors(t *testing.T) {
	disp := xtest.StartXvfb(t, "3200x1080x24")
	if _, err := xtest.SplitMonitors(disp, image.Rect(0, 0, 1920, 1080), image.Rect(1920, 0, 3200, 720)); err != nil {
		t.Fatal(err)
	}
	bg := image.NewRGBA(image.Rect(0, 0, 3200, 1080))
	draw.Draw(bg, bg.Rect, image.NewUniform(color.RGBA{250, 250, 246, 255}), image.Point{}, draw.Src)
	draw.Draw(bg, image.Rect(0, 0, 1920, 1080), slide(), image.Point{}, draw.Src)
	if err := xtest.SetRootImage(disp, bg); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, disp)
	win := show(t, disp, card("Memo: TOP SECRET"), 1920+300, 200)
	defer win.Close()
	e := w.next(3 * time.Second)
	if e.Event != event.Alert || e.Display == nil || *e.Display != 1 {
		t.Fatalf("want an alert on display 1, got %+v", e)
	}
	if e.Box.X < 300 || e.Box.X > 700 || e.Box.Y < 200 || e.Box.Y > 300 {
		t.Fatalf("box %+v is not local to display 1", e.Box)
	}
	if err := xtest.DeleteMonitor(disp, "DG-1"); err != nil {
		t.Fatal(err)
	}
	if c := w.next(10 * time.Second); c.Event != event.Clear || c.Incident != e.Incident {
		t.Fatalf("after unplugging display 1: %+v, want the clear of %s", c, e.Incident)
	}
}
