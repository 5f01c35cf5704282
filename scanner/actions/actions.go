// Package actions runs the responses to alerts that the config file asks
// for, per severity: a command that gets the event as JSON on stdin (a
// video mixer's CLI, a stream deck, a script), and an OBS scene switch over
// obs-websocket v5 (to "Camera" on a critical alert, back on clear).
//
// A Runner is a event.Sink. Emit only queues: commands and OBS run on
// their own goroutines with timeouts, so an action never slows scanning,
// and every failure comes back as an "error" event through OnError.
package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/internal/queue"
)

// Config is the config file's [actions] table:
//
//	[actions.obs]
//	url = "ws://127.0.0.1:4455"
//	password = "..."            # or $DEMOGUARD_OBS_PASSWORD
//
//	[actions.critical]
//	command = ["/usr/local/bin/mixer", "cut", "--to", "camera"]
//	timeout = "5s"
//	on = ["alert", "clear"]     # default ["alert"]
//	scene = "Camera"
//	scene_back = true           # back to the previous scene on clear
type Config struct {
	OBS      OBSConfig `toml:"obs"`
	Low      *Action   `toml:"low"`
	Medium   *Action   `toml:"medium"`
	High     *Action   `toml:"high"`
	Critical *Action   `toml:"critical"`
}

// OBSConfig says how to reach OBS.
type OBSConfig struct {
	URL      string `toml:"url"`      // default ws://127.0.0.1:4455 (OBS's default)
	Password string `toml:"password"` // default $DEMOGUARD_OBS_PASSWORD
	Timeout  string `toml:"timeout"`  // per request; default 3s
}

// Action is what to do for alerts of one severity.
type Action struct {
	// Command is run with the event as JSON on stdin; argv, no shell.
	Command []string `toml:"command"`
	// Timeout kills the command; default 10s.
	Timeout string `toml:"timeout"`
	// On lists the events that run the command: "alert" (default), "clear".
	On []string `toml:"on"`
	// Scene is switched to on program in OBS when an alert opens.
	Scene string `toml:"scene"`
	// SceneBack switches back to the scene that was on program before,
	// once every alert that switched has cleared — unless someone changed
	// the scene meanwhile.
	SceneBack bool `toml:"scene_back"`
}

// DefaultOBSURL is obs-websocket's default address.
const DefaultOBSURL = "ws://127.0.0.1:4455"

// Severities lists the severities an action can be set for.
var Severities = []string{rules.Low.String(), rules.Medium.String(), rules.High.String(), rules.Critical.String()}

func (c *Config) action(sev string) *Action {
	switch sev {
	case "low":
		return c.Low
	case "medium":
		return c.Medium
	case "high":
		return c.High
	case "critical":
		return c.Critical
	}
	return nil
}

// Empty reports whether no action is configured.
func (c *Config) Empty() bool {
	for _, s := range Severities {
		if c.action(s) != nil {
			return false
		}
	}
	return true
}

// compiled is an Action checked and with its durations parsed.
type compiled struct {
	command   []string
	timeout   time.Duration
	on        map[event.Kind]bool
	scene     string
	sceneBack bool
}

// Options are a Runner's settings that do not come from the config file.
type Options struct {
	// ShowText gives commands the matched text unmasked (--show-text).
	ShowText bool
	// OnError receives an "error" event for every failed action; it is
	// called from the Runner's goroutines, never from within Emit, and
	// never after Close has returned. Close waits for actions in flight,
	// which may call it: do not hold a lock OnError needs while calling
	// Close (close the Runner before the sinks it reports into).
	OnError func(event.Event)
	// Now is the clock for error events; default time.Now.
	Now func() time.Time
	// CloseWait bounds Close's wait for the actions queued and in flight
	// before their commands are killed; default 5s.
	CloseWait time.Duration
}

// Runner is a event.Sink that runs the configured actions.
type Runner struct {
	opt     Options
	actions map[string]*compiled
	obs     *OBS

	cmds      *queue.Queue[job]
	scenes    *queue.Queue[job]
	closing   chan struct{}
	wg        sync.WaitGroup
	ctx       context.Context
	cancel    context.CancelFunc
	running   chan struct{} // semaphore: commands running at once
	dropped   atomic.Int64
	cmdWG     sync.WaitGroup // commands running, and drop reports
	closed    atomic.Bool    // Close has returned: report nothing more
	closeOnce sync.Once
	// closeWait bounds Close's wait for actions in flight (Options.CloseWait).
	closeWait time.Duration

	// Scene state, used only by the scene goroutine.
	switched  bool
	ours      string // the scene we put on program
	oursRank  int
	prev      string // what was on program before
	back      bool
	switchers map[string]bool // incidents keeping our scene on
}

type job struct {
	ev  event.Event
	act *compiled
}

// maxRunning bounds commands running at once: a command that hangs until
// its timeout must not let a burst of alerts start hundreds of processes.
const maxRunning = 4

// New checks the config and starts a Runner.
func New(cfg Config, opt Options) (*Runner, error) {
	r := &Runner{
		opt:       opt,
		actions:   map[string]*compiled{},
		cmds:      queue.New[job](64),
		scenes:    queue.New[job](64),
		closing:   make(chan struct{}),
		running:   make(chan struct{}, maxRunning),
		switchers: map[string]bool{},
		closeWait: 5 * time.Second,
	}
	if r.opt.Now == nil {
		r.opt.Now = time.Now
	}
	if opt.CloseWait > 0 {
		r.closeWait = opt.CloseWait
	}
	needOBS := false
	for _, sev := range Severities {
		a := cfg.action(sev)
		if a == nil {
			continue
		}
		c, err := compile(a)
		if err != nil {
			return nil, fmt.Errorf("actions.%s: %w", sev, err)
		}
		r.actions[sev] = c
		needOBS = needOBS || c.scene != ""
	}
	if needOBS {
		o := &OBS{URL: cfg.OBS.URL, Password: cfg.OBS.Password}
		if o.URL == "" {
			o.URL = DefaultOBSURL
		}
		if o.Password == "" {
			o.Password = os.Getenv("DEMOGUARD_OBS_PASSWORD")
		}
		if cfg.OBS.Timeout != "" {
			d, err := time.ParseDuration(cfg.OBS.Timeout)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("actions.obs.timeout %q: want a duration like 3s", cfg.OBS.Timeout)
			}
			o.Timeout = d
		}
		r.obs = o
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(2)
	go r.loop(r.cmds, r.runCommand)
	go r.loop(r.scenes, r.switchScene)
	return r, nil
}

func compile(a *Action) (*compiled, error) {
	c := &compiled{command: a.Command, timeout: 10 * time.Second, on: map[event.Kind]bool{}, scene: a.Scene, sceneBack: a.SceneBack}
	if len(a.Command) == 0 && a.Scene == "" {
		return nil, errors.New("nothing to do: set command or scene")
	}
	if len(a.Command) > 0 && a.Command[0] == "" {
		return nil, errors.New("command: empty program name")
	}
	if a.Timeout != "" {
		d, err := time.ParseDuration(a.Timeout)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("timeout %q: want a duration like 5s", a.Timeout)
		}
		c.timeout = d
	}
	on := a.On
	if len(on) == 0 {
		on = []string{string(event.Alert)}
	}
	for _, e := range on {
		if k := event.Kind(e); k != event.Alert && k != event.Clear {
			return nil, fmt.Errorf("on: %q: want alert or clear", e)
		}
		c.on[event.Kind(e)] = true
	}
	if len(a.Command) == 0 && len(a.On) > 0 {
		return nil, errors.New("on applies to command, and there is none")
	}
	if a.SceneBack && a.Scene == "" {
		return nil, errors.New("scene_back without scene")
	}
	return c, nil
}

// Emit queues the actions an event calls for; it never blocks.
func (r *Runner) Emit(e event.Event) {
	if e.Event != event.Alert && e.Event != event.Clear {
		return
	}
	e = e.WithText(r.opt.ShowText)
	// A clear has the severity of its alert; scenes need every clear of an
	// incident that switched, so they are looked up in the scene goroutine.
	a := r.actions[e.Severity]
	if a != nil && len(a.command) > 0 && a.on[e.Event] {
		r.push(r.cmds, job{e, a})
	}
	if r.obs != nil {
		r.push(r.scenes, job{e, a})
	}
}

func (r *Runner) push(q *queue.Queue[job], j job) {
	if !q.Push(j) {
		return
	}
	if n := r.dropped.Add(1); (n == 1 || n%100 == 0) && !r.closed.Load() {
		// Not from here: OnError may emit into the very sinks that are
		// calling Emit.
		r.cmdWG.Add(1)
		go func() {
			defer r.cmdWG.Done()
			r.fail(j.ev, fmt.Errorf("actions are falling behind: %d dropped so far", n))
		}()
	}
}

// Dropped is how many actions were dropped because their queue was full.
func (r *Runner) Dropped() int64 { return r.dropped.Load() }

func (r *Runner) loop(q *queue.Queue[job], do func(job)) {
	defer r.wg.Done()
	for {
		batch, mark := q.Peek(1)
		if len(batch) == 0 {
			select {
			case <-q.Wake():
				continue
			case <-r.closing:
				if q.Len() == 0 {
					return
				}
				continue
			}
		}
		q.Ack(mark)
		do(batch[0])
	}
}

func (r *Runner) runCommand(j job) {
	select {
	case r.running <- struct{}{}:
	case <-r.ctx.Done():
		return
	}
	r.cmdWG.Add(1)
	go func() {
		defer r.cmdWG.Done()
		defer func() { <-r.running }()
		in, err := json.Marshal(j.ev)
		if err == nil {
			err = run(r.ctx, j.act.command, j.act.timeout, in, j.ev)
		}
		if err != nil {
			r.fail(j.ev, fmt.Errorf("command %s: %w", j.act.command[0], err))
		}
	}()
}

// switchScene keeps OBS on the scene of the most severe open alert that
// has one, and goes back when they have all cleared (if asked to).
func (r *Runner) switchScene(j job) {
	e, a := j.ev, j.act
	switch e.Event {
	case event.Alert:
		if a == nil || a.scene == "" {
			return
		}
		rank := rules.SeverityRank(e.Severity)
		r.switchers[e.Incident] = true
		if r.switched && (r.ours == a.scene || rank < r.oursRank) {
			return
		}
		var prevErr error
		if !r.switched {
			r.prev, prevErr = r.obs.Scene(r.ctx)
		}
		if err := r.obs.SetScene(r.ctx, a.scene); err != nil {
			// One error event: when OBS is unreachable, both requests fail.
			r.fail(e, fmt.Errorf("switch OBS to scene %q: %w", a.scene, err))
			if !r.switched {
				delete(r.switchers, e.Incident)
			}
			return
		}
		if prevErr != nil && a.sceneBack {
			r.fail(e, fmt.Errorf("switched OBS to %q but cannot switch back on clear: %w", a.scene, prevErr))
		}
		r.switched, r.ours, r.oursRank = true, a.scene, rank
		r.back = r.back || a.sceneBack
	case event.Clear:
		if !r.switchers[e.Incident] {
			return
		}
		delete(r.switchers, e.Incident)
		if len(r.switchers) > 0 || !r.switched {
			return
		}
		back, prev, ours := r.back, r.prev, r.ours
		r.switched, r.ours, r.oursRank, r.back = false, "", 0, false
		if !back || prev == "" || prev == ours {
			return
		}
		// Someone in the booth may have taken over; their choice wins.
		cur, err := r.obs.Scene(r.ctx)
		if err != nil {
			r.fail(e, err)
			return
		}
		if cur != ours {
			return
		}
		if err := r.obs.SetScene(r.ctx, prev); err != nil {
			r.fail(e, fmt.Errorf("switch OBS back to scene %q: %w", prev, err))
		}
	}
}

func (r *Runner) fail(e event.Event, err error) {
	if r.opt.OnError == nil || r.closed.Load() {
		return
	}
	what := "action"
	if e.Severity != "" {
		what = fmt.Sprintf("action for %s %s", e.Severity, e.Event)
	}
	r.opt.OnError(event.Event{
		Event: "error", Time: r.opt.Now(), Rule: e.Rule, Severity: e.Severity, Incident: e.Incident,
		Message: what + ": " + err.Error(),
	})
}

// Close runs what is queued (switching OBS back for the clears the agent
// sends when it stops), waiting at most CloseWait (5 s) before killing
// commands still running, and closes the OBS connection.
func (r *Runner) Close() error {
	// Once, and every caller returns only when it is done: Close may be
	// called concurrently (shutdown and a failed start-up both close).
	r.closeOnce.Do(func() {
		close(r.closing)
		done := make(chan struct{})
		go func() { r.wg.Wait(); r.cmdWG.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(r.closeWait):
			r.cancel()
			<-done
		}
		r.cancel()
		r.closed.Store(true)
		if r.obs != nil {
			r.obs.Close()
		}
	})
	return nil
}
