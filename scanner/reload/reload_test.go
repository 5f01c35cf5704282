package reload

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
)

// Editors save by writing a temp file and renaming it over the rule file;
// the reloader must see that, debounce it, and report errors with file and
// line while the caller keeps the old rules.
func TestWatcherRenameSaveAndErrors(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.toml")
	terms := filepath.Join(dir, "customers.txt")
	os.WriteFile(rulesFile, []byte("v1"), 0o600)
	os.WriteFile(terms, []byte("Walmart"), 0o600)
	events := make(chan event.Event, 16)
	loads := 0
	r := &Watcher{
		Paths: []string{rulesFile},
		Load: func() (int, []string, error) {
			loads++
			b, _ := os.ReadFile(rulesFile)
			if strings.Contains(string(b), "broken") {
				return 0, nil, rules.ErrorList{{File: rulesFile, Line: 7, Rule: "customers", Msg: "bad regex"}}
			}
			return len(b), []string{rulesFile, terms}, nil
		},
		Emit:     func(e event.Event) { events <- e },
		Debounce: 20 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer r.Stop()
	if err := r.Start(ctx, []string{rulesFile, terms}); err != nil {
		t.Fatal(err)
	}
	save := func(path, content string) {
		tmp := filepath.Join(dir, ".tmp-save")
		os.WriteFile(tmp, []byte(content), 0o600)
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	next := func() event.Event {
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event after a rule file change")
		}
		return event.Event{}
	}
	save(rulesFile, "v2-longer")
	if e := next(); e.Event != event.Reload || e.Rules != len("v2-longer") {
		t.Fatalf("after save: %+v", e)
	}
	save(terms, "Walmart\nGlobex") // a terms file counts too
	if e := next(); e.Event != event.Reload {
		t.Fatalf("after terms save: %+v", e)
	}
	save(rulesFile, "broken")
	e := next()
	if e.Event != event.Error || e.File != rulesFile || e.Line != 7 || !strings.Contains(e.Message, "bad regex") || !strings.Contains(e.Message, "keeping the previous rules") {
		t.Fatalf("after broken save: %+v", e)
	}
	os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("x"), 0o600)
	save(rulesFile, "v3")
	if e := next(); e.Event != event.Reload || e.Rules != 2 {
		t.Fatalf("after fix: %+v (unrelated files must not reload)", e)
	}
}

func TestErrorEventPlainError(t *testing.T) {
	e := ErrorEvent(errors.New("open x.toml: no such file"))
	if e.Event != event.Error || e.File != "" || !strings.HasPrefix(e.Message, "open x.toml") {
		t.Fatalf("%+v", e)
	}
}
