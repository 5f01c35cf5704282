package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/event"
)

// pageURL is the presenter page's address as watch announced it on stderr.
func (w *watchRun) pageURL() string {
	w.t.Helper()
	m := regexp.MustCompile(`presenter page: (http://\S+)`).FindStringSubmatch(w.stderr.String())
	if m == nil {
		w.t.Fatalf("no presenter page announced; stderr:\n%s", w.stderr)
	}
	return m[1]
}

// pageState is the part of /state.json the tests read.
type pageState struct {
	Alerts []struct {
		Incident, Rule, Severity, Text string
		Display                        int
	} `json:"alerts"`
	Status struct {
		Displays []string
		Rules    int
		Sources  []string
	} `json:"status"`
}

func getState(t *testing.T, base string) pageState {
	t.Helper()
	u := strings.TrimSuffix(base, "/") + "/state.json"
	if i := strings.Index(base, "?"); i >= 0 { // keep the token after the path
		u = strings.TrimSuffix(base[:i], "/") + "/state.json" + base[i:]
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", u, resp.Status, b)
	}
	var st pageState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("state.json %q: %v", b, err)
	}
	return st
}

// The presenter page of a running watch shows the alert (masked), the
// display being watched and the rules in force.
func TestWatchPresenterPage(t *testing.T) {
	disp := xtest.StartXvfb(t, "1920x1080x24")
	if err := xtest.SetRootImage(disp, slide()); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, disp, "--ui", "127.0.0.1:0")
	base := w.pageURL()
	rs, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}

	st := getState(t, base)
	if len(st.Alerts) != 0 || !slices.Contains(st.Status.Displays, "0: 1920x1080+0+0") || st.Status.Rules != len(rs.Rules()) {
		t.Fatalf("page state before the alert %+v: want no alerts, display 0 and %d rules", st, len(rs.Rules()))
	}

	win := show(t, disp, card("Dana Whitfield", "TOP SECRET roadmap attached"), 1450, 930)
	defer win.Close()
	e := w.next(2 * time.Second)
	if e.Event != event.Alert {
		t.Fatalf("want an alert, got %+v", e)
	}
	// The page got the event in the same Emit as stdout; give its HTTP
	// side a moment anyway.
	deadline := time.Now().Add(time.Second)
	for {
		st = getState(t, base)
		if len(st.Alerts) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(st.Alerts) != 1 {
		t.Fatalf("page alerts %+v, want the one alert %s", st.Alerts, e.Incident)
	}
	a := st.Alerts[0]
	if a.Incident != e.Incident || a.Rule != e.Rule || a.Severity != "high" || a.Display != 0 {
		t.Fatalf("page alert %+v, want %s (%s, high, display 0)", a, e.Incident, e.Rule)
	}
	if a.Text == "" || strings.Contains(strings.ToLower(a.Text), "secret") {
		t.Fatalf("page alert text %q is not masked", a.Text)
	}

	// The page itself answers (it is what a phone opens).
	resp, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), e.Rule) || strings.Contains(strings.ToLower(string(body)), "top secret") {
		t.Fatalf("GET %s: %s; want 200 naming %s without the matched text", base, resp.Status, e.Rule)
	}

	if _, err := w.stop(); err != nil {
		t.Fatalf("watch returned %v on shutdown, want nil", err)
	}
	if _, err := http.Get(base); err == nil {
		t.Error("the page still answers after watch returned")
	}
}

// A [actions.high] command in the config file gets the alert as JSON on
// stdin; the page's address comes from the config's [watch] table.
func TestWatchActionCommand(t *testing.T) {
	disp := xtest.StartXvfb(t, "1920x1080x24")
	if err := xtest.SetRootImage(disp, slide()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "event.json")
	cfg := filepath.Join(dir, "config.toml")
	// Written aside and renamed, so the test never reads half a file.
	conf := fmt.Sprintf(`[watch]
ui = "127.0.0.1:0"

[actions.high]
command = ["sh", "-c", "cat > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"", %q]
timeout = "5s"
`, out)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, disp, "--config", cfg)
	w.pageURL() // [watch] ui started the page

	win := show(t, disp, card("Note: Internal Only"), 300, 700)
	defer win.Close()
	e := w.next(2 * time.Second)
	if e.Event != event.Alert || e.Severity != "high" {
		t.Fatalf("want a high alert, got %+v", e)
	}
	var got event.Event
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(out)
		if err == nil {
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("the command's stdin %q is not an event: %v", b, err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the action command did not run in 5s; stderr:\n%s", w.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got.Event != event.Alert || got.Incident != e.Incident || got.Rule != e.Rule || got.Severity != "high" {
		t.Fatalf("command got %+v, want the alert %s", got, e.Incident)
	}
	if got.Text == "" || strings.Contains(strings.ToLower(got.Text), "internal only") {
		t.Fatalf("command got text %q, want it masked without --show-text", got.Text)
	}
	if _, err := w.stop(); err != nil {
		t.Fatalf("watch returned %v on shutdown, want nil", err)
	}
}

// Hub settings that cannot work are usage errors, before any display is
// opened (DISPLAY is unset here).
func TestWatchHubFlagErrors(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--room", "Hall A"}, "--hub"},
		{[]string{"--hub", "http://booth:8766/"}, "--room"},
	} {
		var stdout, stderr strings.Builder
		err := run(context.Background(), append([]string{"watch"}, tt.args...), nil, &stdout, &stderr)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitErr || !strings.Contains(ee.msg, tt.want) {
			t.Errorf("watch %q: %v, want exit 2 naming %s", tt.args, err, tt.want)
		}
	}
}
