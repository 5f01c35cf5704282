package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the CLI in-process and returns stdout, stderr and exit code.
func runCmd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	code := 0
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else {
			code = 2
			errb.WriteString(err.Error())
		}
	}
	return out.String(), errb.String(), code
}

func TestRulesCheck(t *testing.T) {
	valid := filepath.Join("..", "..", "testdata", "rules", "valid")
	invalid := filepath.Join("..", "..", "testdata", "rules", "invalid")
	tests := []struct {
		name    string
		args    []string
		code    int
		out     string // substring of stdout
		errLine string // substring of stderr
	}{
		{"defaults", []string{"rules", "check"}, 0, "ok: 13 rules from the embedded default rules", ""},
		{"valid dir", []string{"rules", "check", valid}, 0, "ok: 15 rules", ""},
		{"typo", []string{"rules", "check", filepath.Join(invalid, "unknown-key.toml")}, 2, "", `unknown-key.toml:3: rule "customers": unknown key "serverity" (did you mean "severity"?)`},
		{"two files", []string{"rules", "check", filepath.Join(invalid, "bad-regex.toml"), filepath.Join(invalid, "duplicate-id.toml")}, 2, "", "duplicate-id.toml:6"},
		{"missing", []string{"rules", "check", "no-such.toml"}, 2, "", "no-such.toml: stat: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := runCmd(t, "", tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.errLine) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, %q, %q", code, out, errs, tt.code, tt.out, tt.errLine)
			}
		})
	}
}

func TestRulesTest(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.toml")
	os.WriteFile(p, []byte(`
[[rules]]
id = "falcon"
pattern = '(?i)project\s+falcon'
must_match = ["Project Falcon", "project  falcon roadmap", "Project Eagle"]
must_not_match = ["falcon", "Project Falcon"]

[[rules]]
id = "ok"
terms = ["Globex"]
must_match = ["Globex"]
`), 0o600)
	out, _, code := runCmd(t, "", "rules", "test", p)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		`r.toml:2: rule "falcon" must match "Project Eagle"`,
		`rule "falcon" must not match "Project Falcon"`,
		"6 examples: 4 passed, 2 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runCmd(t, "", "rules", "test", "--rule", "ok", p)
	if code != 0 || !strings.Contains(out, "1 examples: 1 passed, 0 failed") {
		t.Errorf("--rule ok: exit %d\n%s", code, out)
	}
	if _, errs, code := runCmd(t, "", "rules", "test", "--rule", "nope", p); code != 2 || !strings.Contains(errs, `no rule "nope"`) {
		t.Errorf("unknown --rule: exit %d %q", code, errs)
	}
	if out, _, code := runCmd(t, "", "rules", "test"); code != 0 || !strings.Contains(out, " 0 failed") {
		t.Errorf("default pack examples: exit %d\n%s", code, out)
	}
}

func TestRulesHashRoundTrip(t *testing.T) {
	dir := t.TempDir()
	terms := filepath.Join(dir, "customers.txt")
	os.WriteFile(terms, []byte("# list\nWalmart\nHome Depot\n\nWalmart\n"), 0o600)
	out, _, code := runCmd(t, "", "rules", "hash", "--salt", "pepper", terms)
	if code != 0 || strings.Count(out, `",`) != 2 || strings.Contains(out, "Walmart") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	rf := filepath.Join(dir, "hashed.toml")
	os.WriteFile(rf, []byte("[[rules]]\nid = \"customers\"\n"+out), 0o600)
	mout, _, code := runCmd(t, "", "match", "--rules", rf, "--format", "json", "renewal for Wa1mart")
	if code != 1 || !strings.Contains(mout, `"rule":"customers"`) {
		t.Errorf("hashed rule did not match: exit %d %s", code, mout)
	}
}

func TestMatchCommand(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string // rule ids found, in order
	}{
		{"args", "", []string{"match", "--format", "json", "cloud spend $580.4 million", "nothing here"}, 1, []string{"large-amount"}},
		{"stdin", "CONFIDENTIAL\n$4.99\njane@example.com\n", []string{"match", "--format", "json"}, 1, []string{"classification-marker", "email-address"}},
		{"clean", "", []string{"match", "--format", "json", "acrylic", "$250K"}, 0, nil},
		{"only", "", []string{"match", "--format", "json", "--rule", "email-address", "CONFIDENTIAL a@b.io"}, 1, []string{"email-address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := runCmd(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			var res struct {
				Findings []struct {
					Source, Rule, Severity, Text string
					Value                        *float64
				}
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("bad JSON %q: %v", out, err)
			}
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.Rule)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("rules %v, want %v", got, tt.want)
			}
		})
	}
	out, _, _ := runCmd(t, "", "match", "--format", "json", "USD 45,000,000")
	if !strings.Contains(out, `"source":"line 1"`) || !strings.Contains(out, `"value":45000000`) {
		t.Errorf("json contract: %s", out)
	}
	if _, _, code := runCmd(t, "", "match", "--format", "xml", "x"); code != 2 {
		t.Errorf("bad format: exit %d, want 2", code)
	}
}

func TestHelpAndVersion(t *testing.T) {
	if out, _, code := runCmd(t, "", "version"); code != 0 || !strings.HasPrefix(out, "demoguard ") {
		t.Errorf("version: %d %q", code, out)
	}
	if out, _, code := runCmd(t, "", "help"); code != 0 || !strings.Contains(out, "rules") {
		t.Errorf("help: %d %q", code, out)
	}
	if out, _, code := runCmd(t, "", "match", "-h"); code != 0 || !strings.Contains(out, "--format") && !strings.Contains(out, "-format") {
		t.Errorf("match -h: %d %q", code, out)
	}
	if _, errs, code := runCmd(t, "", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
}
