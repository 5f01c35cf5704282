package rules

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestInvalidRuleFiles loads each file under testdata/rules/invalid (one
// problem a file) and compares the error with its .err golden file.
func TestInvalidRuleFiles(t *testing.T) {
	dir := filepath.Join("..", "testdata", "rules", "invalid")
	files, err := filepath.Glob(filepath.Join(dir, "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s: %v", dir, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".toml")
		t.Run(name, func(t *testing.T) {
			rs, err := Load(f)
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want an error", f)
			}
			if rs != nil {
				t.Errorf("Load returned a ruleset with an error")
			}
			var el ErrorList
			if !errors.As(err, &el) || el[0].File == "" {
				t.Fatalf("error is not a located ErrorList: %v", err)
			}
			if el[0].Line == 0 && name != "missing-terms-file-dir" {
				t.Errorf("error has no line: %v", err)
			}
			got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "") + "\n"
			golden := filepath.Join(dir, name+".err")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestValidRuleFiles(t *testing.T) {
	rs, err := Load(filepath.Join("..", "testdata", "rules", "valid"))
	if err != nil {
		t.Fatal(err)
	}
	if !rs.Has("customers") || !rs.Has("large-amount") {
		t.Errorf("extends = \"default\" should add the default rules: %v", rs.Rules())
	}
	failures, run := rs.TestExamples()
	if run < 10 || len(failures) > 0 {
		t.Errorf("ran %d examples, failures: %+v", run, failures)
	}
	src := rs.Sources()
	if len(src) != 2 || !strings.HasSuffix(src[1], "customers.txt") {
		t.Errorf("Sources() = %q, want the rule file and its terms file", src)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(); err == nil {
		t.Error("Load() with no files succeeded")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope.toml")); err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.toml") {
		t.Errorf("empty directory: %v", err)
	}
	// Several problems in one file are all reported, in line order.
	dir := t.TempDir()
	p := filepath.Join(dir, "r.toml")
	os.WriteFile(p, []byte("[[rules]]\nid = \"a\"\nserverity = \"x\"\nterms = [\"A1\"]\n\n[[rules]]\nid = \"b\"\npattern = \"(\"\n"), 0o600)
	_, err := Load(p)
	var el ErrorList
	if !errors.As(err, &el) || len(el) != 2 || el[0].Line != 3 {
		t.Errorf("want 2 errors starting at line 3, got %v", err)
	}
}
