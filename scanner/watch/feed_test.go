package watch

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/feed"
	"github.com/demoguard/demoguard/scanner/output"
)

// TestFeedBadInput: every bad feed setting is one line naming the flag,
// found by Validate (before the display, OCR or ffmpeg are touched).
func TestFeedBadInput(t *testing.T) {
	dir := t.TempDir()
	exists := filepath.Join(dir, "talk.mkv")
	if err := os.WriteFile(exists, []byte("recording"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		set  func(*Raw)
		want string
	}{
		{func(r *Raw) { r.Output = "x.mkv"; r.Delay = 0 }, "--delay"},
		{func(r *Raw) { r.Output = "x.mkv"; r.Delay = 5*time.Second + time.Millisecond }, "--delay"},
		{func(r *Raw) { r.Delay = -time.Second }, "--delay"},
		{func(r *Raw) { r.Pending = "peek" }, "--pending"},
		{func(r *Raw) { r.Redact = "mosaic" }, "--redact"},
		{func(r *Raw) { r.OutputFPS = 0 }, "--output-fps"},
		{func(r *Raw) { r.Output = "http://example.com/live" }, "unknown URL scheme"},
		{func(r *Raw) { r.Output = exists }, "exists"},
		{func(r *Raw) { r.Output = "/proc/demoguard-test/talk.mkv" }, "does not exist"},
		{func(r *Raw) { r.Output = "/proc/talk.mkv" }, "not writable"},
		{func(r *Raw) { r.Output = "window:x" }, "monitor"},
	} {
		r := Defaults()
		tt.set(&r)
		_, err := r.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q/%v: %v, want one line naming %q", r.Output, r.Delay, err, tt.want)
		}
	}
	if b, _ := os.ReadFile(exists); string(b) != "recording" {
		t.Error("the existing file was touched")
	}
	r := Defaults()
	r.Output, r.Delay, r.Pending, r.Redact = filepath.Join(dir, "new.mkv"), 300*time.Millisecond, "blur", "pixelate"
	c, err := r.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if c.Output == nil || c.Output.Kind != output.KindFile || c.Delay != 300*time.Millisecond || c.Pending != feed.PendingBlur || c.Redact != feed.RedactPixelate {
		t.Errorf("config %+v", c)
	}
	if _, err := os.Stat(r.Output); !errors.Is(err, os.ErrNotExist) {
		t.Error("Validate created the file")
	}
}

func TestFeedSettingsFromConfigFile(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(`[watch]
output = "window:1"
delay = "250ms"
pending = "blur"
redact = "blur"
output_fps = 25
output_args = "-c:v libx264 -preset ultrafast"
`), 0o644)
	r, err := load(t, "--config", cfg, "--redact", "black")
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if c.Output.String() != "window:1" || c.Delay != 250*time.Millisecond || c.Pending != feed.PendingBlur ||
		c.Redact != feed.RedactBlack || c.OutputFPS != 25 || strings.Join(c.OutputArgs, " ") != "-c:v libx264 -preset ultrafast" {
		t.Errorf("%+v", c)
	}
}

func TestFeedDisplay(t *testing.T) {
	two := []capture.Display{{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080)}, {Index: 1, Bounds: image.Rect(1920, 0, 3200, 720)}}
	file := &output.Target{Kind: output.KindFile, Path: "x.mkv", Monitor: -1}
	for _, tt := range []struct {
		display  int
		target   *output.Target
		displays []capture.Display
		want     int
		err      string
	}{
		{-1, file, two, 0, "give --display"},
		{1, file, two, 1, ""},
		{-1, file, two[:1], 0, ""},
		{0, &output.Target{Kind: output.KindWindow, Monitor: 1}, two, 0, ""},
		{0, &output.Target{Kind: output.KindWindow, Monitor: 2}, two, 0, "no such monitor"},
	} {
		d, err := feedDisplay(Config{Display: tt.display, Output: tt.target}, tt.displays)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("display %d, %v: %v, want %q", tt.display, tt.target, err, tt.err)
			}
			continue
		}
		if err != nil || d.Index != tt.want {
			t.Errorf("display %d, %v: %v %v", tt.display, tt.target, d, err)
		}
	}
}

type fakeCapturer struct{ img *image.RGBA }

func (f fakeCapturer) Displays() ([]agent.Display, error) { return nil, nil }
func (f fakeCapturer) Capture(agent.Display) (*image.RGBA, error) {
	c := image.NewRGBA(f.img.Rect)
	copy(c.Pix, f.img.Pix)
	return c, nil
}

// TestWindowAreaMasked: the feed window's area (screen coordinates) is
// painted over in frames of the display it lies on, nowhere else.
func TestWindowAreaMasked(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 100, 80))
	for i := range src.Pix {
		src.Pix[i] = 200
	}
	win := image.Rect(1950, 10, 1990, 30) // on display 1, which starts at x=1920
	m := maskingCapturer{Capturer: fakeCapturer{src}, exclude: func(d agent.Display) []image.Rectangle {
		a := &audience{out: boundsOut(win)}
		return a.exclude(d)
	}}
	img, _ := m.Capture(agent.Display{Index: 1, Bounds: image.Rect(1920, 0, 2020, 80)})
	if img.RGBAAt(35, 15) == src.RGBAAt(35, 15) || img.RGBAAt(29, 15) != src.RGBAAt(29, 15) {
		t.Error("window area not masked exactly")
	}
	img, _ = m.Capture(agent.Display{Index: 0, Bounds: image.Rect(0, 0, 100, 80)})
	if img.RGBAAt(35, 15) != (color.RGBA{200, 200, 200, 200}) {
		t.Error("masked on a display the window is not on")
	}
}

type boundsOut image.Rectangle

func (b boundsOut) Write(*image.RGBA, time.Duration) bool { return true }
func (b boundsOut) Stats() output.Stats                   { return output.Stats{} }
func (b boundsOut) Close() error                          { return nil }
func (b boundsOut) Bounds() image.Rectangle               { return image.Rectangle(b) }

// TestStatusLine: event lines clear the status line first and it is drawn
// again after them.
func TestStatusLine(t *testing.T) {
	var b bytes.Buffer
	s := &statusLine{w: &b}
	s.set("feed x: 30 fps")
	s.Write([]byte("demoguard: alert\n"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.run(ctx, func() string { return "" })
	if got, want := b.String(), "\r\033[Kfeed x: 30 fps\r\033[Kdemoguard: alert\nfeed x: 30 fps\r\033[K"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
