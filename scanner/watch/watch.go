// Package watch runs the live agent as `demoguard watch` does: it builds a
// validated Config from flags and the config file's [watch] table, and Run
// opens the display, the OCR workers, the rules, the outputs and the agent
// in order, and closes them in the reverse order.
package watch

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/reload"
	"github.com/demoguard/demoguard/scanner/sink"
	"github.com/demoguard/demoguard/scanner/xdamage"
)

// Run watches until ctx is cancelled. Start-up problems (rules, display,
// OCR, outputs) are returned before anything is watched, each as one line;
// on cancellation it closes open incidents, stops the rule reloader, the
// actions and the outputs, in that order, and returns nil.
func Run(ctx context.Context, cfg Config) error {
	stdout, stderr := cfg.Stdout, cfg.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	// Run's own lines on stderr (warnings, the start-up line, the page's
	// address, the terminal's events) wait in a queue too, so a stderr that
	// stopped taking them loses them, counted, and stops nothing. What is
	// still queued when Run returns gets lineWait.
	realStderr := stderr
	lines := event.NewFanout(0, nil)
	lines.Add("stderr", lineSink{stderr})
	defer func() { lines.Close(time.Now().Add(lineWait)) }()
	stderr = lineWriter{lines}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "demoguard: warning:", w)
	}
	// Rules first: a typo in a rule file is the cheapest thing to report.
	load := func() (*rules.Ruleset, error) {
		if len(cfg.Rules) == 0 {
			return rules.Default()
		}
		return rules.LoadContext(ctx, cfg.Rules...)
	}
	rs, err := load()
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	var cur atomic.Pointer[rules.Ruleset]
	cur.Store(rs)

	cp, err := capture.Open()
	if err != nil {
		if errors.Is(err, capture.ErrNoDisplay) {
			return fmt.Errorf("watch: %s", oneLine(err.Error()))
		}
		return fmt.Errorf("watch: open display: %s", oneLine(err.Error()))
	}
	defer cp.Close()
	if c := cp.Caveat(); c != "" {
		fmt.Fprintln(stderr, "demoguard: note:", c)
	}

	// Which displays, before any OCR worker starts: a wrong --display is a
	// usage error, not something to find out after the start-up banner.
	displays, err := cp.Displays()
	if err != nil {
		return fmt.Errorf("watch: %s", oneLine(err.Error())) // it says "list displays: ..."
	}
	var desc []string
	for _, d := range displays {
		if cfg.Display < 0 || d.Index == cfg.Display {
			desc = append(desc, fmt.Sprintf("%d:%dx%d%+d%+d", d.Index, d.Bounds.Dx(), d.Bounds.Dy(), d.Bounds.Min.X, d.Bounds.Min.Y))
		}
	}
	if len(desc) == 0 {
		return fmt.Errorf("watch: --display %d: there are %d displays (0..%d)", cfg.Display, len(displays), len(displays)-1)
	}
	var fed capture.Display
	if cfg.Output != nil {
		if fed, err = feedDisplay(cfg, displays); err != nil {
			return fmt.Errorf("watch: %w", err)
		}
	}
	// With a feed on a terminal, a status line under the events.
	var tty *statusLine
	if cfg.Output != nil && !cfg.JSON && isTerminal(realStderr) {
		tty = &statusLine{w: stderr}
		stderr = tty
	}

	eng, err := ocr.New(ocr.Options{Lang: cfg.Lang, Workers: cfg.Workers})
	if err != nil {
		return fmt.Errorf("watch: %s", oneLine(err.Error()))
	}
	defer func() {
		// Idle workers exit once their pipe is closed, a busy one when its
		// read ends: shutdown waits workerWait for them, not longer.
		done := make(chan struct{})
		go func() { defer close(done); eng.Close() }()
		select {
		case <-done:
		case <-time.After(workerWait):
		}
	}()

	warn := func(msg string) { fmt.Fprintln(stderr, "demoguard:", msg) }
	// Every event, from the start-up one to the last clear, leaves through
	// out: each output has a bounded queue of its own, so one that blocks
	// (stdout piped to a reader that stopped reading) loses its own events,
	// counted, and holds up neither detection nor the other outputs.
	out := event.NewFanout(cfg.EventQueue, nil)
	// closeOutputs is for start-up failures: nothing is queued yet.
	closeOutputs := func() { out.Close(time.Now().Add(OutputWait)) }
	if cfg.JSON {
		out.Add("stdout", &sink.JSON{W: stdout, ShowText: cfg.ShowText})
	} else {
		out.Add("terminal", &sink.Text{W: stderr, ShowText: cfg.ShowText})
	}
	if cfg.Log != "" {
		ls, err := sink.OpenLog(cfg.Log)
		if err != nil {
			closeOutputs()
			return fmt.Errorf("watch: %w", err)
		}
		out.Add("--log", ls)
	}
	if cfg.Notify {
		if tool := map[string]string{"linux": "notify-send", "darwin": "osascript", "windows": "powershell"}[runtime.GOOS]; tool != "" {
			if _, err := exec.LookPath(tool); err != nil {
				warn("--notify: " + tool + " not found; no desktop notifications (Debian: apt-get install libnotify-bin)")
			}
		}
		out.Add("--notify", &sink.Notify{})
	}
	if cfg.Webhook != "" {
		out.Add("webhook", &sink.Webhook{URL: cfg.Webhook, Secret: cfg.WebhookSecret, ShowText: cfg.ShowText, Warn: warn, CloseWait: OutputWait * 3 / 4})
	}

	// DAMAGE lets a static screen cost nothing; without it every frame is
	// captured and compared (still correct, just more CPU).
	var changes agent.Changes
	if dw, err := xdamage.Open(cp.DisplayName()); err == nil {
		defer dw.Close()
		changes = dw
	} else if runtime.GOOS == "linux" {
		warn("comparing every frame: " + err.Error())
	}

	// The audience feed: its output opens last, so that nothing above can
	// leave a half-written file behind.
	capturer := Capturer(cp)
	interval := cfg.Interval
	var aud *audience
	if cfg.Output != nil {
		monitors := make([]image.Rectangle, len(displays))
		for i, d := range displays {
			monitors[i] = d.Bounds
		}
		aud, err = startAudience(ctx, cfg, cp.DisplayName(), fed, monitors, func() int { return cur.Load().NearPx() }, out.Emit, warn)
		if err != nil {
			closeOutputs()
			return fmt.Errorf("watch: %s", oneLine(err.Error()))
		}
		capturer = maskingCapturer{Capturer: capturer, exclude: aud.exclude}
		// Frames for the feed are captured at its rate (still only after
		// something was drawn).
		interval = min(interval, time.Second/time.Duration(cfg.OutputFPS))
	}
	agentCfg := agent.Config{
		Capturer:   capturer,
		Recognizer: eng,
		Rules: func() agent.Matcher {
			if r := cur.Load(); r != nil {
				return r
			}
			return nil
		},
		Sink:     emitOnly{out},
		Display:  cfg.Display,
		Interval: interval,
		MaxCPU:   cfg.MaxCPU,
		Burst:    cfg.Burst,
		Workers:  cfg.Workers,
		MinConf:  cfg.MinConf,
		Salt:     cfg.Salt,
		Changes:  changes,
	}
	if aud != nil {
		agentCfg.Feed, agentCfg.FeedDisplay = aud.feed, fed.Index
	}
	ag := agent.New(agentCfg)

	// The page, the hub and the actions: started before the agent and the
	// reloader emit, so they get every event but the feed's first.
	status := &agentStatus{
		agent: ag,
		displays: func() []string {
			// What the agent watches now, not the start-up list: monitors
			// come and go during a talk.
			var out []string
			for _, d := range ag.Displays() {
				out = append(out, fmt.Sprintf("%d: %dx%d%+d%+d", d.Index, d.Bounds.Dx(), d.Bounds.Dy(), d.Bounds.Min.X, d.Bounds.Min.Y))
			}
			return out
		},
		rules: func() (int, []string) {
			r := cur.Load()
			return len(r.Rules()), r.Sources()
		},
	}
	if aud != nil {
		status.feed = aud.Status
	}
	status.outputs = func() string {
		return strings.Trim(out.Trouble()+"; "+lines.Trouble(), "; ")
	}
	p, err := startPrivate(privateOptions{
		ui: cfg.UI, hub: cfg.Hub, room: cfg.Room, token: cfg.Token, tokenFrom: cfg.TokenFrom, agentToken: cfg.AgentToken,
		showText: cfg.ShowText, actions: cfg.Actions,
	}, status, out.Emit, warn, stderr)
	if err != nil {
		if aud != nil {
			aud.stop()
		}
		closeOutputs()
		return fmt.Errorf("watch: %s", oneLine(err.Error()))
	}
	p.add(out)

	var rl *reload.Watcher
	if len(cfg.Rules) > 0 {
		rl = &reload.Watcher{
			Paths: cfg.Rules,
			Load: func() (int, []string, error) {
				n, err := load()
				if err != nil {
					return 0, nil, err
				}
				cur.Store(n) // whole rule sets only: a frame sees the old or the new
				return len(n.Rules()), n.Sources(), nil
			},
			Emit: out.Emit,
		}
		if err := rl.Start(ctx, rs.Sources()); err != nil {
			warn("rules will not reload live: " + err.Error())
		}
	}

	fmt.Fprintf(stderr, "demoguard: watching display %s with %d rules (interval %v, max-cpu %s, %d OCR workers); Ctrl-C stops\n",
		strings.Join(desc, ", "), len(rs.Rules()), cfg.Interval, cfg.MaxCPUText, cfg.Workers)
	out.Emit(event.Event{Event: event.Reload, Time: time.Now(), Rules: len(rs.Rules()), Message: "watching"})
	if aud != nil {
		aud.announce()
		if tty != nil {
			sctx, scancel := context.WithCancel(ctx)
			defer scancel()
			go tty.run(sctx, aud.Status)
		}
	}

	if cfg.Started != nil {
		cfg.Started(ag)
	}
	runErr := ag.Run(ctx)
	// From here the outputs have OutputWait to take what is queued: an
	// output still blocked then loses it (counted below), so that a signal
	// ends the process in time whatever an output is doing.
	deadline := time.Now().Add(OutputWait)
	// The reloader is joined first: a reload in flight must not emit into
	// outputs that are closing.
	if rl != nil {
		rl.Stop()
	}
	// Actions next: they get the last clears (an OBS scene switched back)
	// and report failures through the other outputs, which must not be
	// closed yet.
	if err := out.CloseOutput(actionsOutput, time.Now().Add(OutputWait*3/4)); err != nil && runErr == nil {
		runErr = err
	}
	// The feed ends after the agent (no more frames) and before the
	// outputs close (its stopped event goes out).
	if aud != nil {
		if err := aud.stop(); err != nil {
			warn("feed: " + oneLine(err.Error()))
		}
	}
	if err := out.Close(deadline); err != nil && runErr == nil {
		runErr = err
	}
	if t := out.Trouble(); t != "" {
		warn("events lost: " + t)
	}
	if runErr != nil {
		return fmt.Errorf("watch: %s", oneLine(runErr.Error()))
	}
	return nil
}

// workerWait is how long Run waits for the OCR workers to exit when it
// returns; the rest exit on their own (their request pipe is closed).
const workerWait = 300 * time.Millisecond

// lineWait is how long Run's last lines on stderr may take when it returns.
const lineWait = 250 * time.Millisecond

// lineWriter queues each Write as one event for lineSink: Run's lines on
// stderr go through the same bounded, never-blocking queue as events.
type lineWriter struct{ lines *event.Fanout }

func (w lineWriter) Write(p []byte) (int, error) {
	w.lines.Emit(event.Event{Message: string(p)})
	return len(p), nil
}

// lineSink writes what lineWriter queued; the queue's drop reports (error
// events) become a line of their own.
type lineSink struct{ w io.Writer }

func (s lineSink) Emit(e event.Event) {
	if e.Event == event.Error {
		io.WriteString(s.w, "demoguard: "+strings.Replace(e.Message, "events dropped", "lines dropped", 1)+"\n")
		return
	}
	io.WriteString(s.w, e.Message)
}

func (lineSink) Close() error { return nil }

// emitOnly gives the agent the outputs to emit into: Run closes them, by
// a deadline, after the agent returned.
type emitOnly struct{ out *event.Fanout }

func (s emitOnly) Emit(e event.Event) { s.out.Emit(e) }
func (emitOnly) Close() error         { return nil }

// OutputWait is how long shutdown waits for the outputs to take the events
// still queued for them (the last clears, the feed's stopped event) and
// close. Actions get half of it, a webhook or hub three quarters.
const OutputWait = time.Second

// Capturer gives the agent the displays and frames of an X11 capturer.
func Capturer(c *capture.X11) agent.Capturer { return captureAdapter{c} }

// captureAdapter maps capture's display type onto the agent's.
type captureAdapter struct{ c *capture.X11 }

func (a captureAdapter) Displays() ([]agent.Display, error) {
	ds, err := a.c.Displays()
	if err != nil {
		return nil, err
	}
	out := make([]agent.Display, len(ds))
	for i, d := range ds {
		out[i] = agent.Display{Index: d.Index, Bounds: d.Bounds}
	}
	return out, nil
}

func (a captureAdapter) Capture(d agent.Display) (*image.RGBA, error) {
	return a.c.Capture(capture.Display{Index: d.Index, Bounds: d.Bounds})
}

// CaptureInto lets the agent recycle frame buffers.
func (a captureAdapter) CaptureInto(d agent.Display, dst *image.RGBA) (*image.RGBA, error) {
	return a.c.CaptureInto(capture.Display{Index: d.Index, Bounds: d.Bounds}, dst)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
