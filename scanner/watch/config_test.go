package watch

import (
	"flag"
	"fmt"
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
		{func(r *Raw) { r.Burst = 100 * time.Millisecond }, "--burst"},
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
	env := map[string]string{"DEMOGUARD_WEBHOOK_SECRET": "ws", "DEMOGUARD_TOKEN": "", "DEMOGUARD_AGENT_TOKEN": "at",
		// The hub's viewer token is not the agents' (a viewer must not be
		// able to report): watch never reads it.
		"DEMOGUARD_HUB_TOKEN": "ht"}
	r := Defaults()
	r.Hub, r.Room = "http://booth/", "Hall A"
	r.Env(func(k string) string { return env[k] })
	c, err := r.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if c.WebhookSecret != "ws" || c.AgentToken != "at" || c.Token != "" {
		t.Fatalf("%+v", c)
	}
	r = Defaults()
	r.Token, r.WebhookSecret, r.AgentToken = "flag", "flag", "flag"
	r.Env(func(k string) string { return env[k] })
	if r.Token != "flag" || r.WebhookSecret != "flag" || r.AgentToken != "flag" {
		t.Fatalf("environment overrode a given value: %+v", r)
	}
	// A token from the environment is not printed.
	env["DEMOGUARD_TOKEN"] = "pt"
	r = Defaults()
	r.Env(func(k string) string { return env[k] })
	if c, err := r.Validate(); err != nil || c.Token != "pt" || c.TokenFrom != "$DEMOGUARD_TOKEN" {
		t.Fatalf("token %q from %q (%v)", c.Token, c.TokenFrom, err)
	}
}

// TestSecretSources: each secret comes from the command line, a file or
// the config file, and TokenFrom says whether the page's may be printed.
func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "secrets"), 0o700)
	tokFile := filepath.Join(dir, "secrets", "page.token")
	os.WriteFile(tokFile, []byte("page-from-file\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "secrets", "agent.token"), []byte("agent-from-file\n"), 0o600)
	cfgWith := func(body string) string {
		p := filepath.Join(dir, fmt.Sprintf("config-%d.toml", len(body)))
		os.WriteFile(p, []byte("[watch]\nhub = \"http://booth:8766/\"\nroom = \"Hall A\"\n"+body), 0o600)
		return p
	}
	valueCfg := cfgWith("token = \"page-from-config\"\nagent_token_file = \"secrets/agent.token\"\nwebhook_secret = \"hook-from-config\"\n")
	fileCfg := cfgWith("token_file = \"secrets/page.token\"\n")
	tests := []struct {
		name                string
		args                []string
		token, tokenFrom    string
		agentToken, webhook string
		err                 string
	}{
		{name: "command line", args: []string{"--token", "typed", "--agent-token", "a"}, token: "typed", agentToken: "a"},
		{name: "token file", args: []string{"--token-file", tokFile}, token: "page-from-file", tokenFrom: tokFile},
		{name: "both", args: []string{"--token", "typed", "--token-file", tokFile}, err: "--token and --token-file"},
		{name: "missing file", args: []string{"--agent-token-file", filepath.Join(dir, "nope")}, err: "--agent-token-file"},
		{name: "config values and a file relative to it", args: []string{"--config", valueCfg},
			token: "page-from-config", tokenFrom: valueCfg, agentToken: "agent-from-file", webhook: "hook-from-config"},
		{name: "a flag's file over the config's value", args: []string{"--config", valueCfg, "--token-file", tokFile},
			token: "page-from-file", tokenFrom: tokFile, agentToken: "agent-from-file", webhook: "hook-from-config"},
		{name: "a flag's value over the config's file", args: []string{"--config", fileCfg, "--token", "typed"}, token: "typed"},
		{name: "the config's file", args: []string{"--config", fileCfg}, token: "page-from-file", tokenFrom: tokFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := load(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			c, err := r.Validate()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Token != tt.token || c.TokenFrom != tt.tokenFrom || c.AgentToken != tt.agentToken || c.WebhookSecret != tt.webhook {
				t.Errorf("token %q from %q, agent %q, webhook %q; want %q from %q, %q, %q",
					c.Token, c.TokenFrom, c.AgentToken, c.WebhookSecret, tt.token, tt.tokenFrom, tt.agentToken, tt.webhook)
			}
		})
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
