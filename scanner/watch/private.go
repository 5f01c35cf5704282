package watch

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/demoguard/demoguard/scanner/actions"
	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/hub"
	"github.com/demoguard/demoguard/scanner/ui"
)

// privateOptions are watch's settings for alerts that reach the presenter
// and the booth but not the shared screen: the page (--ui, --token), the
// hub (--hub, --room, --agent-token) and the response actions ([actions]).
type privateOptions struct {
	ui         string
	hub        string
	room       string
	token      string // the page's
	tokenFrom  string // where token was read ("": it may be printed)
	agentToken string // the hub's agent token
	showText   bool
	actions    actions.Config
}

// private holds what startPrivate started.
type private struct {
	page    *ui.Server
	hub     *hub.Client
	actions *actions.Runner
}

// actionsOutput names the actions among the outputs (Run closes them first).
const actionsOutput = "actions"

// add gives out the started outputs.
func (p *private) add(out *event.Fanout) {
	if p.page != nil {
		out.Add("presenter page", p.page)
	}
	if p.hub != nil {
		out.Add("hub", p.hub)
	}
	if p.actions != nil {
		out.Add(actionsOutput, p.actions)
	}
}

// closeActions stops the actions when start-up failed (once added to the
// outputs, Run closes them there).
func (p *private) closeActions() {
	if p.actions != nil {
		p.actions.Close()
	}
}

// startPrivate starts the page, the hub client and the actions that o asks
// for. status feeds the page; emit receives the actions' error events (it
// must be the agent's sink, so they reach every output). The page's URL
// (with its token unless that was read from a file or the environment) is
// printed once to w.
func startPrivate(o privateOptions, status ui.StatusSource, emit func(event.Event), warn func(string), w io.Writer) (*private, error) {
	p := &private{}
	if !o.actions.Empty() {
		r, err := actions.New(o.actions, actions.Options{ShowText: o.showText, OnError: emit, CloseWait: OutputWait / 2})
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		p.actions = r
	}
	if o.hub != "" {
		c, err := hub.Dial(o.hub, o.room, o.agentToken)
		if err != nil {
			p.closeActions()
			return nil, err
		}
		c.ShowText, c.Warn, c.CloseWait = o.showText, warn, OutputWait*3/4
		c.Start()
		p.hub = c
	} else if o.room != "" {
		p.closeActions()
		return nil, fmt.Errorf("--room names this agent on a hub: give --hub URL too")
	}
	if o.ui != "" {
		s, err := ui.Start(ui.Options{Addr: o.ui, Token: o.token, TokenFrom: o.tokenFrom, ShowText: o.showText, Status: status, Title: o.room})
		if err != nil {
			p.closeActions()
			if p.hub != nil {
				p.hub.Close()
			}
			return nil, err
		}
		s.Announce(w)
		p.page = s
	}
	return p, nil
}

// agentStatus is the page's status source: the agent's counters turned
// into rates over the last second or more.
type agentStatus struct {
	agent    *agent.Agent
	displays func() []string
	rules    func() (n int, sources []string)
	feed     func() string // nil without --output
	outputs  func() string // outputs losing or holding back events

	mu     sync.Mutex
	start  time.Time
	last   agent.Stats
	lastAt time.Time
	fps    float64
	lat    time.Duration
}

func (s *agentStatus) Status() ui.Status {
	st := s.agent.Stats()
	now := time.Now()
	s.mu.Lock()
	switch {
	case s.start.IsZero():
		s.start, s.last, s.lastAt = now, st, now
	case now.Sub(s.lastAt) >= time.Second:
		dt := now.Sub(s.lastAt).Seconds()
		s.fps = float64(st.Frames-s.last.Frames) / dt
		if n := st.OCRCalls - s.last.OCRCalls; n > 0 {
			s.lat = (st.OCRTime - s.last.OCRTime) / time.Duration(n)
		}
		s.last, s.lastAt = st, now
	}
	fps, lat := s.fps, s.lat
	if lat == 0 && st.OCRCalls > 0 {
		lat = st.OCRTime / time.Duration(st.OCRCalls)
	}
	s.mu.Unlock()
	out := ui.Status{FPS: fps, OCRLatency: lat}
	if s.displays != nil {
		out.Displays = s.displays()
	}
	if s.rules != nil {
		out.Rules, out.Sources = s.rules()
	}
	if s.feed != nil {
		out.Feed = s.feed()
	}
	if s.outputs != nil {
		out.Outputs = s.outputs()
	}
	return out
}
