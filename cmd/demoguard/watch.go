package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"net/url"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner"
	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/xdamage"
)

func init() {
	// OCR runs in worker processes that re-execute this binary; a worker
	// must turn into one before anything else happens (test binaries too).
	// main.go may call it as well; the first call in a worker never returns.
	ocr.MaybeRunWorker()
	register(&command{name: "watch", summary: "watch the screens live and alert on flagged items", run: runWatch})
}

// watchStarted, when set (tests, benchmarks), is given the agent before it runs.
var watchStarted func(*scanner.Agent)

// watchOptions are the settings of one watch run, from flags over config.
type watchOptions struct {
	rules         multiFlag
	display       string
	interval      time.Duration
	maxCPU        string
	format        string
	log           string
	notify        bool
	webhook       string
	webhookSecret string
	showText      bool
	minConf       float64
	lang          string
	workers       int
	salt          string
	config        string
	ui            string
	hub           string
	room          string
	token         string
	// Secrets from files, and where each secret came from (secrets.go).
	tokenFile, agentToken, agentTokenFile, webhookSecretFile string
	tokenFrom, agentTokenFrom                                string
	// inConfig names the secrets the config file gave as values.
	inConfig map[string]bool
}

func watchFlags(s stdio) (*flag.FlagSet, *watchOptions) {
	o := &watchOptions{}
	fs := newFlags("watch", "watch [flags]", s)
	fs.Var(&o.rules, "rules", "rule `FILE` or directory (repeatable; default: the embedded rules); edits are picked up live")
	fs.StringVar(&o.display, "display", "all", "displays to watch: all or an index (0 is the primary)")
	fs.DurationVar(&o.interval, "interval", 250*time.Millisecond, "minimum time between frames (on X11 a frame is taken only after something was drawn)")
	fs.StringVar(&o.maxCPU, "max-cpu", "50%", "CPU budget, in percent of one core, averaged (OCR included)")
	fs.StringVar(&o.format, "format", "text", "output: text (lines on stderr, with bell) or json (events on stdout)")
	fs.StringVar(&o.log, "log", "", "append events as JSON lines to `FILE` (audit trail; text always masked)")
	fs.BoolVar(&o.notify, "notify", false, "desktop notification per alert (visible to the audience on a shared screen)")
	fs.StringVar(&o.webhook, "webhook", "", "POST each event as JSON to `URL`")
	fs.StringVar(&o.webhookSecret, "webhook-secret", "", "HMAC-SHA256 key for the X-Demoguard-Signature header (or --webhook-secret-file, or $DEMOGUARD_WEBHOOK_SECRET)")
	fs.StringVar(&o.webhookSecretFile, "webhook-secret-file", "", "read the webhook's HMAC key from `FILE` (kept out of ps)")
	fs.BoolVar(&o.showText, "show-text", false, "show matched text unmasked on the terminal, stdout, webhook, presenter page, hub and actions (never in --log)")
	fs.Float64Var(&o.minConf, "min-conf", 0.5, "drop findings whose OCR confidence is below this (0..1)")
	fs.StringVar(&o.lang, "lang", "eng", "Tesseract languages, e.g. eng+deu")
	fs.IntVar(&o.workers, "workers", min(2, runtime.NumCPU()), "OCR worker processes")
	fs.StringVar(&o.salt, "fingerprint-salt", "", "salt for fingerprints, to compare them across runs (default: random per run)")
	fs.StringVar(&o.ui, "ui", "", "serve the presenter's private page on `ADDR` (a port alone means 127.0.0.1:PORT; any other host requires a token)")
	fs.StringVar(&o.hub, "hub", "", "push events and a heartbeat to the AV booth hub at `URL` (needs --room)")
	fs.StringVar(&o.room, "room", "", "this agent's `NAME` on the hub, e.g. \"Hall A\" (needs --hub)")
	fs.StringVar(&o.token, "token", "", "token for the presenter page (or --token-file, or $DEMOGUARD_TOKEN); generated when needed")
	fs.StringVar(&o.tokenFile, "token-file", "", "read the presenter page's token from `FILE` (kept out of ps; the URL is then printed without it)")
	fs.StringVar(&o.agentToken, "agent-token", "", "the hub's agent token, to report to --hub (or --agent-token-file, or $DEMOGUARD_AGENT_TOKEN)")
	fs.StringVar(&o.agentTokenFile, "agent-token-file", "", "read the hub's agent token from `FILE`")
	fs.StringVar(&o.config, "config", "", "config `FILE` with a [watch] table (default "+defaultConfigPath()+" if it exists)")
	return fs, o
}

// applyConfig fills the options the command line did not set from the
// config file's [watch] table: flags win.
func (o *watchOptions) applyConfig(c *watchFileConfig, set map[string]bool) error {
	if !set["rules"] && len(c.Rules) > 0 {
		o.rules = append(multiFlag(nil), c.Rules...)
	}
	if !set["display"] && c.Display != nil {
		switch v := c.Display.(type) {
		case string:
			o.display = v
		case int64:
			o.display = strconv.FormatInt(v, 10)
		default:
			return fmt.Errorf("config: display must be \"all\" or a number, not %v", v)
		}
	}
	if !set["interval"] && c.Interval != "" {
		d, err := time.ParseDuration(c.Interval)
		if err != nil {
			return fmt.Errorf("config: interval: %w", err)
		}
		o.interval = d
	}
	if !set["max-cpu"] && c.MaxCPU != nil {
		switch v := c.MaxCPU.(type) {
		case string:
			o.maxCPU = v
		case int64:
			o.maxCPU = strconv.FormatInt(v, 10)
		case float64:
			o.maxCPU = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			return fmt.Errorf("config: max_cpu must be a percentage, not %v", v)
		}
	}
	setStr := func(name string, dst *string, v string) {
		if !set[name] && v != "" {
			*dst = v
		}
	}
	setStr("format", &o.format, c.Format)
	setStr("log", &o.log, c.Log)
	setStr("webhook", &o.webhook, c.Webhook)
	setStr("lang", &o.lang, c.Lang)
	setStr("fingerprint-salt", &o.salt, c.FingerprintSalt)
	setStr("hub", &o.hub, c.Hub)
	setStr("room", &o.room, c.Room)
	o.inConfig = map[string]bool{}
	for _, sc := range []struct {
		name       string
		dst        *string
		v, file    string
		fileDst    *string
		fileSetter string
	}{
		{"token", &o.token, c.Token, c.TokenFile, &o.tokenFile, "token-file"},
		{"agent-token", &o.agentToken, c.AgentToken, c.AgentTokenFile, &o.agentTokenFile, "agent-token-file"},
		{"webhook-secret", &o.webhookSecret, c.WebhookSecret, c.WebhookSecretFile, &o.webhookSecretFile, "webhook-secret-file"},
	} {
		// A flag for the secret, as value or file, overrides both keys.
		if set[sc.name] || set[sc.fileSetter] {
			continue
		}
		if sc.v != "" {
			*sc.dst, o.inConfig[sc.name] = sc.v, true
		}
		if sc.file != "" {
			*sc.fileDst = sc.file
		}
	}
	if !set["ui"] && c.UI != nil {
		switch v := c.UI.(type) {
		case string:
			o.ui = v
		case int64:
			o.ui = strconv.FormatInt(v, 10)
		default:
			return fmt.Errorf("config: ui must be an address or a port, not %v", v)
		}
	}
	if !set["notify"] && c.Notify != nil {
		o.notify = *c.Notify
	}
	if !set["show-text"] && c.ShowText != nil {
		o.showText = *c.ShowText
	}
	if !set["min-conf"] && c.MinConf != nil {
		o.minConf = *c.MinConf
	}
	if !set["workers"] && c.Workers != nil {
		o.workers = *c.Workers
	}
	return nil
}

// parseMaxCPU reads "50%" or "50" as half of one core.
func parseMaxCPU(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v <= 0 || v > 100*float64(runtime.NumCPU()) {
		return 0, fmt.Errorf("--max-cpu %q: want a percentage of one core, e.g. 50%% (at most %d%%)", s, 100*runtime.NumCPU())
	}
	return v / 100, nil
}

// validate checks the options and returns the display index (-1: all) and
// the CPU budget in cores.
func (o *watchOptions) validate() (display int, cpu float64, err error) {
	display = -1
	if o.display != "all" {
		display, err = strconv.Atoi(o.display)
		if err != nil || display < 0 {
			return 0, 0, fmt.Errorf("--display %q: want all or a display index (0, 1, ...)", o.display)
		}
	}
	if cpu, err = parseMaxCPU(o.maxCPU); err != nil {
		return 0, 0, err
	}
	if o.interval < 10*time.Millisecond {
		return 0, 0, fmt.Errorf("--interval %v: at least 10ms", o.interval)
	}
	if o.format != "text" && o.format != "json" {
		return 0, 0, fmt.Errorf("--format %q: want text or json", o.format)
	}
	if o.minConf < 0 || o.minConf > 1 {
		return 0, 0, fmt.Errorf("--min-conf %v: want 0..1", o.minConf)
	}
	if o.workers < 1 {
		return 0, 0, fmt.Errorf("--workers %d: at least 1", o.workers)
	}
	if o.webhook != "" {
		u, err := url.Parse(o.webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return 0, 0, fmt.Errorf("--webhook %q: want an http(s) URL", o.webhook)
		}
	}
	// The hub settings are checked again where the client is made; here
	// they fail before the display and the OCR workers are opened.
	switch {
	case o.room != "" && o.hub == "":
		return 0, 0, errors.New("--room names this agent on a hub: give --hub URL too")
	case o.hub != "" && strings.TrimSpace(o.room) == "":
		return 0, 0, errors.New("--hub needs --room NAME (the tile's name on the hub)")
	}
	return display, cpu, nil
}

func runWatch(ctx context.Context, args []string, s stdio) error {
	fs, o := watchFlags(s)
	if err := parseFlags(fs, args, s); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "demoguard watch: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfgPath, explicit := o.config, o.config != ""
	if !explicit {
		cfgPath = defaultConfigPath()
	}
	fc, err := loadConfig(cfgPath, explicit)
	if err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	if err := o.applyConfig(&fc.Watch, set); err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	if err := o.resolveSecrets(cfgPath, func(msg string) { fmt.Fprintln(s.err, "demoguard: warning:", msg) }); err != nil {
		return &exitError{code: exitErr, msg: "watch: " + err.Error()}
	}
	display, cpu, err := o.validate()
	if err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}

	// Rules first: a typo in a rule file is the cheapest thing to report.
	load := func() (*rules.Ruleset, error) {
		if len(o.rules) == 0 {
			return rules.Default()
		}
		return rules.Load(o.rules...)
	}
	rs, err := load()
	if err != nil {
		return &exitError{code: exitErr, msg: "rules: " + err.Error()}
	}
	var cur atomic.Pointer[rules.Ruleset]
	cur.Store(rs)

	cp, err := capture.Open()
	if err != nil {
		if errors.Is(err, capture.ErrNoDisplay) {
			return &exitError{code: exitErr, msg: "watch: " + oneLine(err.Error())}
		}
		return &exitError{code: exitErr, msg: "watch: open display: " + oneLine(err.Error())}
	}
	defer cp.Close()
	if c := cp.Caveat(); c != "" {
		fmt.Fprintln(s.err, "demoguard: note:", c)
	}

	// Which displays, before any OCR worker starts: a wrong --display is a
	// usage error, not something to find out after the start-up banner.
	displays, err := cp.Displays()
	if err != nil {
		return &exitError{code: exitErr, msg: "watch: list displays: " + oneLine(err.Error())}
	}
	var desc []string
	for _, d := range displays {
		if display < 0 || d.Index == display {
			desc = append(desc, fmt.Sprintf("%d:%dx%d%+d%+d", d.Index, d.Bounds.Dx(), d.Bounds.Dy(), d.Bounds.Min.X, d.Bounds.Min.Y))
		}
	}
	if len(desc) == 0 {
		return &exitError{code: exitErr, msg: fmt.Sprintf("watch: --display %d: there are %d displays (0..%d)", display, len(displays), len(displays)-1)}
	}

	eng, err := ocr.New(ocr.Options{Lang: o.lang, Workers: o.workers})
	if err != nil {
		return &exitError{code: exitErr, msg: "watch: " + oneLine(err.Error())}
	}
	defer eng.Close()

	warn := func(msg string) { fmt.Fprintln(s.err, "demoguard:", msg) }
	var sinks scanner.Sinks
	if o.format == "json" {
		sinks = append(sinks, &scanner.JSONSink{W: s.out, ShowText: o.showText})
	} else {
		sinks = append(sinks, &scanner.TextSink{W: s.err, ShowText: o.showText})
	}
	if o.log != "" {
		ls, err := scanner.OpenLog(o.log)
		if err != nil {
			return &exitError{code: exitErr, msg: "watch: " + err.Error()}
		}
		sinks = append(sinks, ls)
	}
	if o.notify {
		if tool := map[string]string{"linux": "notify-send", "darwin": "osascript", "windows": "powershell"}[runtime.GOOS]; tool != "" {
			if _, err := exec.LookPath(tool); err != nil {
				warn("--notify: " + tool + " not found; no desktop notifications (Debian: apt-get install libnotify-bin)")
			}
		}
		sinks = append(sinks, &scanner.NotifySink{})
	}
	if o.webhook != "" {
		sinks = append(sinks, &scanner.WebhookSink{URL: o.webhook, Secret: o.webhookSecret, ShowText: o.showText, Warn: warn})
	}
	sink := &lockedSink{s: sinks}

	// DAMAGE lets a static screen cost nothing; without it every frame is
	// captured and compared (still correct, just more CPU).
	var changes scanner.Changes
	if dw, err := xdamage.Open(cp.DisplayName()); err == nil {
		defer dw.Close()
		changes = dw
	} else if runtime.GOOS == "linux" {
		warn("comparing every frame: " + err.Error())
	}

	var salt []byte
	if o.salt != "" {
		salt = []byte(o.salt)
	}
	agent := scanner.New(scanner.Config{
		Capturer:   captureAdapter{cp},
		Recognizer: eng,
		Rules: func() scanner.Matcher {
			if r := cur.Load(); r != nil {
				return r
			}
			return nil
		},
		Sink:     sink,
		Display:  display,
		Interval: o.interval,
		MaxCPU:   cpu,
		Workers:  o.workers,
		MinConf:  o.minConf,
		Salt:     salt,
		Changes:  changes,
	})

	// The page, the hub and the actions: started before anything emits,
	// so sink.s is complete by the time the agent or the reloader use it.
	status := &agentStatus{
		agent: agent,
		displays: func() []string {
			// What the agent watches now, not the start-up list: monitors
			// come and go during a talk.
			var out []string
			for _, d := range agent.Displays() {
				out = append(out, fmt.Sprintf("%d: %dx%d%+d%+d", d.Index, d.Bounds.Dx(), d.Bounds.Dy(), d.Bounds.Min.X, d.Bounds.Min.Y))
			}
			return out
		},
		rules: func() (int, []string) {
			r := cur.Load()
			return len(r.Rules()), r.Sources()
		},
	}
	p, err := startPrivate(privateOptions{
		ui: o.ui, hub: o.hub, room: o.room, token: o.token, tokenFrom: o.tokenFrom, agentToken: o.agentToken,
		showText: o.showText, actions: fc.Actions,
	}, status, sink.Emit, warn, s.err)
	if err != nil {
		sinks.Close()
		return &exitError{code: exitErr, msg: "watch: " + oneLine(err.Error())}
	}
	sink.s = append(sinks, p.sinks()...)

	if len(o.rules) > 0 {
		rl := &scanner.Reloader{
			Paths: o.rules,
			Load: func() (int, []string, error) {
				n, err := load()
				if err != nil {
					return 0, nil, err
				}
				cur.Store(n) // whole rule sets only: a frame sees the old or the new
				return len(n.Rules()), n.Sources(), nil
			},
			Emit: sink.Emit,
		}
		if err := rl.Start(ctx, rs.Sources()); err != nil {
			warn("rules will not reload live: " + err.Error())
		}
	}

	fmt.Fprintf(s.err, "demoguard: watching display %s with %d rules (interval %v, max-cpu %s, %d OCR workers); Ctrl-C stops\n",
		strings.Join(desc, ", "), len(rs.Rules()), o.interval, o.maxCPU, o.workers)
	sink.Emit(scanner.Event{Event: "reload", Time: time.Now(), Rules: len(rs.Rules()), Message: "watching"})

	if watchStarted != nil {
		watchStarted(agent)
	}
	runErr := agent.Run(ctx)
	// Actions first: a failing action reports through sink, which must not
	// be closing (holding its lock) while the action waits to report.
	p.closeActions()
	if err := sink.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return &exitError{code: exitErr, msg: "watch: " + oneLine(runErr.Error())}
	}
	return nil
}

// lockedSink serialises events from the agent and the reloader.
type lockedSink struct {
	mu sync.Mutex
	s  scanner.Sink
}

func (l *lockedSink) Emit(e scanner.Event) { l.mu.Lock(); defer l.mu.Unlock(); l.s.Emit(e) }
func (l *lockedSink) Close() error         { l.mu.Lock(); defer l.mu.Unlock(); return l.s.Close() }

// captureAdapter maps capture's display type onto the scanner's.
type captureAdapter struct{ c *capture.X11 }

func (a captureAdapter) Displays() ([]scanner.Display, error) {
	ds, err := a.c.Displays()
	if err != nil {
		return nil, err
	}
	out := make([]scanner.Display, len(ds))
	for i, d := range ds {
		out[i] = scanner.Display{Index: d.Index, Bounds: d.Bounds}
	}
	return out, nil
}

func (a captureAdapter) Capture(d scanner.Display) (*image.RGBA, error) {
	return a.c.Capture(capture.Display{Index: d.Index, Bounds: d.Bounds})
}

// CaptureInto lets the agent recycle frame buffers.
func (a captureAdapter) CaptureInto(d scanner.Display, dst *image.RGBA) (*image.RGBA, error) {
	return a.c.CaptureInto(capture.Display{Index: d.Index, Bounds: d.Bounds}, dst)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
