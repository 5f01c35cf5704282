// Package ui serves the presenter's private page (demoguard watch --ui): the
// agent's status and its live alerts, for a phone or a confidence monitor
// instead of the shared screen. The page is rendered on the server; a
// Server-Sent Events stream replaces its parts when something changes, so
// there is no front-end build and the page works without any framework.
package ui

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/internal/web"
)

// Status is what the page shows about the agent besides alerts.
type Status struct {
	Displays    []string      // one description per display watched, e.g. "0: 1920x1080+0+0"
	FPS         float64       // frames captured per second, recently
	OCRLatency  time.Duration // mean time of one OCR call, recently
	Rules       int           // rules in force
	Sources     []string      // files the rules were loaded from
	ReloadError string        // the last reload's error, if the last reload failed
	// Feed is the audience feed's line (target, fps, delay, regions held
	// and covered, frames dropped); empty without --output.
	Feed string
	// Outputs names the outputs that lose or hold back events (stdout
	// piped to a program that stopped reading, a hung disk) and how many
	// they lost; empty while every output keeps up.
	Outputs string
}

// StatusSource is where the page reads the agent's status; it is called
// about once a second per viewer and must not block for long.
type StatusSource interface {
	Status() Status
}

// StatusFunc adapts a function to StatusSource.
type StatusFunc func() Status

func (f StatusFunc) Status() Status { return f() }

// Options configure the page.
type Options struct {
	// Addr to listen on (Start only); loopback by default.
	Addr string
	// Token protects the page. Start generates one when Addr is not
	// loopback and Token is empty.
	Token string
	// TokenFrom says where Token was read from (a file, "$VAR"): Announce
	// then prints the URL without the token. Empty: the token is printed.
	TokenFrom string
	// Limits bound connections, viewers, bodies and time; zero fields
	// take the page's defaults (see DefaultLimits).
	Limits web.Limits
	// ShowText shows the matched text unmasked (--show-text); otherwise the
	// page never receives more than the masked text.
	ShowText bool
	// Status is read for the status panel; nil shows only what events tell.
	Status StatusSource
	// Title names the agent, e.g. the room.
	Title string
	// Keep is how many cleared alerts stay listed; default 20.
	Keep int
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// DefaultAddr is where the page listens when --ui is given without a host.
const DefaultAddr = "127.0.0.1:8765"

// DefaultLimits are the page's: a presenter's phone, a confidence monitor
// and a colleague or two, not an audience.
var DefaultLimits = web.Limits{MaxConns: 64, MaxViewers: 16}

// Server is the presenter page and an event.Sink: give it every event.
type Server struct {
	opt   Options
	guard *web.Guard
	bc    web.Broadcaster
	srv   *web.Server

	mu        sync.Mutex
	live      map[string]*alert // open incidents by id
	cleared   []*alert          // newest last
	seq       int
	rules     int
	reloadErr *event.Event
	lastErr   *event.Event
	started   time.Time
}

type alert struct {
	ev        event.Event
	seq       int
	acked     bool
	ackedAt   time.Time
	cleared   bool
	clearedAt time.Time
}

// New makes the page without listening (see Handler and Start). Callers
// that bind a non-loopback address must set Token; Start does that.
func New(o Options) *Server {
	if o.Keep <= 0 {
		o.Keep = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Limits.MaxConns <= 0 {
		o.Limits.MaxConns = DefaultLimits.MaxConns
	}
	if o.Limits.MaxViewers <= 0 {
		o.Limits.MaxViewers = DefaultLimits.MaxViewers
	}
	o.Limits = o.Limits.WithDefaults()
	s := &Server{
		opt:     o,
		guard:   &web.Guard{Token: o.Token, Cookie: web.CookieName("ui", o.Addr), Realm: "demoguard presenter page"},
		live:    map[string]*alert{},
		started: o.Now(),
	}
	s.bc.Max = o.Limits.MaxViewers
	return s
}

// Start makes the page and listens on o.Addr, generating a token when the
// address is not loopback and none was given. Print Announce once.
func Start(o Options) (*Server, error) {
	var err error
	if o.Addr, o.Token, err = web.Prepare(o.Addr, DefaultAddr, o.Token); err != nil {
		return nil, fmt.Errorf("presenter page: %w", err)
	}
	s := New(o)
	srv, err := web.Listen(o.Addr, s.Handler(), s.opt.Limits)
	if err != nil {
		return nil, fmt.Errorf("presenter page: %w", err)
	}
	s.srv = srv
	return s, nil
}

// URL is the page's address without the token ("" before Start).
func (s *Server) URL() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.URL()
}

// Token is the token in force ("" on loopback without one).
func (s *Server) Token() string { return s.opt.Token }

// Announce prints the URL (with the token unless it was read from a file
// or the environment), and a QR code of it when the page is reachable from
// other machines (a phone). Call it once: the token is printed nowhere else.
func (s *Server) Announce(w io.Writer) {
	web.Announce(w, "presenter page", s.URL(), s.opt.Token, s.opt.TokenFrom, !web.IsLoopback(s.opt.Addr))
}

// Emit records an event and wakes the viewers; it never blocks on them.
func (s *Server) Emit(e event.Event) {
	e = e.WithText(s.opt.ShowText)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Event {
	case event.Alert:
		if a := s.live[e.Incident]; a != nil {
			a.ev = e
			break
		}
		s.seq++
		s.live[e.Incident] = &alert{ev: e, seq: s.seq}
	case event.Clear:
		a := s.live[e.Incident]
		if a == nil {
			a = &alert{ev: e} // opened before the page started
		}
		delete(s.live, e.Incident)
		a.ev.LastSeen, a.ev.ExposureMS = e.LastSeen, e.ExposureMS
		a.cleared, a.clearedAt = true, e.Time
		s.cleared = append(s.cleared, a)
		if n := len(s.cleared) - s.opt.Keep; n > 0 {
			s.cleared = append(s.cleared[:0:0], s.cleared[n:]...)
		}
	case event.Reload:
		s.rules = e.Rules
		s.reloadErr = nil
	case event.Error:
		s.lastErr = &e
		if e.File != "" || strings.Contains(e.Message, "keeping the previous rules") {
			s.reloadErr = &e
		}
	}
	s.bc.Notify()
}

// Ack acknowledges an open incident for every viewer; false if it is not open.
func (s *Server) Ack(incident string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.live[incident]
	if a == nil {
		return false
	}
	if !a.acked {
		a.acked, a.ackedAt = true, s.opt.Now()
		s.bc.Notify()
	}
	return true
}

// Close stops serving (when started) and ends the viewers' streams.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Handler serves the page behind the token check.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("POST /ack", s.ack)
	mux.HandleFunc("GET /state.json", s.stateJSON)
	return web.Bodies(s.guard.Wrap(mux), s.opt.Limits.MaxBody)
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	web.Stream(w, r, &s.bc, time.Second, func() []web.SSE {
		v := s.view()
		return []web.SSE{
			{Name: "clock", Data: fmt.Sprint(v.Now.UnixMilli()), Always: true},
			{Name: "live", Data: render("live", v)},
			{Name: "status", Data: render("status", v)},
		}
	})
}

func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	if !web.SameOrigin(r) {
		http.Error(w, "demoguard: cross-site request refused", http.StatusForbidden)
		return
	}
	if err := web.ParseForm(w, r); err != nil {
		web.FormError(w, err)
		return
	}
	id := r.FormValue("incident")
	if !s.Ack(id) {
		http.Error(w, "demoguard: no open alert "+id, http.StatusNotFound)
		return
	}
	if r.Header.Get("X-Demoguard") != "" {
		w.WriteHeader(http.StatusNoContent) // the page's script; the stream brings the change
		return
	}
	http.Redirect(w, r, "./", http.StatusSeeOther) // a plain form post without script
}

// view is a consistent snapshot of what the page shows.
type view struct {
	Title    string
	Now      time.Time
	Alerts   []alertView
	Cleared  []alertView
	Status   Status
	HasStat  bool
	LastErr  *event.Event
	Viewers  int
	Uptime   time.Duration
	ShowText bool
	Nonce    string
	// Full renders the running timers' text too (the first page load);
	// in the stream the script runs them, so the fragment stays the same
	// from second to second and is not re-sent.
	Full bool
}

type alertView struct {
	ID, Rule, Severity, Text string
	Display                  int
	FirstSeen, ClearedAt     time.Time
	Exposure                 time.Duration
	Acked, Cleared           bool
	AckedAt                  time.Time
}

func (s *Server) view() view {
	now := s.opt.Now()
	s.mu.Lock()
	v := view{Title: s.opt.Title, Now: now, ShowText: s.opt.ShowText, Uptime: now.Sub(s.started)}
	live := make([]*alert, 0, len(s.live))
	for _, a := range s.live {
		live = append(live, a)
	}
	sort.Slice(live, func(i, j int) bool {
		if ri, rj := rules.SeverityRank(live[i].ev.Severity), rules.SeverityRank(live[j].ev.Severity); ri != rj {
			return ri > rj
		}
		return live[i].seq < live[j].seq
	})
	for _, a := range live {
		v.Alerts = append(v.Alerts, a.view(now))
	}
	for i := len(s.cleared) - 1; i >= 0; i-- {
		v.Cleared = append(v.Cleared, s.cleared[i].view(now))
	}
	v.Status.Rules = s.rules
	if s.reloadErr != nil {
		v.Status.ReloadError = describeErr(s.reloadErr)
	}
	v.LastErr = s.lastErr
	s.mu.Unlock()
	// The source is read outside s.mu: the agent emits events holding its
	// own lock, so holding ours while taking its would invert the order.
	if s.opt.Status != nil {
		st := s.opt.Status.Status()
		if st.Rules == 0 {
			st.Rules = v.Status.Rules
		}
		if st.ReloadError == "" {
			st.ReloadError = v.Status.ReloadError
		}
		v.Status, v.HasStat = st, true
	}
	v.Viewers = s.bc.Viewers()
	return v
}

func (a *alert) view(now time.Time) alertView {
	e := a.ev
	av := alertView{
		ID: e.Incident, Rule: e.Rule, Severity: e.Severity, Text: e.Text,
		Acked: a.acked, AckedAt: a.ackedAt, Cleared: a.cleared, ClearedAt: a.clearedAt,
	}
	if e.Display != nil {
		av.Display = *e.Display
	}
	if e.FirstSeen != nil {
		av.FirstSeen = *e.FirstSeen
	} else {
		av.FirstSeen = e.Time
	}
	switch {
	case a.cleared && e.ExposureMS != nil:
		av.Exposure = time.Duration(*e.ExposureMS) * time.Millisecond
	case a.cleared:
		av.Exposure = a.clearedAt.Sub(av.FirstSeen)
	default:
		av.Exposure = now.Sub(av.FirstSeen)
	}
	return av
}

func describeErr(e *event.Event) string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if where != "" {
		return where + ": " + e.Message
	}
	return e.Message
}
