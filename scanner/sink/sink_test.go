package sink

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
)

func alertEvent() event.Event {
	d, at := 0, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := int64(0)
	return event.Event{
		Event: event.Alert, Time: at, Rule: "customers", Severity: "high", Display: &d,
		Box: &rules.Box{X: 10, Y: 20, W: 80, H: 14}, FirstSeen: &at, LastSeen: &at, ExposureMS: &exp,
		Fingerprint: "0123456789abcdef", Incident: "abc123-1",
	}.WithMatched("Walmart")
}

func TestTextSink(t *testing.T) {
	var b bytes.Buffer
	(&Text{W: &b}).Emit(alertEvent())
	line := b.String()
	if !strings.HasPrefix(line, "demoguard: \a") || !strings.Contains(line, "customers") || !strings.Contains(line, "W*****t") || strings.Contains(line, "Walmart") {
		t.Fatalf("alert line %q", line)
	}
	b.Reset()
	(&Text{W: &b, ShowText: true}).Emit(alertEvent())
	if !strings.Contains(b.String(), "Walmart") {
		t.Fatalf("--show-text line %q", b.String())
	}
	b.Reset()
	e := alertEvent()
	e.Event = event.Clear
	*e.ExposureMS = 3200
	(&Text{W: &b}).Emit(e)
	if !strings.Contains(b.String(), "after 3.2s") || strings.Contains(b.String(), "\a") {
		t.Fatalf("clear line %q", b.String())
	}
	b.Reset()
	(&Text{W: &b}).Emit(event.Event{Event: event.Error, File: "r.toml", Line: 3, Message: "bad"})
	if !strings.Contains(b.String(), "r.toml:3: bad") {
		t.Fatalf("error line %q", b.String())
	}
}

func TestJSONSinkMasksUnlessShowText(t *testing.T) {
	var b bytes.Buffer
	(&JSON{W: &b}).Emit(alertEvent())
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"event", "time", "rule", "severity", "display", "box", "first_seen", "last_seen", "exposure_ms", "fingerprint", "text", "incident"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b.String())
		}
	}
	if m["text"] != "W*****t" || m["display"] != 0.0 || m["exposure_ms"] != 0.0 {
		t.Fatalf("event %s", b.String())
	}
	b.Reset()
	(&JSON{W: &b, ShowText: true}).Emit(alertEvent())
	if !strings.Contains(b.String(), `"text":"Walmart"`) {
		t.Fatalf("--show-text event %s", b.String())
	}
}

func TestLogSinkNeverHoldsText(t *testing.T) {
	p := filepath.Join(t.TempDir(), "audit.jsonl")
	os.WriteFile(p, []byte("{\"event\":\"earlier\"}\n"), 0o600)
	l, err := OpenLog(p)
	if err != nil {
		t.Fatal(err)
	}
	l.Emit(alertEvent().WithText(true)) // even an unmasked event is masked
	l.Emit(event.Event{Event: event.Reload, Rules: 3})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || strings.Contains(string(b), "Walmart") || !strings.Contains(lines[1], "W*****t") {
		t.Fatalf("log:\n%s", b)
	}
}

func TestNotifySinkNeverShowsText(t *testing.T) {
	var mu sync.Mutex
	var got []string
	s := &Notify{Command: func(title, body string) *exec.Cmd {
		mu.Lock()
		got = append(got, title, body)
		mu.Unlock()
		return exec.Command("true")
	}}
	s.Emit(alertEvent().WithText(true))
	s.Emit(event.Event{Event: event.Clear})
	s.Close()
	if len(got) != 2 || strings.Contains(strings.Join(got, " "), "Walmart") || !strings.Contains(got[0], "customers") {
		t.Fatalf("notification %q", got)
	}
}

func TestWebhookSignatureVerified(t *testing.T) {
	const secret = "s3cret"
	got := make(chan event.Event, 4)
	tries := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(SignatureHeader) != Sign(secret, body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			t.Errorf("signature %q does not verify", r.Header.Get(SignatureHeader))
			return
		}
		tries++
		if tries == 1 { // first attempt fails: the sink retries
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var e event.Event
		if err := json.Unmarshal(body, &e); err != nil {
			t.Error(err)
		}
		got <- e
	}))
	defer srv.Close()
	s := &Webhook{URL: srv.URL, Secret: secret, Backoff: time.Millisecond}
	s.Emit(alertEvent())
	e := <-got
	if e.Event != event.Alert || e.Text != "W*****t" || e.Rule != "customers" {
		t.Fatalf("received %+v", e)
	}
	s.Close()
	if s.Dropped() != 0 || s.Failed() != 0 {
		t.Fatalf("dropped %d failed %d", s.Dropped(), s.Failed())
	}
}

// A hanging endpoint fills the bounded queue; Emit never blocks (if it did,
// this test would hang) and the drops are counted and reported.
func TestWebhookDeadEndpointDoesNotBlock(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	var mu sync.Mutex
	var warns []string
	s := &Webhook{URL: srv.URL, Attempts: 1, Warn: func(m string) { mu.Lock(); warns = append(warns, m); mu.Unlock() }}
	for i := 0; i < 1000; i++ {
		s.Emit(alertEvent())
	}
	if s.Dropped() < 1000-257 {
		t.Fatalf("dropped %d of 1000 with a queue of 256", s.Dropped())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warns) == 0 || !strings.Contains(warns[0], "dropped") {
		t.Fatalf("drops not reported: %q", warns)
	}
}

// A reload in flight at shutdown may emit after the webhook closed: the
// event is dropped and counted, nothing panics (it was "send on closed
// channel"), and closing twice, concurrently, is fine.
func TestWebhookEmitAfterClose(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	s := &Webhook{URL: srv.URL}
	s.Emit(alertEvent())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); s.Close() }()
	}
	wg.Wait()
	s.Emit(alertEvent())
	if s.Dropped() != 1 {
		t.Fatalf("dropped %d, want the one emitted after Close", s.Dropped())
	}
}
