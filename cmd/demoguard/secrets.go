package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxSecret bounds a token or secret file: a token is tens of bytes, and a
// wrong path (a log, /dev/zero) must not be read whole.
const maxSecret = 4 << 10

// secret is one token or secret: given on the command line, read from a
// file (--NAME-file), or from the environment. Files and the environment
// keep it out of `ps` and the shell history.
type secret struct {
	flag  string // "token", "agent-token", "webhook-secret"
	value string // from --NAME (or the config file's NAME)
	file  string // from --NAME-file (or the config file's NAME_file)
	env   string // variable read when neither is given
	// cfgValue tells that value came from the config file, not the
	// command line: it is then not printed either.
	cfgValue string
}

// resolve returns the secret and where it came from: "" when it was typed
// on the command line (and may be printed), else the file or "$VAR" (and
// it must not be). warn is set when the file is readable by other users.
func (s secret) resolve() (val, from, warn string, err error) {
	switch {
	case s.value != "" && s.file != "":
		return "", "", "", fmt.Errorf("--%s and --%s-file: give one of them", s.flag, s.flag)
	case s.value != "":
		return s.value, s.cfgValue, "", nil
	case s.file != "":
		val, warn, err = readSecretFile(s.file)
		if err != nil {
			return "", "", "", fmt.Errorf("--%s-file: %w", s.flag, err)
		}
		return val, s.file, warn, nil
	case s.env != "" && os.Getenv(s.env) != "":
		return os.Getenv(s.env), "$" + s.env, "", nil
	}
	return "", "", "", nil
}

// errSecretFormat is for a file that does not hold one token.
var errSecretFormat = errors.New("want the token on one line")

// readSecretFile reads a token from path: one line, surrounding white
// space (the final newline an editor adds) trimmed. A FIFO works too
// (--token-file <(pass show demoguard/hub)).
func readSecretFile(path string) (val, warn string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	if st.IsDir() {
		return "", "", fmt.Errorf("%s: is a directory", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecret+1))
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxSecret {
		return "", "", fmt.Errorf("%s: over %d bytes: %w", path, maxSecret, errSecretFormat)
	}
	val = strings.TrimSpace(string(b))
	switch {
	case val == "":
		return "", "", fmt.Errorf("%s: empty: %w", path, errSecretFormat)
	case strings.ContainsAny(val, "\r\n\x00"):
		return "", "", fmt.Errorf("%s: more than one line: %w", path, errSecretFormat)
	}
	if st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
		warn = fmt.Sprintf("%s is readable by other users (mode %04o): chmod 600 %s", path, st.Mode().Perm(), path)
	}
	return val, warn, nil
}

// resolveSecrets settles the page's token, the hub's agent token and the
// webhook's secret from flags, the config file (cfgPath), files and the
// environment.
func (o *watchOptions) resolveSecrets(cfgPath string, warn func(string)) error {
	cfgFrom := func(name string) string {
		if o.inConfig[name] {
			return cfgPath
		}
		return ""
	}
	var webhookFrom string
	for _, sc := range []struct {
		secret
		val, from *string
	}{
		{secret{flag: "token", value: o.token, file: o.tokenFile, env: "DEMOGUARD_TOKEN", cfgValue: cfgFrom("token")}, &o.token, &o.tokenFrom},
		{secret{flag: "agent-token", value: o.agentToken, file: o.agentTokenFile, env: "DEMOGUARD_AGENT_TOKEN", cfgValue: cfgFrom("agent-token")}, &o.agentToken, &o.agentTokenFrom},
		{secret{flag: "webhook-secret", value: o.webhookSecret, file: o.webhookSecretFile, env: "DEMOGUARD_WEBHOOK_SECRET", cfgValue: cfgFrom("webhook-secret")}, &o.webhookSecret, &webhookFrom},
	} {
		v, from, w, err := sc.resolve()
		if err != nil {
			return err
		}
		if w != "" {
			warn(w)
		}
		*sc.val, *sc.from = v, from
	}
	if o.hub != "" && o.agentToken == "" && o.token != "" {
		// Before the hub had its own agent token, --token served both.
		warn("--token is the presenter page's token; the hub takes its agent token (--agent-token, --agent-token-file or $DEMOGUARD_AGENT_TOKEN)")
	}
	return nil
}
