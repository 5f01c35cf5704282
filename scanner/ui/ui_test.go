package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/incident"
	"github.com/demoguard/demoguard/scanner/internal/web"
)

// secret is what the tracker sees on screen; the page must never show it
// unless ShowText is set.
const secret = "Walmart Q3 forecast"

// alertEvent makes a real alert through the tracker, so it carries the raw
// matched text the way the agent's events do.
func alertEvent(t *testing.T, rule, sev string, at time.Time) event.Event {
	t.Helper()
	s, ok := rules.ParseSeverity(sev)
	if !ok {
		t.Fatalf("severity %q", sev)
	}
	tr := incident.New(time.Second, 0, []byte("salt"))
	evs := tr.Observe(0, []rules.Finding{{Rule: rule, Severity: s, Text: secret, Box: rules.Box{X: 10, Y: 20, W: 200, H: 30}, Confidence: 0.9}}, at, nil)
	if len(evs) != 1 || evs[0].Event != "alert" {
		t.Fatalf("tracker gave %+v, want one alert", evs)
	}
	return evs[0]
}

func clearEvent(a event.Event, at time.Time) event.Event {
	exp := at.Sub(*a.FirstSeen).Milliseconds()
	c := a
	c.Event, c.Time, c.LastSeen, c.ExposureMS = "clear", at, &at, &exp
	return c
}

func get(t *testing.T, h http.Handler, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestAuth(t *testing.T) {
	s := New(Options{Addr: "0.0.0.0:8765", Token: "s3cret-token"})
	h := s.Handler()
	cookie := "demoguard_ui_8765"
	session := web.SessionValue("s3cret-token", cookie)
	tests := []struct {
		name   string
		target string
		hdr    map[string]string
		want   int
	}{
		{"no token", "http://192.168.1.5:8765/", nil, http.StatusUnauthorized},
		{"no token, stream", "http://192.168.1.5:8765/events", nil, http.StatusUnauthorized},
		{"no token, state", "http://192.168.1.5:8765/state.json", nil, http.StatusUnauthorized},
		{"wrong query token", "http://192.168.1.5:8765/?token=nope", nil, http.StatusUnauthorized},
		{"prefix of the token", "http://192.168.1.5:8765/?token=s3cret", nil, http.StatusUnauthorized},
		{"wrong bearer", "http://192.168.1.5:8765/state.json", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"wrong cookie", "http://192.168.1.5:8765/", map[string]string{"Cookie": cookie + "=nope"}, http.StatusUnauthorized},
		{"right bearer", "http://192.168.1.5:8765/state.json", map[string]string{"Authorization": "Bearer s3cret-token"}, http.StatusOK},
		// The cookie holds the session value, never the token itself.
		{"token as the cookie", "http://192.168.1.5:8765/", map[string]string{"Cookie": cookie + "=s3cret-token"}, http.StatusUnauthorized},
		{"session of another cookie name", "http://192.168.1.5:8765/", map[string]string{"Cookie": cookie + "=" + web.SessionValue("s3cret-token", "demoguard_hub_8765")}, http.StatusUnauthorized},
		{"session cookie", "http://192.168.1.5:8765/", map[string]string{"Cookie": cookie + "=" + session}, http.StatusOK},
		{"right query token redirects", "http://192.168.1.5:8765/?token=s3cret-token", nil, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, h, tt.target, tt.hdr)
			if w.Code != tt.want {
				t.Fatalf("GET %s: %d, want %d (%s)", tt.target, w.Code, tt.want, w.Body)
			}
			if w.Code == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
			if strings.Contains(w.Body.String(), "s3cret") && w.Code != http.StatusOK {
				t.Errorf("response leaks the token: %s", w.Body)
			}
		})
	}

	// The query token becomes a cookie and leaves the address bar.
	w := get(t, h, "http://192.168.1.5:8765/?token=s3cret-token", nil)
	if loc := w.Header().Get("Location"); strings.Contains(loc, "token") {
		t.Errorf("redirect keeps the token in the URL: %q", loc)
	}
	var got *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == cookie {
			got = c
		}
	}
	if got == nil || got.Value != session || !got.HttpOnly || got.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie after ?token=: %+v", got)
	}
	if strings.Contains(got.Value, "s3cret") {
		t.Errorf("cookie %q holds the token", got.Value)
	}
}

func TestLoopbackWithoutToken(t *testing.T) {
	h := New(Options{Addr: "127.0.0.1:8765"}).Handler()
	tests := []struct {
		host string
		want int
	}{
		{"127.0.0.1:8765", http.StatusOK},
		{"localhost:8765", http.StatusOK},
		{"[::1]:8765", http.StatusOK},
		// A DNS-rebound name pointing at 127.0.0.1 must not read alerts.
		{"evil.example:8765", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if w := get(t, h, "http://"+tt.host+"/", nil); w.Code != tt.want {
				t.Fatalf("Host %s: %d, want %d", tt.host, w.Code, tt.want)
			}
		})
	}
}

func TestStartNeedsTokenOffLoopback(t *testing.T) {
	tests := []struct {
		addr, token, from string
		wantToken         bool
	}{
		{"127.0.0.1:0", "", "", false},
		{"127.0.0.1:0", "given", "", true},
		{"0.0.0.0:0", "", "", true},
		{":0", "", "", true},
		{":0", "given", "", true},
		{":0", "given", "/home/ana/.config/demoguard/ui.token", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr+"/"+tt.token+"/"+tt.from, func(t *testing.T) {
			s, err := Start(Options{Addr: tt.addr, Token: tt.token, TokenFrom: tt.from})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if (s.Token() != "") != tt.wantToken {
				t.Fatalf("token %q, want one: %v", s.Token(), tt.wantToken)
			}
			if tt.token != "" && s.Token() != tt.token {
				t.Fatalf("token %q, want the one given", s.Token())
			}
			var sb strings.Builder
			s.Announce(&sb)
			// A token read from a file stays off the (maybe shared) screen.
			if printed := strings.Contains(sb.String(), "?token="+url.QueryEscape(s.Token())); printed != (tt.wantToken && tt.from == "") {
				t.Errorf("token printed: %v: %s", printed, sb.String())
			}
			if tt.from != "" && !strings.Contains(sb.String(), tt.from) {
				t.Errorf("announcement does not say where the token is: %s", sb.String())
			}
			// A QR code (block characters) only when a phone can reach the page.
			if hasQR := strings.ContainsAny(sb.String(), "█▀▄"); hasQR == (tt.addr == "127.0.0.1:0") {
				t.Errorf("QR code shown: %v, for %s", hasQR, tt.addr)
			}
		})
	}
}

func TestTextMasked(t *testing.T) {
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		showText bool
		want     string
	}{
		{false, event.Mask(secret)},
		{true, secret},
	}
	for _, tt := range tests {
		s := New(Options{ShowText: tt.showText, Now: func() time.Time { return now }})
		s.Emit(alertEvent(t, "client-names", "high", now))
		h := s.Handler()
		for _, path := range []string{"/", "/state.json"} {
			body := get(t, h, "http://127.0.0.1:8765"+path, nil).Body.String()
			if strings.Contains(body, secret) != tt.showText {
				t.Errorf("show-text %v: %s contains the matched text: %v", tt.showText, path, !tt.showText)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("show-text %v: %s lacks %q", tt.showText, path, tt.want)
			}
		}
		if got := render("live", s.view()); strings.Contains(got, secret) != tt.showText {
			t.Errorf("show-text %v: stream fragment: %s", tt.showText, got)
		}
	}
}

type pageState struct {
	Alerts []struct {
		Incident, Rule, Severity string
		Acked                    bool
	} `json:"alerts"`
	Cleared []struct{ Incident string } `json:"cleared"`
	Status  Status                      `json:"status"`
}

func state(t *testing.T, s *Server) pageState {
	t.Helper()
	w := get(t, s.Handler(), "http://127.0.0.1:8765/state.json", map[string]string{"Authorization": "Bearer " + s.Token()})
	var st pageState
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatalf("state.json: %v: %s", err, w.Body)
	}
	return st
}

func TestAckAndClear(t *testing.T) {
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }})
	h := s.Handler()
	low := alertEvent(t, "internal-host", "low", now)
	crit := alertEvent(t, "revenue", "critical", now.Add(time.Second))
	s.Emit(low)
	s.Emit(crit)
	st := state(t, s)
	if len(st.Alerts) != 2 || st.Alerts[0].Rule != "revenue" {
		t.Fatalf("alerts %+v: want two, critical first", st.Alerts)
	}

	post := func(id string, hdr map[string]string) int {
		body := url.Values{"incident": {id}}.Encode()
		if strings.HasPrefix(hdr["Content-Type"], "multipart/") {
			body = "--b\r\nContent-Disposition: form-data; name=\"incident\"\r\n\r\n" + id + "\r\n--b--\r\n"
		}
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8765/ack", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	tests := []struct {
		name string
		id   string
		hdr  map[string]string
		want int
	}{
		{"other site", crit.Incident, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"other site by fetch metadata", crit.Incident, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"unknown incident", "nope-1", nil, http.StatusNotFound},
		// Go would spool a multipart body's files to disk.
		{"multipart", crit.Incident, map[string]string{"Content-Type": "multipart/form-data; boundary=b"}, http.StatusUnsupportedMediaType},
		{"too long", strings.Repeat("x", 8<<10), nil, http.StatusRequestEntityTooLarge},
		{"form post", crit.Incident, map[string]string{"Origin": "http://127.0.0.1:8765"}, http.StatusSeeOther},
		{"script", low.Incident, map[string]string{"X-Demoguard": "1", "Sec-Fetch-Site": "same-origin"}, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(tt.id, tt.hdr); got != tt.want {
				t.Fatalf("POST /ack: %d, want %d", got, tt.want)
			}
		})
	}
	st = state(t, s)
	for _, a := range st.Alerts {
		if !a.Acked {
			t.Errorf("%s not acknowledged", a.Rule)
		}
	}

	s.Emit(clearEvent(crit, now.Add(5*time.Second)))
	st = state(t, s)
	if len(st.Alerts) != 1 || len(st.Cleared) != 1 || st.Cleared[0].Incident != crit.Incident {
		t.Fatalf("after clear: %+v", st)
	}
	if s.Ack(crit.Incident) {
		t.Errorf("a cleared incident can be acknowledged")
	}
}

func TestStatus(t *testing.T) {
	src := StatusFunc(func() Status {
		return Status{Displays: []string{"0: 1920x1080+0+0"}, FPS: 3.5, OCRLatency: 42 * time.Millisecond, Sources: []string{"/etc/demoguard/acme.toml"}}
	})
	s := New(Options{Status: src})
	s.Emit(event.Event{Event: "reload", Time: time.Now(), Rules: 12})
	s.Emit(event.Event{Event: "error", Time: time.Now(), File: "acme.toml", Line: 7, Message: "rule x: bad pattern; keeping the previous rules"})
	body := get(t, s.Handler(), "http://127.0.0.1:8765/", nil).Body.String()
	for _, want := range []string{"1920x1080", "3.5", "42 ms", "/etc/demoguard/acme.toml", "acme.toml:7: rule x: bad pattern", ">12<"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// A good reload clears the reload error.
	s.Emit(event.Event{Event: "reload", Time: time.Now(), Rules: 13})
	if body := get(t, s.Handler(), "http://127.0.0.1:8765/", nil).Body.String(); strings.Contains(body, "did not reload") {
		t.Errorf("reload error still shown after a good reload")
	}
}

// An output losing events (stdout piped to a program that stopped
// reading) is named on the page and in /state.json; nothing is shown
// while every output keeps up.
func TestStatusOutputs(t *testing.T) {
	trouble := ""
	s := New(Options{Status: StatusFunc(func() Status { return Status{Outputs: trouble} })})
	if body := get(t, s.Handler(), "http://127.0.0.1:8765/", nil).Body.String(); strings.Contains(body, "losing events") {
		t.Errorf("outputs shown as losing events while none does")
	}
	trouble = "stdout: blocked for 40s, 1030 events dropped"
	body := get(t, s.Handler(), "http://127.0.0.1:8765/", nil).Body.String()
	if !strings.Contains(body, "Outputs losing events:</strong> "+trouble) {
		t.Errorf("page does not name the output losing events:\n%s", body)
	}
	state := get(t, s.Handler(), "http://127.0.0.1:8765/state.json", nil).Body.String()
	if !strings.Contains(state, `"Outputs":"`+trouble+`"`) {
		t.Errorf("state.json lacks the outputs' trouble: %s", state)
	}
}

// TestStream reads the event stream as a browser would.
func TestStream(t *testing.T) {
	s, err := Start(Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	a := alertEvent(t, "client-names", "high", time.Now())
	// Whether it lands before or after the first fragments, the stream
	// must carry it.
	s.Emit(a)
	if !readUntil(t, resp.Body, `data-id="`+a.Incident+`"`) {
		t.Fatal("stream ended before the alert")
	}
}

func readUntil(t *testing.T, r io.Reader, want string) bool {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), want) {
			return true
		}
	}
	return false
}

// TestViewerCap: the page serves at most MaxViewers streams at once.
func TestViewerCap(t *testing.T) {
	s, err := Start(Options{Addr: "127.0.0.1:0", Limits: web.Limits{MaxViewers: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first, err := http.Get(s.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	second, err := http.Get(s.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	second.Body.Close()
	if first.StatusCode != http.StatusOK || second.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("first viewer %s, second %s: want 200 and 503", first.Status, second.Status)
	}
}

func TestEmitDoesNotBlockOnViewers(t *testing.T) {
	s := New(Options{})
	// Subscribed viewers that never read must not hold up Emit, and each
	// must still be told that something changed.
	var wakes []<-chan struct{}
	for i := 0; i < 3; i++ {
		c, unsub, err := s.bc.Subscribe()
		if err != nil {
			t.Fatal(err)
		}
		defer unsub()
		wakes = append(wakes, c)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 1000; i++ {
			s.Emit(event.Event{Event: event.Error, Time: time.Now(), Message: fmt.Sprint("error ", i)})
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // bounds a hung test only
		// Read for the viewers so Emit and the unsubscribes can finish.
		go func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, c := range wakes {
					select {
					case <-c:
					default:
					}
				}
			}
		}()
		<-done
		t.Fatal("Emit blocked on viewers that do not read")
	}
	for i, c := range wakes {
		if len(c) != 1 {
			t.Errorf("viewer %d has %d wake-ups pending, want 1", i, len(c))
		}
	}
	if v := s.view(); v.LastErr == nil || v.LastErr.Message != "error 999" {
		t.Errorf("last error %+v, want the last one emitted", v.LastErr)
	}
}
