package actions

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/incident"
)

const secret = "Project Falcon budget"

// alertEvent makes a real alert through the tracker (with its raw text).
func alertEvent(t *testing.T, rule, sev string) event.Event {
	t.Helper()
	s, ok := rules.ParseSeverity(sev)
	if !ok {
		t.Fatalf("severity %q", sev)
	}
	tr := incident.New(time.Second, 0, []byte("salt"))
	evs := tr.Observe(0, []rules.Finding{{Rule: rule, Severity: s, Text: secret, Confidence: 0.9}}, time.Now(), nil)
	if len(evs) != 1 {
		t.Fatalf("tracker gave %+v", evs)
	}
	return evs[0]
}

func clearEvent(a event.Event) event.Event {
	c := a
	c.Event, c.Time = "clear", time.Now()
	return c
}

// errors collects the error events a Runner reports.
type errs struct {
	mu  sync.Mutex
	evs []event.Event
	ch  chan event.Event
}

func newErrs() *errs { return &errs{ch: make(chan event.Event, 100)} }

func (e *errs) add(ev event.Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
	e.ch <- ev
}

func (e *errs) wait(t *testing.T) event.Event {
	t.Helper()
	select {
	case ev := <-e.ch:
		return ev
	case <-time.After(20 * time.Second): // bounds a hung test only
		t.Fatal("no error event")
	}
	return event.Event{}
}

func (e *errs) all() []event.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]event.Event(nil), e.evs...)
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"empty", Config{}, ""},
		{"command", Config{High: &Action{Command: []string{"true"}, Timeout: "2s", On: []string{"alert", "clear"}}}, ""},
		{"scene", Config{Critical: &Action{Scene: "Camera", SceneBack: true}}, ""},
		{"nothing to do", Config{Low: &Action{}}, "actions.low: nothing to do"},
		{"bad timeout", Config{High: &Action{Command: []string{"true"}, Timeout: "soon"}}, "actions.high: timeout"},
		{"bad event", Config{High: &Action{Command: []string{"true"}, On: []string{"reload"}}}, `on: "reload"`},
		{"empty program", Config{High: &Action{Command: []string{""}}}, "empty program"},
		{"back without scene", Config{Medium: &Action{Command: []string{"true"}, SceneBack: true}}, "scene_back without scene"},
		{"bad obs timeout", Config{OBS: OBSConfig{Timeout: "x"}, Critical: &Action{Scene: "Camera"}}, "actions.obs.timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.cfg, Options{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				r.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCommandGetsEventOnStdin(t *testing.T) {
	tests := []struct {
		name     string
		showText bool
		on       []string
		events   []string // emitted
		want     []string // events the command saw
	}{
		{"alert only by default", false, nil, []string{"alert", "clear"}, []string{"alert"}},
		{"alert and clear", false, []string{"alert", "clear"}, []string{"alert", "clear"}, []string{"alert", "clear"}},
		{"show text", true, nil, []string{"alert"}, []string{"alert"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// Each run writes its stdin to a file named after the event.
			script := `cat > "$0/$DEMOGUARD_EVENT.json"`
			r, err := New(Config{High: &Action{Command: []string{"sh", "-c", script, dir}, On: tt.on}}, Options{ShowText: tt.showText})
			if err != nil {
				t.Fatal(err)
			}
			a := alertEvent(t, "budget", "high")
			for _, ev := range tt.events {
				if ev == "alert" {
					r.Emit(a)
				} else {
					r.Emit(clearEvent(a))
				}
			}
			// Events of other severities and kinds run nothing.
			r.Emit(alertEvent(t, "budget", "low"))
			r.Emit(event.Event{Event: "error", Severity: "high", Message: "x"})
			r.Close() // runs what is queued
			files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			if len(files) != len(tt.want) {
				t.Fatalf("command ran for %v, want %v", files, tt.want)
			}
			for _, w := range tt.want {
				b, err := os.ReadFile(filepath.Join(dir, w+".json"))
				if err != nil {
					t.Fatal(err)
				}
				var got event.Event
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatalf("stdin is not an event: %v: %s", err, b)
				}
				if string(got.Event) != w || got.Rule != "budget" || got.Incident != a.Incident {
					t.Errorf("stdin event %+v", got)
				}
				if want := event.Mask(secret); tt.showText {
					if got.Text != secret && w == "alert" {
						t.Errorf("text %q, want it unmasked with ShowText", got.Text)
					}
				} else if strings.Contains(string(b), secret) || (w == "alert" && got.Text != want) {
					t.Errorf("text %q, want %q", got.Text, want)
				}
			}
		})
	}
}

func TestCommandFailuresBecomeErrorEvents(t *testing.T) {
	tests := []struct {
		name    string
		command []string
		timeout string
		want    string
	}{
		{"exit status", []string{"sh", "-c", "echo mixer offline >&2; exit 3"}, "", "exit status 3: mixer offline"},
		{"timeout", []string{"sh", "-c", "sleep 30"}, "200ms", "timed out after 200ms"},
		// The shell's child holds the pipes; the whole group must go.
		{"timeout with a child", []string{"sh", "-c", "sleep 30 & wait"}, "200ms", "timed out"},
		{"no such program", []string{"/nonexistent/mixer"}, "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newErrs()
			r, err := New(Config{Critical: &Action{Command: tt.command, Timeout: tt.timeout}}, Options{OnError: e.add})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			a := alertEvent(t, "budget", "critical")
			r.Emit(a)
			got := e.wait(t)
			if got.Event != "error" || got.Incident != a.Incident || got.Rule != "budget" || !strings.Contains(got.Message, tt.want) {
				t.Fatalf("error event %+v, want message with %q", got, tt.want)
			}
			if strings.Contains(got.Message, secret) {
				t.Errorf("error message leaks the text: %q", got.Message)
			}
		})
	}
}

func TestEmitNeverBlocks(t *testing.T) {
	e := newErrs()
	r, err := New(Config{High: &Action{Command: []string{"sleep", "30"}, Timeout: "30s"}}, Options{OnError: e.add})
	if err != nil {
		t.Fatal(err)
	}
	r.closeWait = 50 * time.Millisecond
	a := alertEvent(t, "budget", "high")
	// Commands hang; the queue (64), the running ones (4) and the one
	// waiting to start hold 69 — the rest must be dropped, not waited for.
	for range 200 {
		r.Emit(a)
	}
	if d := r.Dropped(); d < 200-69 {
		t.Errorf("dropped %d, want at least %d", d, 200-69)
	}
	if ev := e.wait(t); !strings.Contains(ev.Message, "falling behind") {
		t.Errorf("error event %q", ev.Message)
	}
	r.Close() // kills the sleeps
}

func TestSceneSwitch(t *testing.T) {
	f := newFakeOBS(t, "obs-pw")
	e := newErrs()
	cfg := Config{
		OBS:      OBSConfig{URL: f.URL(), Password: "obs-pw"},
		High:     &Action{Scene: "BRB"},
		Critical: &Action{Scene: "Camera", SceneBack: true},
	}
	r, err := New(cfg, Options{OnError: e.add})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	next := func() string {
		t.Helper()
		select {
		case s := <-f.switched:
			return s
		case ev := <-e.ch:
			t.Fatalf("error: %s", ev.Message)
		case <-time.After(20 * time.Second):
			t.Fatal("no scene switch")
		}
		return ""
	}

	c1 := alertEvent(t, "revenue", "critical")
	r.Emit(c1)
	if s := next(); s != "Camera" {
		t.Fatalf("switched to %q, want Camera", s)
	}
	// A lower severity while a critical one holds the scene: no switch.
	h := alertEvent(t, "hostnames", "high")
	r.Emit(h)
	c2 := alertEvent(t, "revenue-2", "critical")
	r.Emit(c2)
	r.Emit(clearEvent(c1))
	r.Emit(clearEvent(h))
	// Back to the slides only when the last one clears.
	r.Emit(clearEvent(c2))
	if s := next(); s != "Slides" {
		t.Fatalf("switched to %q, want back to Slides", s)
	}

	// The booth takes over while an alert holds the scene: no switch back.
	c3 := alertEvent(t, "revenue-3", "critical")
	r.Emit(c3)
	if s := next(); s != "Camera" {
		t.Fatalf("switched to %q, want Camera", s)
	}
	f.SetProgram("BRB")
	r.Emit(clearEvent(c3))
	r.Close()
	if got := f.Switches(); strings.Join(got, ",") != "Camera,Slides,Camera" {
		t.Errorf("switches %v", got)
	}
	if f.Program() != "BRB" {
		t.Errorf("program %q: the booth's choice was overridden", f.Program())
	}
	if errs := e.all(); len(errs) > 0 {
		t.Errorf("errors: %+v", errs)
	}
}

func TestSceneFailuresBecomeErrorEvents(t *testing.T) {
	tests := []struct {
		name, password, scene, want string
	}{
		{"wrong password", "nope", "Camera", "refused the password"},
		{"unknown scene", "obs-pw", "Kamera", "code 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOBS(t, "obs-pw")
			e := newErrs()
			r, err := New(Config{OBS: OBSConfig{URL: f.URL(), Password: tt.password}, Critical: &Action{Scene: tt.scene}}, Options{OnError: e.add})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.Emit(alertEvent(t, "revenue", "critical"))
			if ev := e.wait(t); !strings.Contains(ev.Message, tt.want) || ev.Severity != "critical" {
				t.Fatalf("error event %+v, want %q", ev, tt.want)
			}
		})
	}
}

func TestOBSUnreachable(t *testing.T) {
	e := newErrs()
	r, err := New(Config{OBS: OBSConfig{URL: "ws://127.0.0.1:1", Timeout: "500ms"}, Critical: &Action{Scene: "Camera"}}, Options{OnError: e.add})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Emit(alertEvent(t, "revenue", "critical"))
	if ev := e.wait(t); !strings.Contains(ev.Message, "obs: connect") {
		t.Fatalf("error event %q", ev.Message)
	}
}

// Shutdown and a failed start-up may both close the Runner, at once: every
// Close returns after the actions finished, and none panics.
func TestCloseConcurrently(t *testing.T) {
	dir := t.TempDir()
	r, err := New(Config{High: &Action{Command: []string{"sh", "-c", `sleep 0.2; touch "$0/ran"`, dir}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Emit(alertEvent(t, "budget", "high"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Close()
			if _, err := os.Stat(filepath.Join(dir, "ran")); err != nil {
				t.Errorf("Close returned before the queued command ran: %v", err)
			}
		}()
	}
	wg.Wait()
}
