package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/incident"
)

const secret = "ACME merger memo"

// alertEvent makes a real alert through the tracker, so it carries the raw
// matched text the way the agent's events do.
func alertEvent(t *testing.T, rule, sev string, at time.Time) event.Event {
	t.Helper()
	s, ok := rules.ParseSeverity(sev)
	if !ok {
		t.Fatalf("severity %q", sev)
	}
	tr := incident.New(time.Second, 0, []byte("salt"))
	evs := tr.Observe(1, []rules.Finding{{Rule: rule, Severity: s, Text: secret, Box: rules.Box{X: 1, Y: 2, W: 3, H: 4}, Confidence: 0.9}}, at, nil)
	if len(evs) != 1 {
		t.Fatalf("tracker gave %+v", evs)
	}
	return evs[0]
}

func clearEvent(a event.Event, at time.Time) event.Event {
	exp := at.Sub(*a.FirstSeen).Milliseconds()
	c := a
	c.Event, c.Time, c.LastSeen, c.ExposureMS = "clear", at, &at, &exp
	return c
}

func TestAuth(t *testing.T) {
	h := New(Options{Addr: "0.0.0.0:8766", Token: "booth-token"}).Handler()
	report := `{"room":"Hall A","agent":"a1","heartbeat_ms":2000,"open":[]}`
	tests := []struct {
		name, method, path, auth, body string
		want                           int
	}{
		{"page, no token", "GET", "/", "", "", http.StatusUnauthorized},
		{"page, wrong token", "GET", "/?token=nope", "", "", http.StatusUnauthorized},
		{"page, right token", "GET", "/", "Bearer booth-token", "", http.StatusOK},
		{"stream, no token", "GET", "/events", "", "", http.StatusUnauthorized},
		{"state, right token", "GET", "/state.json", "Bearer booth-token", "", http.StatusOK},
		{"report, no token", "POST", "/api/report", "", report, http.StatusUnauthorized},
		{"report, wrong token", "POST", "/api/report", "Bearer booth-tokeN", report, http.StatusUnauthorized},
		{"report, right token", "POST", "/api/report", "Bearer booth-token", report, http.StatusNoContent},
		{"report, no room", "POST", "/api/report", "Bearer booth-token", `{"agent":"a1"}`, http.StatusBadRequest},
		{"ack, wrong token", "POST", "/ack", "Bearer x", "room=Hall+A&incident=x", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://10.0.0.2:8766"+tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if tt.method == "POST" && tt.path == "/ack" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("%s %s: %d, want %d: %s", tt.method, tt.path, w.Code, tt.want, w.Body)
			}
		})
	}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)} }
func roomsOf(s *Server) map[string]RoomState {
	m := map[string]RoomState{}
	for _, r := range s.State() {
		m[r.Room] = r
	}
	return m
}

func TestTiles(t *testing.T) {
	clk := newClock()
	s := New(Options{Now: clk.Now})
	hb := int64(2000)
	a := alertEvent(t, "revenue", "critical", clk.Now())
	b := alertEvent(t, "hostnames", "low", clk.Now())
	steps := []struct {
		name    string
		advance time.Duration
		reports []Report
		want    map[string]string // room → state
		order   []string
	}{
		{
			name: "three rooms report",
			reports: []Report{
				{Room: "Hall A", Agent: "a", HeartbeatMS: hb, Open: []event.Event{}},
				{Room: "Hall B", Agent: "b", HeartbeatMS: hb, Open: []event.Event{}},
				{Room: "Hall C", Agent: "c", HeartbeatMS: hb, Open: []event.Event{}},
			},
			want:  map[string]string{"Hall A": StateOK, "Hall B": StateOK, "Hall C": StateOK},
			order: []string{"Hall A", "Hall B", "Hall C"},
		},
		{
			name:    "alerts sort first, most severe first",
			advance: time.Second,
			reports: []Report{
				{Room: "Hall B", Agent: "b", HeartbeatMS: hb, Events: []event.Event{b}, Open: []event.Event{b}},
				{Room: "Hall C", Agent: "c", HeartbeatMS: hb, Events: []event.Event{a}, Open: []event.Event{a}},
			},
			want:  map[string]string{"Hall A": StateOK, "Hall B": StateAlert, "Hall C": StateAlert},
			order: []string{"Hall C", "Hall B", "Hall A"},
		},
		{
			name:    "missed heartbeats: offline, after alerts",
			advance: 7 * time.Second, // 8 s since Hall A's report: over 3 heartbeats + 1 s
			reports: []Report{
				{Room: "Hall B", Agent: "b", HeartbeatMS: hb, Open: []event.Event{b}},
				{Room: "Hall C", Agent: "c", HeartbeatMS: hb, Events: []event.Event{clearEvent(a, clk.Now())}, Open: []event.Event{}},
			},
			want:  map[string]string{"Hall A": StateOffline, "Hall B": StateAlert, "Hall C": StateOK},
			order: []string{"Hall B", "Hall A", "Hall C"},
		},
		{
			name: "reconnect: back to ok",
			reports: []Report{
				{Room: "Hall A", Agent: "a", HeartbeatMS: hb, Open: []event.Event{}},
			},
			want: map[string]string{"Hall A": StateOK, "Hall B": StateAlert, "Hall C": StateOK},
		},
		{
			name: "agent stops: offline at once",
			reports: []Report{
				{Room: "Hall C", Agent: "c", HeartbeatMS: hb, Open: []event.Event{}, Bye: true},
			},
			want: map[string]string{"Hall A": StateOK, "Hall B": StateAlert, "Hall C": StateOffline},
		},
		{
			name: "agent restarts: the old process's incidents go",
			reports: []Report{
				{Room: "Hall B", Agent: "b2", HeartbeatMS: hb, Open: []event.Event{}},
			},
			want: map[string]string{"Hall A": StateOK, "Hall B": StateOK, "Hall C": StateOffline},
		},
	}
	for _, st := range steps {
		clk.Add(st.advance)
		for _, r := range st.reports {
			if err := s.Apply(r); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		got := roomsOf(s)
		for room, want := range st.want {
			if got[room].State != want {
				t.Errorf("%s: %s is %s, want %s", st.name, room, got[room].State, want)
			}
		}
		if st.order != nil {
			var order []string
			for _, r := range s.State() {
				order = append(order, r.Room)
			}
			if strings.Join(order, ",") != strings.Join(st.order, ",") {
				t.Errorf("%s: order %v, want %v", st.name, order, st.order)
			}
		}
	}
}

func TestAckSurvivesHeartbeats(t *testing.T) {
	s := New(Options{})
	a := alertEvent(t, "revenue", "high", time.Now())
	s.Apply(Report{Room: "Hall A", Agent: "a", Events: []event.Event{a}, Open: []event.Event{a}})
	if !s.Ack("Hall A", a.Incident) {
		t.Fatal("ack refused")
	}
	if s.Ack("Hall B", a.Incident) || s.Ack("Hall A", "nope") {
		t.Fatal("ack of an unknown room or incident accepted")
	}
	s.Apply(Report{Room: "Hall A", Agent: "a", Open: []event.Event{a}})
	if r := roomsOf(s)["Hall A"]; len(r.Alerts) != 1 || !r.Alerts[0].Acked {
		t.Fatalf("after a heartbeat: %+v", r)
	}
}

// hubSwitch stands for the hub's address: the hub behind it can be taken
// down (connections refused, as when the hub's machine is off) or
// replaced by a new, empty hub (a restart).
type hubSwitch struct {
	cur  atomic.Pointer[Server]
	down atomic.Bool
}

func (h *hubSwitch) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.down.Load() {
		return nil, errors.New("connect: connection refused")
	}
	w := httptest.NewRecorder()
	h.cur.Load().Handler().ServeHTTP(w, r)
	return w.Result(), nil
}

func newClient(sw *hubSwitch, room string, queue int) *Client {
	return &Client{
		URL: "http://hub.test:8766/", Room: room, Token: "tok",
		Heartbeat: 20 * time.Millisecond, QueueSize: queue,
		HTTP: &http.Client{Transport: sw},
	}
}

// waitFor polls cond; the deadline only bounds a hung test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestClientQueuesWhileHubUnreachable(t *testing.T) {
	sw := &hubSwitch{}
	sw.cur.Store(New(Options{Token: "tok"}))
	sw.down.Store(true)
	var warnings []string
	var wmu sync.Mutex
	c := newClient(sw, "Hall A", 3)
	c.Warn = func(s string) { wmu.Lock(); warnings = append(warnings, s); wmu.Unlock() }
	now := time.Now()
	var alerts []event.Event
	for i, rule := range []string{"r1", "r2", "r3", "r4", "r5"} {
		a := alertEvent(t, rule, "high", now.Add(time.Duration(i)*time.Second))
		alerts = append(alerts, a)
		c.Emit(a)
	}
	if c.Dropped() != 2 || c.Queued() != 3 {
		t.Fatalf("dropped %d queued %d, want 2 and 3", c.Dropped(), c.Queued())
	}
	waitFor(t, "a failed attempt", func() bool { wmu.Lock(); defer wmu.Unlock(); return len(warnings) > 0 })
	sw.down.Store(false)
	waitFor(t, "queue delivered", func() bool { return c.Queued() == 0 })
	s := sw.cur.Load()
	r := roomsOf(s)["Hall A"]
	if r.Dropped != 2 {
		t.Errorf("hub shows %d dropped, want 2", r.Dropped)
	}
	// All five are open on the agent: the snapshot brings even the dropped
	// ones, each as the incident the agent raised.
	var want, got []string
	for _, a := range alerts {
		want = append(want, a.Incident+"/"+a.Rule)
	}
	for _, a := range r.Alerts {
		got = append(got, a.Incident+"/"+a.Rule)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("hub shows alerts %v, want the five emitted %v", got, want)
	}
	// The delivered events are the newest three, in order.
	var log []string
	s.mu.Lock()
	for _, e := range s.recent {
		log = append(log, e.Ev.Rule)
	}
	s.mu.Unlock()
	if strings.Join(log, ",") != "r3,r4,r5" {
		t.Errorf("events delivered %v, want r3,r4,r5", log)
	}
	for _, a := range r.Alerts {
		if a.Text != event.Mask(secret) {
			t.Errorf("text sent to the hub: %q, want it masked", a.Text)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !roomsOf(s)["Hall A"].Offline {
		t.Error("room not offline after the agent stopped")
	}
	wmu.Lock()
	defer wmu.Unlock()
	if len(warnings) != 2 || !strings.Contains(warnings[0], "queueing") || !strings.Contains(warnings[1], "reachable again") {
		t.Errorf("warnings %q: want one when the hub goes, one when it is back", warnings)
	}
}

func TestHubRestartRebuildsView(t *testing.T) {
	sw := &hubSwitch{}
	sw.cur.Store(New(Options{Token: "tok"}))
	a := newClient(sw, "Hall A", 100)
	b := newClient(sw, "Hall B", 100)
	defer a.Close()
	defer b.Close()
	al := alertEvent(t, "revenue", "critical", time.Now())
	a.Emit(al)
	b.Start()
	waitFor(t, "first hub sees both rooms", func() bool {
		r := roomsOf(sw.cur.Load())
		return len(r["Hall A"].Alerts) == 1 && r["Hall B"].State == StateOK
	})
	// The hub restarts with nothing; the agents' next heartbeats rebuild it.
	sw.cur.Store(New(Options{Token: "tok"}))
	waitFor(t, "restarted hub rebuilt", func() bool {
		r := roomsOf(sw.cur.Load())
		return len(r["Hall A"].Alerts) == 1 && r["Hall A"].Alerts[0].Incident == al.Incident && r["Hall B"].State == StateOK
	})
	a.Emit(clearEvent(al, time.Now()))
	waitFor(t, "clear delivered", func() bool { return roomsOf(sw.cur.Load())["Hall A"].State == StateOK })
}

func TestClientRefusedToken(t *testing.T) {
	sw := &hubSwitch{}
	sw.cur.Store(New(Options{Addr: ":8766", Token: "right"}))
	c := newClient(sw, "Hall A", 10)
	c.Token = "wrong"
	got := make(chan string, 10)
	c.Warn = func(s string) { got <- s }
	c.Start()
	defer c.Close()
	if w := <-got; !strings.Contains(w, "refuses the token") {
		t.Fatalf("warning %q", w)
	}
}

func TestDial(t *testing.T) {
	tests := []struct {
		url, room string
		ok        bool
	}{
		{"http://booth.local:8766/", "Hall A", true},
		{"https://booth.example/hub/", "Hall A", true},
		{"booth.local:8766", "Hall A", false},
		{"ftp://booth/", "Hall A", false},
		{"http://booth.local:8766/", " ", false},
	}
	for _, tt := range tests {
		_, err := Dial(tt.url, tt.room, "")
		if (err == nil) != tt.ok {
			t.Errorf("Dial(%q, %q): %v", tt.url, tt.room, err)
		}
	}
}

func TestStateJSONMasked(t *testing.T) {
	s := New(Options{})
	c := &Client{Room: "Hall A"}
	c.start()
	defer c.cancel()
	a := alertEvent(t, "revenue", "critical", time.Now())
	// What the client would send, through JSON as on the wire.
	body, _ := json.Marshal(Report{Room: "Hall A", Agent: "x", Events: []event.Event{a.WithText(false)}, Open: []event.Event{a.WithText(false)}})
	r := httptest.NewRequest("POST", "http://127.0.0.1:8766/api/report", bytes.NewReader(body))
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusNoContent {
		t.Fatalf("report: %d %s", w.Code, w.Body)
	}
	for _, p := range []string{"/", "/state.json"} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "http://127.0.0.1:8766"+p, nil))
		if strings.Contains(w.Body.String(), secret) || !strings.Contains(w.Body.String(), "revenue") {
			t.Errorf("%s: unmasked text or no alert: %s", p, w.Body)
		}
	}
}
