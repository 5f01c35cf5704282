package watch

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// load parses args as the command does: once onto the defaults (for
// --config), then the config file with the flags again over it.
func load(t *testing.T, args ...string) (Raw, error) {
	t.Helper()
	first := Defaults()
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	first.Flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(first.Config, args)
}

func TestFlagsOverConfig(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("[watch]\nrules = [\"r.toml\"]\ndisplay = 1\ninterval = \"500ms\"\nmax_cpu = 25\nformat = \"json\"\nmin_conf = 0.7\nshow_text = true\nlog = \"a.log\"\n"), 0o600)
	r, err := load(t, "--interval", "1s", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if c.Interval != time.Second || c.Display != 1 || c.MaxCPU != 0.25 || !c.JSON || c.MinConf != 0.7 || !c.ShowText ||
		len(c.Rules) != 1 || c.Rules[0] != filepath.Join(dir, "r.toml") || c.Log != filepath.Join(dir, "a.log") {
		t.Fatalf("config %+v", c)
	}
	// A --rules flag replaces the file's rules (relative to the working
	// directory, not the config file).
	r, err = load(t, "--config", cfg, "--rules", "x.toml", "--rules", "y.toml", "--display", "all")
	if err != nil {
		t.Fatal(err)
	}
	if c, err = r.Validate(); err != nil || len(c.Rules) != 2 || c.Rules[0] != "x.toml" || c.Display != -1 {
		t.Fatalf("config %+v, %v: want the flags' rules only and all displays", c, err)
	}
	// Defaults when neither gives a value.
	r, err = load(t)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = r.Validate(); err != nil || c.Display != -1 || c.MaxCPU != 0.5 || c.JSON || c.Interval != 250*time.Millisecond || c.MinConf != 0.5 {
		t.Fatalf("defaults %+v, %v", c, err)
	}

	os.WriteFile(cfg, []byte("[watch]\nmax_cpus = 25\n"), 0o600)
	if _, err := load(t, "--config", cfg); err == nil || !strings.Contains(err.Error(), "max_cpus") {
		t.Fatalf("unknown key: %v", err)
	}
	os.WriteFile(cfg, []byte("[watch]\ndisplay = true\n"), 0o600)
	if _, err := load(t, "--config", cfg); err == nil || !strings.Contains(err.Error(), "display") {
		t.Fatalf("display = true: %v", err)
	}
	r = Defaults()
	if err := r.ReadFile(filepath.Join(dir, "missing.toml"), false); err != nil {
		t.Fatalf("missing default config: %v", err)
	}
	if err := r.ReadFile(filepath.Join(dir, "missing.toml"), true); err == nil {
		t.Fatal("missing explicit config accepted")
	}
	for _, bad := range []string{"0", "-5%", "abc"} {
		if _, err := ParseMaxCPU(bad); err == nil {
			t.Errorf("--max-cpu %s accepted", bad)
		}
	}
	if v, _ := ParseMaxCPU("50%"); v != 0.5 {
		t.Errorf("50%% = %v cores", v)
	}
}

func TestValidateErrors(t *testing.T) {
	for _, tt := range []struct {
		set  func(*Raw)
		want string
	}{
		{func(r *Raw) { r.Display = "-1" }, "--display"},
		{func(r *Raw) { r.Display = "left" }, "--display"},
		{func(r *Raw) { r.MaxCPU = "0" }, "--max-cpu"},
		{func(r *Raw) { r.Interval = time.Millisecond }, "--interval"},
		{func(r *Raw) { r.Format = "xml" }, "--format"},
		{func(r *Raw) { r.MinConf = 1.5 }, "--min-conf"},
		{func(r *Raw) { r.Workers = 0 }, "--workers"},
		{func(r *Raw) { r.Webhook = "ftp://x" }, "--webhook"},
		{func(r *Raw) { r.Room = "Hall A" }, "--hub"},
		{func(r *Raw) { r.Hub = "http://booth:8766/" }, "--room"},
	} {
		r := Defaults()
		tt.set(&r)
		if _, err := r.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want an error naming %s", r, err, tt.want)
		}
	}
}

func TestEnvFillsSecretsNotGiven(t *testing.T) {
	env := map[string]string{"DEMOGUARD_WEBHOOK_SECRET": "ws", "DEMOGUARD_TOKEN": "", "DEMOGUARD_HUB_TOKEN": "ht"}
	r := Defaults()
	r.Hub = "http://booth/"
	r.Env(func(k string) string { return env[k] })
	if r.WebhookSecret != "ws" || r.Token != "ht" {
		t.Fatalf("%+v", r)
	}
	r = Defaults()
	r.Token, r.WebhookSecret = "flag", "flag"
	r.Env(func(k string) string { return env[k] })
	if r.Token != "flag" || r.WebhookSecret != "flag" {
		t.Fatalf("environment overrode a given value: %+v", r)
	}
}

// The page, hub and token settings come from [watch] unless a flag is
// given; [actions] is parsed and checked for typos like the rest.
func TestPrivateConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(`[watch]
ui = 8765
hub = "http://booth:8766/"
room = "Hall A"
token = "from-config"

[actions.obs]
url = "ws://127.0.0.1:4455"

[actions.critical]
command = ["./cut.sh", "camera"]
scene = "Camera"
scene_back = true
`), 0o600)
	r, err := load(t, "--room", "Hall B", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.UI != "8765" || r.Hub != "http://booth:8766/" || r.Room != "Hall B" || r.Token != "from-config" {
		t.Fatalf("options %+v", r)
	}
	if c := r.Actions.Critical; c == nil || c.Command[0] != filepath.Join(dir, "cut.sh") || c.Scene != "Camera" || r.Actions.OBS.URL == "" {
		t.Fatalf("actions %+v: want the script relative to the config file", r.Actions)
	}
	os.WriteFile(cfg, []byte("[actions.high]\ncomand = [\"x\"]\n"), 0o600)
	if _, err := load(t, "--config", cfg); err == nil || !strings.Contains(err.Error(), "comand") {
		t.Fatalf("unknown key in [actions.high]: %v", err)
	}
}
