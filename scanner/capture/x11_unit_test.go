//go:build linux

package capture

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"
	"time"
)

func TestResolveDisplay(t *testing.T) {
	tests := []struct {
		name        string
		explicit    string
		env         map[string]string
		wantDisplay string
		wantErr     []string // substrings; nil = no error
		wantCaveat  bool
	}{
		{"DISPLAY set", "", map[string]string{"DISPLAY": ":0"}, ":0", nil, false},
		{"explicit wins", ":5", map[string]string{"DISPLAY": ":0"}, ":5", nil, false},
		{"unset", "", nil, "", []string{"DISPLAY is not set", "export DISPLAY"}, false},
		{"wayland session, no XWayland", "", map[string]string{"XDG_SESSION_TYPE": "wayland"}, "", []string{"Wayland", "XWayland"}, false},
		{"WAYLAND_DISPLAY only", "", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, "", []string{"Wayland"}, false},
		{"XWayland", "", map[string]string{"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}, ":0", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, caveat, err := resolveDisplay(tt.explicit, func(k string) string { return tt.env[k] })
			if tt.wantErr != nil {
				if !errors.Is(err, ErrNoDisplay) {
					t.Fatalf("err = %v, want ErrNoDisplay", err)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				return
			}
			if err != nil || d != tt.wantDisplay || (caveat != "") != tt.wantCaveat {
				t.Fatalf("= %q, %q, %v; want %q, caveat %v", d, caveat, err, tt.wantDisplay, tt.wantCaveat)
			}
		})
	}
}

func TestIsLocal(t *testing.T) {
	tests := []struct {
		display string
		want    bool
	}{
		{":0", true}, {":0.1", true}, {"unix:0", true}, {"unix/:1", true},
		{"/tmp/launch-x/org.xquartz:0", true},
		{"localhost:10.0", false}, {"host:0", false}, {"tcp/host:1", false}, {"10.0.0.2:0", false},
	}
	for _, tt := range tests {
		if got := isLocal(tt.display); got != tt.want {
			t.Errorf("isLocal(%q) = %v, want %v", tt.display, got, tt.want)
		}
	}
}

func TestOrderDisplays(t *testing.T) {
	in := []Display{
		{Name: "right", Bounds: image.Rect(1920, 0, 3840, 1080)},
		{Name: "left", Bounds: image.Rect(-1280, 200, 0, 920)},
		{Name: "main", Bounds: image.Rect(0, 0, 1920, 1080), Primary: true},
		{Name: "below", Bounds: image.Rect(0, 1080, 1920, 2160)},
	}
	got := orderDisplays(in)
	var names []string
	for i, d := range got {
		if d.Index != i {
			t.Errorf("%s: Index %d at position %d", d.Name, d.Index, i)
		}
		names = append(names, d.Name)
	}
	if want := "[main left below right]"; fmt.Sprint(names) != want {
		t.Fatalf("order %v, want %s", names, want)
	}
	// Without a primary the first becomes it, so index 0 is always "the" display.
	if got := orderDisplays([]Display{{Bounds: image.Rect(10, 0, 20, 10)}, {Bounds: image.Rect(0, 0, 10, 10)}}); !got[0].Primary || got[0].Bounds.Min.X != 0 {
		t.Fatalf("no primary: %+v", got)
	}
}

func TestBackoff(t *testing.T) {
	c := &X11{opts: Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	for failures, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		if got := c.backoff(failures); got != want {
			t.Errorf("backoff(%d) = %v, want %v", failures, got, want)
		}
	}
}

// Failed reconnects are spaced by the backoff: calls in between fail fast
// without touching the network.
func TestReconnectBackoffFailsFast(t *testing.T) {
	// A socket path that cannot exist: dialing fails at once.
	const nowhere = "/nonexistent/demoguard-test:0"
	c := &X11{display: nowhere, opts: Options{Display: nowhere, Timeout: time.Second, MinBackoff: time.Hour, MaxBackoff: time.Hour}}
	c.lastErr = errors.New("EOF")
	err := c.do(func(*conn) error { t.Fatal("ran without a connection"); return nil })
	if !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), "reconnect to X server") {
		t.Fatalf("first call: %v", err)
	}
	err = c.do(func(*conn) error { t.Fatal("ran without a connection"); return nil })
	if !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), "next reconnect attempt in") {
		t.Fatalf("second call: %v, want a fast failure during backoff", err)
	}
	if c.failures != 1 {
		t.Fatalf("failures = %d, want 1 (the second call must not dial)", c.failures)
	}
}
