package main

import (
	"context"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/event"
)

// TestWatchOutputBadInput: bad feed settings are one line and exit 2
// before anything starts (no OCR workers, no ffmpeg, no file).
func TestWatchOutputBadInput(t *testing.T) {
	disp := xtest.StartXvfb(t, "2560x720x24")
	if _, err := xtest.SplitMonitors(disp, image.Rect(0, 0, 1280, 720), image.Rect(1280, 0, 2560, 720)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DISPLAY", disp)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	file := filepath.Join(dir, "talk.mkv")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--output", file}, "--display"},
		{[]string{"--display", "0", "--output", "window:2"}, "no such monitor"},
		{[]string{"--display", "0", "--output", "ftp://example.com/x"}, "unknown URL scheme"},
		{[]string{"--display", "0", "--output", filepath.Join(dir, "no", "talk.mkv")}, "does not exist"},
		{[]string{"--display", "0", "--output", file, "--delay", "0s"}, "--delay"},
		{[]string{"--display", "0", "--output", file, "--delay", "6s"}, "--delay"},
		{[]string{"--display", "0", "--output", file, "--pending", "later"}, "--pending"},
	} {
		var stdout, stderr strings.Builder
		start := time.Now()
		err := run(context.Background(), append([]string{"watch"}, tt.args...), nil, &stdout, &stderr)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitErr {
			t.Errorf("%v: %v, want exit 2", tt.args, err)
			continue
		}
		if strings.Contains(ee.msg, "\n") || !strings.Contains(ee.msg, tt.want) {
			t.Errorf("%v: %q, want one line naming %q", tt.args, ee.msg, tt.want)
		}
		if stderr.Len() != 0 || stdout.Len() != 0 {
			t.Errorf("%v: output before the error: %q %q", tt.args, stdout.String(), stderr.String())
		}
		t.Logf("%v: %s (%v)", tt.args, ee.msg, time.Since(start).Round(time.Millisecond))
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Error("a file was created")
	}
}

// TestWatchOutputEvents: watch --output FILE announces the feed with its
// start time, delay and rate, writes a playable file and says when it
// stopped.
func TestWatchOutputEvents(t *testing.T) {
	disp := xtest.StartXvfb(t, "640x480x24")
	if err := xtest.SetRootImage(disp, slide()); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "talk.mkv")
	w := startWatch(t, disp, "--output", file, "--delay", "200ms", "--output-fps", "10")
	var started event.Event
	for started.Event != event.Output {
		started = w.next(10 * time.Second)
	}
	if started.State != "started" || started.Target != file || started.DelayMS == nil || *started.DelayMS != 200 || started.FPS != 10 || started.Time.IsZero() {
		t.Fatalf("started event %+v", started)
	}
	time.Sleep(2 * time.Second)
	rest, err := w.stop()
	if err != nil {
		t.Fatal(err)
	}
	var stopped bool
	for _, e := range rest {
		stopped = stopped || (e.Event == event.Output && e.State == "stopped")
	}
	if !stopped {
		t.Errorf("no stopped event in %+v", rest)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries", "stream=width,height,nb_read_frames", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", file, err)
	}
	if f := strings.Split(strings.TrimSpace(string(out)), ","); len(f) != 3 || f[0] != "640" || f[1] != "480" || f[2] == "0" {
		t.Errorf("file: %q", out)
	}
}
