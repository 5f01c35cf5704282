// Package secret reads the tokens and secrets of demoguard's commands
// (the presenter page's and the hub's tokens, the webhook's key) from the
// command line, a file or the environment. Files and the environment keep
// a secret out of `ps` and the shell history; where a secret came from
// decides whether it may be printed (only one typed on the command line,
// or generated, is).
package secret

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxFile bounds a secret file: a token is tens of bytes, and a wrong path
// (a log, /dev/zero) must not be read whole.
const MaxFile = 4 << 10

// ErrFormat is for a file that does not hold one secret on one line.
var ErrFormat = errors.New("want the secret on one line")

// Source is one secret and the places it may come from.
type Source struct {
	Flag  string // the flag's name, "token": the file flag is Flag+"-file"
	Value string // given as a value (--token, or the config file's key)
	// ValueFrom says where Value came from when not the command line (the
	// config file's path): it is then not printed either.
	ValueFrom string
	File      string // --token-file (or the config file's token_file)
	Env       string // variable read when neither Value nor File is given
}

// Resolve returns the secret and where it came from: "" when it was typed
// on the command line (it may be printed), else the file, "$VAR" or
// ValueFrom (it must not be). warn is set when a file is readable by other
// users. Nothing given is no error: val is "".
func (s Source) Resolve(getenv func(string) string) (val, from, warn string, err error) {
	switch {
	case s.Value != "" && s.File != "":
		return "", "", "", fmt.Errorf("--%s and --%s-file: give one of them", s.Flag, s.Flag)
	case s.Value != "":
		return s.Value, s.ValueFrom, "", nil
	case s.File != "":
		val, warn, err = ReadFile(s.File)
		if err != nil {
			return "", "", "", fmt.Errorf("--%s-file: %w", s.Flag, err)
		}
		return val, s.File, warn, nil
	case s.Env != "" && getenv != nil && getenv(s.Env) != "":
		return getenv(s.Env), "$" + s.Env, "", nil
	}
	return "", "", "", nil
}

// ReadFile reads a secret from path: one line, surrounding white space
// (the final newline an editor adds) trimmed. A pipe works too
// (--token-file <(pass show demoguard/hub)). warn says when the file is
// readable by other users.
func ReadFile(path string) (val, warn string, err error) {
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
	b, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxFile {
		return "", "", fmt.Errorf("%s: over %d bytes: %w", path, MaxFile, ErrFormat)
	}
	val = strings.TrimSpace(string(b))
	switch {
	case val == "":
		return "", "", fmt.Errorf("%s: empty: %w", path, ErrFormat)
	case strings.ContainsAny(val, "\r\n\x00"):
		return "", "", fmt.Errorf("%s: more than one line: %w", path, ErrFormat)
	}
	if st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
		warn = fmt.Sprintf("%s is readable by other users (mode %04o): chmod 600 %s", path, st.Mode().Perm(), path)
	}
	return val, warn, nil
}
