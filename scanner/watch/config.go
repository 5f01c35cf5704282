package watch

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/demoguard/demoguard/scanner/actions"
	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/feed"
	"github.com/demoguard/demoguard/scanner/output"
	"github.com/demoguard/demoguard/scanner/secret"
)

// Raw is watch's settings as given: the [watch] table of the config file
// with the command line's flags over it. Validate turns it into a Config.
// Keys are the long flag names with '-' written as '_'.
type Raw struct {
	Rules         []string      `toml:"rules"`
	Display       Value         `toml:"display"` // "all" or a number
	Interval      time.Duration `toml:"interval"`
	MaxCPU        Value         `toml:"max_cpu"` // 50 or "50%"
	Burst         time.Duration `toml:"burst"`
	Format        string        `toml:"format"`
	Log           string        `toml:"log"`
	Notify        bool          `toml:"notify"`
	Webhook       string        `toml:"webhook"`
	WebhookSecret string        `toml:"webhook_secret"`
	ShowText      bool          `toml:"show_text"`
	MinConf       float64       `toml:"min_conf"`
	Lang          string        `toml:"lang"`
	Workers       int           `toml:"workers"`
	Salt          string        `toml:"fingerprint_salt"`
	UI            Value         `toml:"ui"` // "127.0.0.1:8765", ":8765" or a port
	Hub           string        `toml:"hub"`
	Room          string        `toml:"room"`
	Token         string        `toml:"token"`
	// Secrets may be files instead (a config file may be shared or kept in
	// version control; a secret file need not be).
	TokenFile         string `toml:"token_file"`
	AgentToken        string `toml:"agent_token"`
	AgentTokenFile    string `toml:"agent_token_file"`
	WebhookSecretFile string `toml:"webhook_secret_file"`

	// from says where a secret's value came from when not the command
	// line ("$VAR", or the config file), by flag name: it is not printed.
	from map[string]string
	// The audience feed (README, "The audience feed").
	Output     string        `toml:"output"`
	Delay      time.Duration `toml:"delay"`
	Pending    string        `toml:"pending"`
	Redact     string        `toml:"redact"`
	OutputFPS  int           `toml:"output_fps"`
	OutputArgs string        `toml:"output_args"`

	// Config is the config file (a flag only).
	Config string `toml:"-"`
	// Actions are the responses to alerts, per severity: the file's
	// [actions] table (not flags).
	Actions actions.Config `toml:"-"`
}

// Value is a setting the config file may write as a string or a number
// (display = 1, max_cpu = "50%", ui = 8765); it is kept as the flag's text.
type Value string

// UnmarshalTOML takes a string or a number.
func (v *Value) UnmarshalTOML(x any) error {
	switch x := x.(type) {
	case string:
		*v = Value(x)
	case int64:
		*v = Value(strconv.FormatInt(x, 10))
	case float64:
		*v = Value(strconv.FormatFloat(x, 'f', -1, 64))
	default:
		return fmt.Errorf("want a string or a number, not %v", x)
	}
	return nil
}

// Defaults are the settings when neither the file nor a flag gives one.
func Defaults() Raw {
	return Raw{
		Display:  "all",
		Interval: 250 * time.Millisecond,
		MaxCPU:   "50%",
		Burst:    agent.DefaultBurst,
		Format:   "text",
		MinConf:  0.5,
		Lang:     "eng",
		Workers:  min(2, runtime.NumCPU()),

		Delay:     feed.DefaultDelay,
		Pending:   "hold",
		Redact:    "black",
		OutputFPS: feed.DefaultFPS,
	}
}

// Flags defines watch's flags on fs, each defaulting to (and writing into)
// r's current value: parsing the command line over a Raw read from the
// config file makes flags win without merging field by field.
func (r *Raw) Flags(fs *flag.FlagSet) {
	fs.Var(&listFlag{dst: &r.Rules}, "rules", "rule `FILE` or directory (repeatable; default: the embedded rules); edits are picked up live")
	fs.StringVar((*string)(&r.Display), "display", string(r.Display), "displays to watch: all or an index (0 is the primary)")
	fs.DurationVar(&r.Interval, "interval", r.Interval, "minimum time between frames (on X11 a frame is taken only after something was drawn)")
	fs.StringVar((*string)(&r.MaxCPU), "max-cpu", string(r.MaxCPU), "CPU budget, in percent of one core, averaged over --burst (OCR included)")
	fs.DurationVar(&r.Burst, "burst", r.Burst, "window the CPU budget is averaged over: a new dense window may use max-cpu×burst of CPU at once (then paid back)")
	fs.StringVar(&r.Format, "format", r.Format, "output: text (lines on stderr, with bell) or json (events on stdout)")
	fs.StringVar(&r.Log, "log", r.Log, "append events as JSON lines to `FILE` (audit trail; text always masked)")
	fs.BoolVar(&r.Notify, "notify", r.Notify, "desktop notification per alert (visible to the audience on a shared screen)")
	fs.StringVar(&r.Webhook, "webhook", r.Webhook, "POST each event as JSON to `URL`")
	fs.StringVar(&r.WebhookSecret, "webhook-secret", r.WebhookSecret, "HMAC-SHA256 key for the X-Demoguard-Signature header (or --webhook-secret-file, or $DEMOGUARD_WEBHOOK_SECRET)")
	fs.StringVar(&r.WebhookSecretFile, "webhook-secret-file", r.WebhookSecretFile, "read the webhook's HMAC key from `FILE` (kept out of ps)")
	fs.BoolVar(&r.ShowText, "show-text", r.ShowText, "show matched text unmasked on the terminal, stdout, webhook, presenter page, hub and actions (never in --log)")
	fs.Float64Var(&r.MinConf, "min-conf", r.MinConf, "drop findings whose OCR confidence is below this (0..1)")
	fs.StringVar(&r.Lang, "lang", r.Lang, "Tesseract languages, e.g. eng+deu")
	fs.IntVar(&r.Workers, "workers", r.Workers, "OCR worker processes")
	fs.StringVar(&r.Salt, "fingerprint-salt", r.Salt, "salt for fingerprints, to compare them across runs (default: random per run)")
	fs.StringVar((*string)(&r.UI), "ui", string(r.UI), "serve the presenter's private page on `ADDR` (a port alone means 127.0.0.1:PORT; any other host requires a token)")
	fs.StringVar(&r.Hub, "hub", r.Hub, "push events and a heartbeat to the AV booth hub at `URL` (needs --room)")
	fs.StringVar(&r.Room, "room", r.Room, "this agent's `NAME` on the hub, e.g. \"Hall A\" (needs --hub)")
	fs.StringVar(&r.Token, "token", r.Token, "token for the presenter page (or --token-file, or $DEMOGUARD_TOKEN); generated when needed")
	fs.StringVar(&r.TokenFile, "token-file", r.TokenFile, "read the presenter page's token from `FILE` (kept out of ps; the URL is then printed without it)")
	fs.StringVar(&r.AgentToken, "agent-token", r.AgentToken, "the hub's agent token, to report to --hub (or --agent-token-file, or $DEMOGUARD_AGENT_TOKEN)")
	fs.StringVar(&r.AgentTokenFile, "agent-token-file", r.AgentTokenFile, "read the hub's agent token from `FILE`")
	fs.StringVar(&r.Output, "output", r.Output, "show the audience a delayed, checked feed of one display: window, window:N (full screen on monitor N), a file (talk.mkv), a stream (srt://, rtmp://, udp://) or /dev/videoN")
	fs.DurationVar(&r.Delay, "delay", r.Delay, "how long the feed lags the screen, for reading what changed (more than 0, at most 5s)")
	fs.StringVar(&r.Pending, "pending", r.Pending, "a changed region not read when due: hold (show its last checked pixels), blur, or show (fail-closed off)")
	fs.StringVar(&r.Redact, "redact", r.Redact, "how findings are covered in the feed: black, blur or pixelate")
	fs.IntVar(&r.OutputFPS, "output-fps", r.OutputFPS, "frames per second of the feed (files and streams run at this constant rate)")
	fs.StringVar(&r.OutputArgs, "output-args", r.OutputArgs, "ffmpeg encoder options replacing the defaults, e.g. \"-c:v libx264 -preset ultrafast -crf 23\"")
	fs.StringVar(&r.Config, "config", r.Config, "config `FILE` with a [watch] table (default "+DefaultConfigPath()+" if it exists)")
}

// listFlag is a repeatable flag that replaces, on its first use, what the
// config file gave: --rules x means x only, not the file's rules and x.
type listFlag struct {
	dst *[]string
	set bool
}

func (l *listFlag) String() string {
	if l.dst == nil {
		return ""
	}
	return strings.Join(*l.dst, ",")
}

func (l *listFlag) Set(v string) error {
	if !l.set {
		*l.dst, l.set = nil, true
	}
	*l.dst = append(*l.dst, v)
	return nil
}

// Load returns the settings of a run: the config file at path (or the
// default one, if it exists, when path is empty) with the command line's
// args over it. args must already have parsed onto Defaults().Flags, so
// usage errors are reported there, once.
func Load(path string, args []string) (Raw, error) {
	r := Defaults()
	explicit := path != ""
	if !explicit {
		path = DefaultConfigPath()
	}
	if err := r.ReadFile(path, explicit); err != nil {
		return Raw{}, err
	}
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	r.Flags(fs)
	if err := fs.Parse(args); err != nil {
		return Raw{}, err
	}
	// A secret on the command line, as a value or a file, replaces the
	// config file's, whichever way that was given.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, sc := range r.secrets() {
		if set[sc.name] || set[sc.name+"-file"] {
			delete(r.from, sc.name)
			if !set[sc.name] {
				*sc.value = ""
			}
			if !set[sc.name+"-file"] {
				*sc.file = ""
			}
		}
	}
	return r, nil
}

// secretField is one of watch's secrets: its flag name, value and file.
type secretField struct {
	name, env   string
	value, file *string
}

func (r *Raw) secrets() []secretField {
	return []secretField{
		{"token", "DEMOGUARD_TOKEN", &r.Token, &r.TokenFile},
		{"agent-token", "DEMOGUARD_AGENT_TOKEN", &r.AgentToken, &r.AgentTokenFile},
		{"webhook-secret", "DEMOGUARD_WEBHOOK_SECRET", &r.WebhookSecret, &r.WebhookSecretFile},
	}
}

func (r *Raw) setFrom(name, from string) {
	if r.from == nil {
		r.from = map[string]string{}
	}
	r.from[name] = from
}

// DefaultConfigPath is $XDG_CONFIG_HOME/demoguard/config.toml
// (~/.config/demoguard/config.toml; on macOS ~/Library/Application
// Support/demoguard/config.toml; on Windows %AppData%\demoguard\config.toml).
func DefaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "demoguard", "config.toml")
}

// file is the config file: one table per command that has settings.
type file struct {
	Watch *Raw `toml:"watch"`
	// Actions are watch's responses to alerts, per severity; a table of
	// its own because they are not flags.
	Actions *actions.Config `toml:"actions"`
}

// ReadFile reads the config file at path over r; when explicit is false a
// missing file is no error (the default location is optional). Unknown keys
// are errors: a typo in a security setting must not be silently ignored.
func (r *Raw) ReadFile(path string, explicit bool) error {
	if path == "" {
		return nil
	}
	c := file{Watch: r, Actions: &r.Actions}
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return fmt.Errorf("config %s: unknown key %s", path, und[0])
	}
	// Relative rule and log paths are relative to the config file, not to
	// wherever the presenter happened to start demoguard.
	base := filepath.Dir(path)
	if md.IsDefined("watch", "rules") {
		for i, p := range r.Rules {
			if !filepath.IsAbs(p) {
				r.Rules[i] = filepath.Join(base, p)
			}
		}
	}
	if md.IsDefined("watch", "log") && r.Log != "" && !filepath.IsAbs(r.Log) {
		r.Log = filepath.Join(base, r.Log)
	}
	for _, sc := range r.secrets() {
		key := strings.ReplaceAll(sc.name, "-", "_")
		if md.IsDefined("watch", key) && *sc.value != "" {
			r.setFrom(sc.name, path) // in a file: not to be printed
		}
		if md.IsDefined("watch", key+"_file") && *sc.file != "" && !filepath.IsAbs(*sc.file) {
			*sc.file = filepath.Join(base, *sc.file)
		}
	}
	// Same for a script next to the config file ("./cut-to-camera.sh");
	// a bare program name is looked up in $PATH as usual.
	a := &r.Actions
	for _, a := range []*actions.Action{a.Low, a.Medium, a.High, a.Critical} {
		if a != nil && len(a.Command) > 0 && strings.ContainsRune(a.Command[0], filepath.Separator) && !filepath.IsAbs(a.Command[0]) {
			a.Command[0] = filepath.Join(base, a.Command[0])
		}
	}
	return nil
}

// Env fills secrets given neither as a value nor as a file from the
// environment (getenv is os.Getenv): $DEMOGUARD_TOKEN (the page),
// $DEMOGUARD_AGENT_TOKEN (the hub's agent token), $DEMOGUARD_WEBHOOK_SECRET.
// A variable keeps them out of `ps` and out of the config file.
func (r *Raw) Env(getenv func(string) string) {
	for _, sc := range r.secrets() {
		if *sc.value == "" && *sc.file == "" {
			if v := getenv(sc.env); v != "" {
				*sc.value = v
				r.setFrom(sc.name, "$"+sc.env)
			}
		}
	}
}

// Config is a validated watch run. Build it with Raw.Validate; the I/O
// fields are the caller's.
type Config struct {
	Rules         []string // rule files and directories; none: the embedded rules
	Display       int      // -1: all displays
	Interval      time.Duration
	MaxCPU        float64 // cores
	MaxCPUText    string  // as given, for the start-up line
	Burst         time.Duration
	JSON          bool // events as JSON lines on Stdout, else text on Stderr
	Log           string
	Notify        bool
	Webhook       string // an http(s) URL, or empty
	WebhookSecret string
	ShowText      bool
	MinConf       float64
	Lang          string
	Workers       int
	Salt          []byte // nil: random per run
	UI            string
	Hub, Room     string
	Token         string // the presenter page's
	// TokenFrom is where Token was read (a file, "$VAR"); "" when it was
	// typed on the command line and may be printed with the page's URL.
	TokenFrom  string
	AgentToken string // the hub's agent token, sent to --hub
	Actions    actions.Config
	// Warnings are printed at start (a secret file others can read).
	Warnings []string
	// The audience feed: Output nil when there is none.
	Output     *output.Target
	Delay      time.Duration
	Pending    feed.Pending
	Redact     feed.Redact
	OutputFPS  int
	OutputArgs []string

	// Stdout receives JSON events; Stderr the start-up lines, warnings and
	// text events. Nil: discarded.
	Stdout, Stderr io.Writer
	// Started, when set (tests, benchmarks), is given the agent before it runs.
	Started func(*agent.Agent)
	// EventQueue bounds the events waiting for each output (0:
	// event.DefaultQueue); not a flag.
	EventQueue int
}

// ParseMaxCPU reads "50%" or "50" as half of one core.
func ParseMaxCPU(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v <= 0 || v > 100*float64(runtime.NumCPU()) {
		return 0, fmt.Errorf("--max-cpu %q: want a percentage of one core, e.g. 50%% (at most %d%%)", s, 100*runtime.NumCPU())
	}
	return v / 100, nil
}

// Validate checks the settings and returns them as a Config; the first
// problem is returned naming the flag (and config key) it came from.
func (r Raw) Validate() (Config, error) {
	c := Config{
		Rules: r.Rules, Display: -1, Interval: r.Interval, MaxCPUText: string(r.MaxCPU),
		JSON: r.Format == "json", Log: r.Log, Notify: r.Notify, Webhook: r.Webhook, WebhookSecret: r.WebhookSecret,
		ShowText: r.ShowText, MinConf: r.MinConf, Lang: r.Lang, Workers: r.Workers,
		UI: string(r.UI), Hub: r.Hub, Room: r.Room, Actions: r.Actions,
	}
	for _, sc := range []struct {
		f    secretField
		val  *string
		from *string
	}{
		{r.secrets()[0], &c.Token, &c.TokenFrom},
		{r.secrets()[1], &c.AgentToken, nil},
		{r.secrets()[2], &c.WebhookSecret, nil},
	} {
		v, from, warn, err := secret.Source{Flag: sc.f.name, Value: *sc.f.value, ValueFrom: r.from[sc.f.name], File: *sc.f.file}.Resolve(nil)
		if err != nil {
			return Config{}, err
		}
		if warn != "" {
			c.Warnings = append(c.Warnings, warn)
		}
		*sc.val = v
		if sc.from != nil {
			*sc.from = from
		}
	}
	if c.Hub != "" && c.AgentToken == "" && c.Token != "" {
		// Before the hub had an agent token of its own, --token served both.
		c.Warnings = append(c.Warnings, "--token is the presenter page's token; the hub takes its agent token (--agent-token, --agent-token-file or $DEMOGUARD_AGENT_TOKEN)")
	}
	if r.Display != "all" {
		d, err := strconv.Atoi(string(r.Display))
		if err != nil || d < 0 {
			return Config{}, fmt.Errorf("--display %q: want all or a display index (0, 1, ...)", r.Display)
		}
		c.Display = d
	}
	cpu, err := ParseMaxCPU(string(r.MaxCPU))
	if err != nil {
		return Config{}, err
	}
	c.MaxCPU = cpu
	if r.Burst < time.Second || r.Burst > 10*time.Minute {
		return Config{}, fmt.Errorf("--burst %v: want 1s..10m", r.Burst)
	}
	c.Burst = r.Burst
	if r.Interval < 10*time.Millisecond {
		return Config{}, fmt.Errorf("--interval %v: at least 10ms", r.Interval)
	}
	if r.Format != "text" && r.Format != "json" {
		return Config{}, fmt.Errorf("--format %q: want text or json", r.Format)
	}
	if r.MinConf < 0 || r.MinConf > 1 {
		return Config{}, fmt.Errorf("--min-conf %v: want 0..1", r.MinConf)
	}
	if r.Workers < 1 {
		return Config{}, fmt.Errorf("--workers %d: at least 1", r.Workers)
	}
	if r.Webhook != "" {
		u, err := url.Parse(r.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, fmt.Errorf("--webhook %q: want an http(s) URL", r.Webhook)
		}
	}
	// The hub settings are checked again where the client is made; here
	// they fail before the display and the OCR workers are opened.
	switch {
	case r.Room != "" && r.Hub == "":
		return Config{}, errors.New("--room names this agent on a hub: give --hub URL too")
	case r.Hub != "" && strings.TrimSpace(r.Room) == "":
		return Config{}, errors.New("--hub needs --room NAME (the tile's name on the hub)")
	}
	if r.Salt != "" {
		c.Salt = []byte(r.Salt)
	}
	if err := r.validateFeed(&c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// validateFeed checks the audience feed's settings. The target is parsed
// here (a file that exists or cannot be written, an unknown URL scheme);
// the display and monitor are checked by Run once the displays are known,
// still before anything starts.
func (r Raw) validateFeed(c *Config) error {
	var err error
	if err = feed.CheckDelay(r.Delay); err != nil {
		return err
	}
	if c.Pending, err = feed.ParsePending(r.Pending); err != nil {
		return err
	}
	if c.Redact, err = feed.ParseRedact(r.Redact); err != nil {
		return err
	}
	if r.OutputFPS < 1 || r.OutputFPS > 120 {
		return fmt.Errorf("--output-fps %d: want 1 to 120", r.OutputFPS)
	}
	c.Delay, c.OutputFPS, c.OutputArgs = r.Delay, r.OutputFPS, strings.Fields(r.OutputArgs)
	if r.Output == "" {
		return nil
	}
	t, err := output.ParseTarget(r.Output)
	if err != nil {
		return err
	}
	if t.Kind != output.KindWindow {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			return fmt.Errorf("--output %s: ffmpeg not found (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg)", r.Output)
		}
	}
	c.Output = &t
	return nil
}
