// Package childenv builds the environment of the processes demoguard
// starts (response actions, OCR workers): the parent's, without the
// secrets demoguard reads from its own environment. A token in the
// environment of an action script would reach whatever that script runs
// and whatever it logs; an OCR worker needs none of them.
package childenv

import (
	"os"
	"strings"
)

// secretWords mark a DEMOGUARD_ variable as a secret: the page's and the
// hub's tokens ($DEMOGUARD_TOKEN, $DEMOGUARD_HUB_TOKEN,
// $DEMOGUARD_AGENT_TOKEN and their _FILE forms), $DEMOGUARD_WEBHOOK_SECRET,
// $DEMOGUARD_OBS_PASSWORD, and any later one named the same way.
var secretWords = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "SALT", "KEY", "CREDENTIAL"}

// Secret reports whether the variable name is one of demoguard's secrets.
// Only DEMOGUARD_ variables are judged: the user's other variables are
// theirs to pass to their scripts.
func Secret(name string) bool {
	n := strings.ToUpper(name)
	if !strings.HasPrefix(n, "DEMOGUARD_") {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// Environ returns os.Environ() without the secrets, followed by extra
// (NAME=value entries, which win over inherited ones of the same name).
func Environ(extra ...string) []string {
	return Filter(os.Environ(), extra...)
}

// Filter is Environ for a given environment.
func Filter(env []string, extra ...string) []string {
	out := make([]string, 0, len(env)+len(extra))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !Secret(name) {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}
