package reload

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
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

// Stop waits for a reload in flight and its event: after Stop nothing is
// emitted, so the outputs can close (a webhook closed under a late reload
// used to panic).
func TestWatcherStopJoinsReloadInFlight(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.toml")
	os.WriteFile(rulesFile, []byte("v1"), 0o600)
	loading, release := make(chan struct{}), make(chan struct{})
	var stopped atomic.Bool
	var late atomic.Int32
	emitted := make(chan event.Event, 4)
	r := &Watcher{
		Paths: []string{rulesFile},
		Load: func() (int, []string, error) {
			close(loading)
			<-release
			return 1, []string{rulesFile}, nil
		},
		Emit: func(e event.Event) {
			if stopped.Load() {
				late.Add(1)
			}
			emitted <- e
		},
		Debounce: time.Millisecond,
	}
	if err := r.Start(context.Background(), []string{rulesFile}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(rulesFile, []byte("v2"), 0o600)
	select {
	case <-loading:
	case <-time.After(10 * time.Second):
		t.Fatal("no reload after a change")
	}
	done := make(chan struct{})
	go func() { r.Stop(); stopped.Store(true); close(done) }()
	select {
	case <-done:
		t.Fatal("Stop returned while a reload was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-done
	if e := <-emitted; e.Event != event.Reload {
		t.Fatalf("event %+v, want the reload", e)
	}
	if late.Load() != 0 {
		t.Fatal("an event was emitted after Stop returned")
	}
	r.Stop() // twice is fine
}

// A rule file replaced by a FIFO (or a link to /dev/zero) must not wedge the
// reloader in open() or read(): the load fails at once with an error event,
// the old rules stay, and a later valid save loads as usual.
func TestWatcherSurvivesFIFOAndDevZero(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.toml")
	valid := "[[rules]]\nid = \"customers\"\nterms = [\"Walmart\"]\n"
	os.WriteFile(rulesFile, []byte(valid), 0o600)
	events := make(chan event.Event, 16)
	r := &Watcher{
		Paths: []string{rulesFile},
		Load: func() (int, []string, error) {
			rs, err := rules.LoadContext(context.Background(), rulesFile)
			if err != nil {
				return 0, nil, err
			}
			return len(rs.Rules()), rs.Sources(), nil
		},
		Emit:     func(e event.Event) { events <- e },
		Debounce: 20 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer r.Stop()
	if err := r.Start(ctx, []string{rulesFile}); err != nil {
		t.Fatal(err)
	}
	next := func(what string) event.Event {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatalf("no event after %s", what)
		}
		return event.Event{}
	}
	replace := func(make func(tmp string) error) {
		t.Helper()
		tmp := filepath.Join(dir, ".tmp-save")
		os.Remove(tmp)
		if err := make(tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, rulesFile); err != nil {
			t.Fatal(err)
		}
	}
	replace(func(tmp string) error { return syscall.Mkfifo(tmp, 0o600) })
	if e := next("a FIFO"); e.Event != event.Error || !strings.Contains(e.Message, "regular") {
		t.Fatalf("after a FIFO: %+v", e)
	}
	replace(func(tmp string) error { return os.Symlink("/dev/zero", tmp) })
	if e := next("a /dev/zero link"); e.Event != event.Error || !strings.Contains(e.Message, "regular") {
		t.Fatalf("after a /dev/zero link: %+v", e)
	}
	replace(func(tmp string) error { return os.WriteFile(tmp, []byte(valid), 0o600) })
	if e := next("a valid save"); e.Event != event.Reload || e.Rules != 1 {
		t.Fatalf("after a valid save: %+v", e)
	}
}
