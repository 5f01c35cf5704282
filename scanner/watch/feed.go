package watch

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"sync"
	"time"

	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/feed"
	"github.com/demoguard/demoguard/scanner/output"
)

// feedDisplay picks the display the feed shows: --display, or the only
// one. Checked before anything starts, with the window monitor.
func feedDisplay(cfg Config, displays []capture.Display) (capture.Display, error) {
	var d capture.Display
	switch {
	case cfg.Display >= 0:
		for _, x := range displays {
			if x.Index == cfg.Display {
				d = x
			}
		}
	case len(displays) == 1:
		d = displays[0]
	default:
		return d, fmt.Errorf("--output feeds one display: give --display N (there are %d displays, 0..%d)", len(displays), len(displays)-1)
	}
	if t := cfg.Output; t.Kind == output.KindWindow && t.Monitor >= 0 {
		found := false
		for _, x := range displays {
			found = found || x.Index == t.Monitor
		}
		if !found {
			return d, fmt.Errorf("--output %s: %w (there are %d monitors, 0..%d)", t, output.ErrNoMonitor, len(displays), len(displays)-1)
		}
	}
	return d, nil
}

// audience is the running feed: the output, the pointer and the delay
// line with its compositor.
type audience struct {
	cfg    Config
	target output.Target
	disp   capture.Display
	out    output.Output
	cursor *output.Cursor
	feed   *feed.Feed
	emit   func(event.Event)
	start  time.Time
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// startAudience opens the output (ffmpeg or the window) and the pointer and
// starts composing. Frames come from the agent (Config.Feed).
func startAudience(ctx context.Context, cfg Config, xdisplay string, d capture.Display, monitors []image.Rectangle, nearPx func() int, emit func(event.Event), warn func(string)) (*audience, error) {
	a := &audience{cfg: cfg, target: *cfg.Output, disp: d, emit: emit}
	ctx, a.cancel = context.WithCancel(ctx)
	var err error
	a.out, err = output.Open(ctx, a.target, output.Options{
		Width: d.Bounds.Dx(), Height: d.Bounds.Dy(), FPS: cfg.OutputFPS, Args: cfg.OutputArgs,
		Display: xdisplay, Monitors: monitors,
		Logf: func(format string, args ...any) { warn(fmt.Sprintf(format, args...)) },
		OnError: func(err error, restarting bool) {
			msg := err.Error()
			if restarting {
				msg += " (restarting)"
			}
			a.event("error", "feed "+a.target.String()+": "+msg)
		},
	})
	if err != nil {
		a.cancel()
		return nil, err
	}
	if c, err := output.OpenCursor(xdisplay); err == nil {
		a.cursor = c
	} else {
		warn("the feed shows no pointer: " + err.Error())
	}
	a.start = time.Now()
	fc := feed.Config{
		Delay: cfg.Delay, FPS: cfg.OutputFPS, Pending: cfg.Pending, Redact: cfg.Redact,
		Out: a.out, Origin: d.Bounds.Min, Checking: output.CheckingFrame, Start: a.start,
		NearPx: nearPx,
	}
	if a.cursor != nil {
		fc.Pointer, fc.DrawPointer = a.cursor, output.DrawCursor
	}
	a.feed = feed.New(fc)
	a.wg.Add(1)
	go func() { defer a.wg.Done(); a.feed.Run(ctx) }()
	return a, nil
}

// announce emits the started event (once every output is listening).
func (a *audience) announce() {
	a.event("started", fmt.Sprintf("feed of display %d to %s: delay %v, %d fps, pending %v, redact %v",
		a.disp.Index, a.target, a.cfg.Delay, a.cfg.OutputFPS, a.cfg.Pending, a.cfg.Redact))
}

func (a *audience) event(state, msg string) {
	ms := a.cfg.Delay.Milliseconds()
	e := event.Event{Event: event.Output, Time: time.Now(), State: state, Target: a.target.String(), Message: msg}
	if state == "started" {
		// Time is the feed's start: a file's frame at timestamp t shows the
		// screen as captured at Time + t.
		e.Time, e.DelayMS, e.FPS = a.start, &ms, a.cfg.OutputFPS
	}
	a.emit(e)
}

// exclude is the output window's area on display d (relative to it): left
// out of capture, so the feed never shows or reads itself.
func (a *audience) exclude(d agent.Display) []image.Rectangle {
	b := a.out.Bounds()
	if b.Empty() || !b.Overlaps(d.Bounds) {
		return nil
	}
	return []image.Rectangle{b.Intersect(d.Bounds).Sub(d.Bounds.Min)}
}

// stop ends the feed and the output (ffmpeg finishes the file).
func (a *audience) stop() error {
	a.cancel()
	a.wg.Wait()
	err := a.out.Close()
	if a.cursor != nil {
		a.cursor.Close()
	}
	st, ost := a.feed.Stats(), a.out.Stats()
	msg := fmt.Sprintf("feed to %s stopped: %d frames written, %d dropped", a.target, ost.Written, ost.Dropped+st.Lost+st.Refused)
	if err != nil {
		a.event("error", "feed "+a.target.String()+": "+err.Error())
	}
	a.event("stopped", msg)
	return err
}

// Status is the feed's line for the terminal and the presenter page.
func (a *audience) Status() string {
	st, ost := a.feed.Stats(), a.out.Stats()
	state := ""
	if st.Checking {
		state = ", checking"
	}
	if ost.Err != "" {
		state += ", error: " + ost.Err
	}
	return fmt.Sprintf("feed %s: %d fps, delay %v, %d lines held (%.0f%% of the screen), %d covered, %d frames dropped%s",
		a.target, a.cfg.OutputFPS, a.cfg.Delay, st.Held, 100*st.HeldShare, st.Covered, ost.Dropped+st.Lost+st.Refused, state)
}

// maskingCapturer leaves the feed window's area out of every frame: it is
// painted a neutral fill before change detection, so drawing the feed is
// never a change to read, and the feed shows the fill there (no hall of
// mirrors).
type maskingCapturer struct {
	agent.Capturer
	exclude func(agent.Display) []image.Rectangle
}

type intoCapturer interface {
	CaptureInto(agent.Display, *image.RGBA) (*image.RGBA, error)
}

func (m maskingCapturer) Capture(d agent.Display) (*image.RGBA, error) {
	img, err := m.Capturer.Capture(d)
	if err == nil {
		m.mask(d, img)
	}
	return img, err
}

func (m maskingCapturer) CaptureInto(d agent.Display, dst *image.RGBA) (*image.RGBA, error) {
	ic, ok := m.Capturer.(intoCapturer)
	if !ok {
		return m.Capture(d)
	}
	img, err := ic.CaptureInto(d, dst)
	if err == nil {
		m.mask(d, img)
	}
	return img, err
}

func (m maskingCapturer) mask(d agent.Display, img *image.RGBA) {
	areas := m.exclude(d)
	if len(areas) == 0 {
		return
	}
	for i := range areas {
		areas[i] = areas[i].Add(img.Rect.Min)
	}
	feed.MaskAreas(img, areas)
}

// statusLine keeps one status line at the bottom of a terminal: every write
// through it (event lines) first clears the line, and the status is drawn
// again once a second.
type statusLine struct {
	mu   sync.Mutex
	w    io.Writer
	text string
}

func (s *statusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.text != "" {
		io.WriteString(s.w, "\r\033[K")
	}
	n, err := s.w.Write(p)
	if s.text != "" {
		io.WriteString(s.w, s.text)
	}
	return n, err
}

func (s *statusLine) set(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.text = text
	io.WriteString(s.w, "\r\033[K"+text)
}

func (s *statusLine) run(ctx context.Context, status func() string) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.mu.Lock()
			if s.text != "" {
				io.WriteString(s.w, "\r\033[K")
				s.text = ""
			}
			s.mu.Unlock()
			return
		case <-t.C:
			s.set(status())
		}
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
