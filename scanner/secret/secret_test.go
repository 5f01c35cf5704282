package secret

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSecretResolve(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode) // past the umask
		return p
	}
	good := file("good", "tok-1\n", 0o600)
	t.Setenv("DG_TEST_TOKEN", "tok-env")
	tests := []struct {
		name            string
		s               Source
		val, from, warn string
		err             string
		isErr           error
	}{
		{name: "flag", s: Source{Flag: "token", Value: "tok-flag", Env: "DG_TEST_TOKEN"}, val: "tok-flag"},
		{name: "config file value", s: Source{Flag: "token", Value: "tok-cfg", ValueFrom: "/etc/dg.toml"}, val: "tok-cfg", from: "/etc/dg.toml"},
		{name: "file, newline trimmed", s: Source{Flag: "token", File: good, Env: "DG_TEST_TOKEN"}, val: "tok-1", from: good},
		{name: "environment", s: Source{Flag: "token", Env: "DG_TEST_TOKEN"}, val: "tok-env", from: "$DG_TEST_TOKEN"},
		{name: "nothing", s: Source{Flag: "token", Env: "DG_TEST_UNSET"}},
		{name: "flag and file", s: Source{Flag: "token", Value: "x", File: good}, err: "--token and --token-file"},
		{name: "missing file", s: Source{Flag: "agent-token", File: filepath.Join(dir, "nope")}, err: "--agent-token-file", isErr: fs.ErrNotExist},
		{name: "empty file", s: Source{Flag: "token", File: file("empty", "\n", 0o600)}, err: "empty", isErr: ErrFormat},
		{name: "two lines", s: Source{Flag: "token", File: file("two", "a\nb\n", 0o600)}, err: "more than one line", isErr: ErrFormat},
		{name: "huge file", s: Source{Flag: "token", File: file("huge", strings.Repeat("x", MaxFile+1), 0o600)}, err: "over 4096 bytes", isErr: ErrFormat},
		{name: "directory", s: Source{Flag: "token", File: dir}, err: "is a directory"},
		{name: "world-readable", s: Source{Flag: "token", File: file("open", "tok-2", 0o644)}, val: "tok-2", from: filepath.Join(dir, "open"), warn: "chmod 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			val, from, warn, err := tt.s.Resolve(os.Getenv)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || (tt.isErr != nil && !errors.Is(err, tt.isErr)) {
					t.Fatalf("err %v, want one naming %q", err, tt.err)
				}
				if tt.s.File != "" && tt.s.Value == "" && !strings.Contains(err.Error(), tt.s.File) {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if val != tt.val || from != tt.from || !strings.Contains(warn, tt.warn) || (tt.warn == "" && warn != "") {
				t.Errorf("got %q from %q (warn %q), want %q from %q (warn %q)", val, from, warn, tt.val, tt.from, tt.warn)
			}
		})
	}
}

// TestSecretFromFIFO: --token-file <(pass show x) hands over a pipe.
func TestSecretFromFIFO(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { w.WriteString("tok-pipe\n"); w.Close() }()
	defer r.Close()
	val, from, _, err := Source{Flag: "token", File: "/dev/fd/" + strconv.Itoa(int(r.Fd()))}.Resolve(os.Getenv)
	if err != nil || val != "tok-pipe" || from == "" {
		t.Fatalf("%q from %q: %v", val, from, err)
	}
}
