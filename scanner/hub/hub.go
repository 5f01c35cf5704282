// Package hub is the AV booth's view of every stage: agents (demoguard
// watch --hub URL --room NAME) push their events and a heartbeat, and the
// hub's page shows one tile per room — ok, alert, or offline.
//
// Every report carries the agent's open incidents, so the hub's view is
// rebuilt from the next heartbeat after the hub restarts or an agent
// reconnects; events are delivered in order on top of that.
package hub

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/internal/web"
)

// Report is what an agent POSTs to /api/report (with Authorization: Bearer
// TOKEN): the events since its last report, its open incidents now, and
// how often it reports.
type Report struct {
	Room  string `json:"room"`
	Agent string `json:"agent"` // random per agent process: a new one means the agent restarted
	// Sent is the agent's clock when sending, to correct timers for skew.
	Sent        time.Time     `json:"sent"`
	HeartbeatMS int64         `json:"heartbeat_ms"`
	Events      []event.Event `json:"events,omitempty"`
	// Open is every incident open on the agent now; nil (not empty) only
	// from an agent that does not know, which the hub then leaves alone.
	Open []event.Event `json:"open"`
	// Dropped is how many events the agent dropped, in total, because its
	// queue was full while the hub was unreachable.
	Dropped int64 `json:"dropped,omitempty"`
	// Bye says the agent is stopping: the room is offline at once.
	Bye bool `json:"bye,omitempty"`
}

// Options configure the hub.
type Options struct {
	Addr  string // listen address (Start only)
	Token string // required off loopback; Start generates one if empty
	// OfflineAfter is how long a room may stay silent before its tile shows
	// "offline"; default three of the agent's heartbeats plus a second.
	OfflineAfter time.Duration
	// Keep is how many recent events the page lists; default 30.
	Keep int
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// DefaultAddr is the hub's address when --listen is not given.
const DefaultAddr = "127.0.0.1:8766"

// maxReport bounds a report's body (a full queue of events).
const maxReport = 4 << 20

// Server is the hub.
type Server struct {
	opt   Options
	guard *web.Guard
	bc    web.Broadcaster
	srv   *web.Server

	mu     sync.Mutex
	rooms  map[string]*room
	recent []logEntry // newest last
}

type room struct {
	name      string
	agent     string
	lastSeen  time.Time // hub clock
	heartbeat time.Duration
	skew      time.Duration // hub clock minus agent clock
	open      map[string]*openAlert
	dropped   int64
	lastErr   *event.Event
	bye       bool
	restarts  int
}

type openAlert struct {
	ev      event.Event
	acked   bool
	ackedAt time.Time
}

type logEntry struct {
	Room string
	Ev   event.Event
	At   time.Time // hub clock
}

// New makes a hub without listening (see Handler and Start).
func New(o Options) *Server {
	if o.Keep <= 0 {
		o.Keep = 30
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	return &Server{
		opt:   o,
		guard: &web.Guard{Token: o.Token, Cookie: web.CookieName("hub", o.Addr), Realm: "demoguard hub"},
		rooms: map[string]*room{},
	}
}

// Start makes the hub and listens on o.Addr, generating a token when the
// address is not loopback and none was given.
func Start(o Options) (*Server, error) {
	var err error
	if o.Addr, o.Token, err = web.Prepare(o.Addr, DefaultAddr, o.Token); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	s := New(o)
	srv, err := web.Listen(o.Addr, s.Handler())
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	s.srv = srv
	return s, nil
}

// URL is the hub's base URL without the token ("" before Start).
func (s *Server) URL() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.URL()
}

// Token is the token in force.
func (s *Server) Token() string { return s.opt.Token }

// Announce prints the page's URL with the token (and a QR code when other
// machines can reach it) and how to point agents at the hub. Call it once.
func (s *Server) Announce(w io.Writer) {
	web.Announce(w, "hub page", web.WithToken(s.URL(), s.opt.Token), !web.IsLoopback(s.opt.Addr))
	tok := ""
	if s.opt.Token != "" {
		tok = " --token " + s.opt.Token
	}
	fmt.Fprintf(w, "demoguard: agents: demoguard watch --hub %s --room NAME%s\n", s.URL(), tok)
}

// Close stops serving.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Handler serves the page and the agents' API behind the token check.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("POST /ack", s.ack)
	mux.HandleFunc("GET /state.json", s.stateJSON)
	mux.HandleFunc("POST /api/report", s.report)
	return s.guard.Wrap(mux)
}

// Apply records a report, as POST /api/report does.
func (s *Server) Apply(r Report) error {
	if r.Room == "" {
		return fmt.Errorf("report without a room")
	}
	now := s.opt.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.rooms[r.Room]
	if rm == nil {
		rm = &room{name: r.Room, open: map[string]*openAlert{}}
		s.rooms[r.Room] = rm
	}
	if rm.agent != "" && rm.agent != r.Agent {
		// Another agent process: its incidents are new ones, and the old
		// process's open incidents will never be cleared by anyone.
		rm.restarts++
		rm.open = map[string]*openAlert{}
		rm.dropped = 0
	}
	rm.agent = r.Agent
	rm.lastSeen = now
	rm.bye = r.Bye
	rm.heartbeat = time.Duration(r.HeartbeatMS) * time.Millisecond
	if !r.Sent.IsZero() {
		rm.skew = now.Sub(r.Sent)
	}
	rm.dropped = max(rm.dropped, r.Dropped)
	for _, e := range r.Events {
		switch e.Event {
		case event.Alert:
			if a := rm.open[e.Incident]; a != nil {
				a.ev = e
			} else {
				rm.open[e.Incident] = &openAlert{ev: e}
			}
		case event.Clear:
			delete(rm.open, e.Incident)
		case "error":
			rm.lastErr = &e
		}
		s.recent = append(s.recent, logEntry{Room: r.Room, Ev: e, At: now})
	}
	if n := len(s.recent) - s.opt.Keep; n > 0 {
		s.recent = append(s.recent[:0:0], s.recent[n:]...)
	}
	if r.Open != nil {
		// The agent's view is the truth; acknowledgements carry over.
		open := make(map[string]*openAlert, len(r.Open))
		for _, e := range r.Open {
			a := &openAlert{ev: e}
			if old := rm.open[e.Incident]; old != nil {
				a.acked, a.ackedAt = old.acked, old.ackedAt
			}
			open[e.Incident] = a
		}
		rm.open = open
	}
	s.bc.Notify()
	return nil
}

// Ack acknowledges an open incident of a room for every hub viewer.
func (s *Server) Ack(roomName, incident string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.rooms[roomName]
	if rm == nil || rm.open[incident] == nil {
		return false
	}
	if a := rm.open[incident]; !a.acked {
		a.acked, a.ackedAt = true, s.opt.Now()
		s.bc.Notify()
	}
	return true
}

// Tile states.
const (
	StateOK      = "ok"
	StateAlert   = "alert"
	StateOffline = "offline"
)

// tileView is one room as the page shows it.
type tileView struct {
	Room      string
	State     string // ok | alert | offline
	Offline   bool
	Stopped   bool
	Alerts    []alertView // most severe first
	LastSeen  time.Time
	Silent    time.Duration
	Dropped   int64
	LastErr   *event.Event
	Restarts  int
	TopSev    string
	Unacked   int
	sortAlert int
}

type alertView struct {
	ID, Rule, Severity, Text string
	Display                  int
	FirstSeen                time.Time // hub clock
	Acked                    bool
	AckedAt                  time.Time
}

type view struct {
	Now             time.Time
	Tiles           []tileView
	Recent          []logEntry
	Alerts, Offline int
	Viewers         int
	Nonce           string
	Full            bool
}

func (s *Server) offlineAfter(rm *room) time.Duration {
	if s.opt.OfflineAfter > 0 {
		return s.opt.OfflineAfter
	}
	hb := rm.heartbeat
	if hb <= 0 {
		hb = 2 * time.Second
	}
	return 3*hb + time.Second
}

func (s *Server) view() view {
	now := s.opt.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	v := view{Now: now, Viewers: s.bc.Viewers()}
	for _, rm := range s.rooms {
		t := tileView{Room: rm.name, LastSeen: rm.lastSeen, Silent: now.Sub(rm.lastSeen), Dropped: rm.dropped, LastErr: rm.lastErr, Restarts: rm.restarts, Stopped: rm.bye}
		t.Offline = rm.bye || t.Silent > s.offlineAfter(rm)
		for _, a := range rm.open {
			av := alertView{ID: a.ev.Incident, Rule: a.ev.Rule, Severity: a.ev.Severity, Text: a.ev.Text, Acked: a.acked, AckedAt: a.ackedAt}
			if a.ev.Display != nil {
				av.Display = *a.ev.Display
			}
			av.FirstSeen = a.ev.Time
			if a.ev.FirstSeen != nil {
				av.FirstSeen = *a.ev.FirstSeen
			}
			av.FirstSeen = av.FirstSeen.Add(rm.skew)
			if !a.acked {
				t.Unacked++
			}
			t.Alerts = append(t.Alerts, av)
		}
		sort.Slice(t.Alerts, func(i, j int) bool {
			ai, aj := t.Alerts[i], t.Alerts[j]
			if ri, rj := rules.SeverityRank(ai.Severity), rules.SeverityRank(aj.Severity); ri != rj {
				return ri > rj
			}
			if ai.Acked != aj.Acked {
				return !ai.Acked
			}
			return ai.FirstSeen.Before(aj.FirstSeen)
		})
		switch {
		case len(t.Alerts) > 0:
			// An agent gone silent with an alert open is still a room to
			// look at first: the item may well still be on screen.
			t.State, t.TopSev, t.sortAlert = StateAlert, t.Alerts[0].Severity, 2
			v.Alerts++
			if t.Offline {
				v.Offline++
			}
		case t.Offline:
			t.State, t.sortAlert = StateOffline, 1
			v.Offline++
		default:
			t.State = StateOK
		}
		v.Tiles = append(v.Tiles, t)
	}
	sort.Slice(v.Tiles, func(i, j int) bool {
		ti, tj := v.Tiles[i], v.Tiles[j]
		if ti.sortAlert != tj.sortAlert {
			return ti.sortAlert > tj.sortAlert
		}
		if ti.sortAlert == 2 {
			if (ti.Unacked > 0) != (tj.Unacked > 0) {
				return ti.Unacked > 0
			}
			if ri, rj := rules.SeverityRank(ti.TopSev), rules.SeverityRank(tj.TopSev); ri != rj {
				return ri > rj
			}
		}
		return ti.Room < tj.Room
	})
	for i := len(s.recent) - 1; i >= 0; i-- {
		v.Recent = append(v.Recent, s.recent[i])
	}
	return v
}
