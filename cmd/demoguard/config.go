package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/demoguard/demoguard/scanner/actions"
)

// fileConfig is the config file: one table per command that has settings.
// Keys are the long flag names with '-' written as '_'.
type fileConfig struct {
	Watch watchFileConfig `toml:"watch"`
	// Actions are watch's responses to alerts, per severity; a table of
	// its own because they are not flags.
	Actions actions.Config `toml:"actions"`
}

type watchFileConfig struct {
	Rules           []string `toml:"rules"`
	Display         any      `toml:"display"` // "all" or a number
	Interval        string   `toml:"interval"`
	MaxCPU          any      `toml:"max_cpu"` // 50 or "50%"
	Format          string   `toml:"format"`
	Log             string   `toml:"log"`
	Notify          *bool    `toml:"notify"`
	Webhook         string   `toml:"webhook"`
	WebhookSecret   string   `toml:"webhook_secret"`
	ShowText        *bool    `toml:"show_text"`
	MinConf         *float64 `toml:"min_conf"`
	Lang            string   `toml:"lang"`
	Workers         *int     `toml:"workers"`
	FingerprintSalt string   `toml:"fingerprint_salt"`
	UI              any      `toml:"ui"` // "127.0.0.1:8765", ":8765" or a port
	Hub             string   `toml:"hub"`
	Room            string   `toml:"room"`
	Token           string   `toml:"token"`
	// Secrets may be given as files too (the config file may be shared
	// or kept in version control; a secret file may not).
	TokenFile         string `toml:"token_file"`
	AgentToken        string `toml:"agent_token"`
	AgentTokenFile    string `toml:"agent_token_file"`
	WebhookSecretFile string `toml:"webhook_secret_file"`
}

// defaultConfigPath is $XDG_CONFIG_HOME/demoguard/config.toml
// (~/.config/demoguard/config.toml; on macOS ~/Library/Application
// Support/demoguard/config.toml; on Windows %AppData%\demoguard\config.toml).
func defaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "demoguard", "config.toml")
}

// loadConfig reads path; when explicit is false a missing file is no error
// (the default location is optional). Unknown keys are errors: a typo in a
// security setting must not be silently ignored.
func loadConfig(path string, explicit bool) (*fileConfig, error) {
	var c fileConfig
	if path == "" {
		return &c, nil
	}
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return &c, nil
		}
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("config %s: unknown key %s", path, und[0])
	}
	// Relative rule and log paths are relative to the config file, not to
	// wherever the presenter happened to start demoguard.
	base := filepath.Dir(path)
	for i, r := range c.Watch.Rules {
		if !filepath.IsAbs(r) {
			c.Watch.Rules[i] = filepath.Join(base, r)
		}
	}
	for _, p := range []*string{&c.Watch.Log, &c.Watch.TokenFile, &c.Watch.AgentTokenFile, &c.Watch.WebhookSecretFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	// Same for a script next to the config file ("./cut-to-camera.sh");
	// a bare program name is looked up in $PATH as usual.
	for _, a := range []*actions.Action{c.Actions.Low, c.Actions.Medium, c.Actions.High, c.Actions.Critical} {
		if a != nil && len(a.Command) > 0 && strings.ContainsRune(a.Command[0], filepath.Separator) && !filepath.IsAbs(a.Command[0]) {
			a.Command[0] = filepath.Join(base, a.Command[0])
		}
	}
	return &c, nil
}
