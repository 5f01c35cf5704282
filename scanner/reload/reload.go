// Package reload rebuilds the rule set when a rule file (or a terms file a
// rule reads) changes, while the agent runs.
package reload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
)

// Watcher watches rule files and the terms files they read and rebuilds the
// rule set when one changes. It watches parent directories, not the files:
// editors save by writing a new file and renaming it over the old one, which
// a watch on the old inode would miss.
type Watcher struct {
	// Paths are the rule files and directories as given on the command line.
	Paths []string
	// Load builds a complete new rule set and swaps it in (atomically) only
	// if it is valid, returning the rule count and every file it read.
	Load func() (n int, sources []string, err error)
	// Emit receives reload and error events.
	Emit func(event.Event)
	// Debounce waits for a burst of writes (save = truncate + write + rename)
	// to end before reloading; default 200ms.
	Debounce time.Duration

	mu      sync.Mutex
	sources map[string]bool
	dirs    map[string]bool // directories given in Paths (any .toml under them counts)
	w       *fsnotify.Watcher
	watched map[string]bool

	stop context.CancelFunc
	done chan struct{}
}

// Start watches the initial sources (those of the rule set already loaded)
// and reloads on changes until ctx is done or Stop is called. It returns
// once watching.
func (r *Watcher) Start(ctx context.Context, sources []string) error {
	if r.Debounce <= 0 {
		r.Debounce = 200 * time.Millisecond
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch rule files: %w", err)
	}
	r.w = w
	r.watched = map[string]bool{}
	r.dirs = map[string]bool{}
	for _, p := range r.Paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			r.dirs[abs] = true
		}
	}
	if err := r.setSources(sources); err != nil {
		w.Close()
		return err
	}
	ctx, r.stop = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		r.loop(ctx)
	}()
	return nil
}

// Stop ends watching and waits until a reload in flight has finished and
// emitted, so nothing is emitted after Stop returns (the sinks may be
// closing). It may be called more than once, and without Start.
func (r *Watcher) Stop() {
	if r.stop == nil {
		return
	}
	r.stop()
	<-r.done
}

// setSources records what to react to and adds watches for new directories.
func (r *Watcher) setSources(sources []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sources = map[string]bool{}
	want := map[string]bool{}
	for _, s := range append(append([]string(nil), sources...), r.Paths...) {
		abs, err := filepath.Abs(s)
		if err != nil {
			continue
		}
		r.sources[abs] = true
		want[filepath.Dir(abs)] = true
	}
	for d := range r.dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				want[p] = true
			}
			return nil
		})
	}
	var first error
	for d := range want {
		if r.watched[d] {
			continue
		}
		if err := r.w.Add(d); err != nil {
			if first == nil {
				first = fmt.Errorf("watch %s: %w", d, err)
			}
			continue
		}
		r.watched[d] = true
	}
	return first
}

// relevant reports whether a change to name can change the rule set.
func (r *Watcher) relevant(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sources[name] {
		return true
	}
	for d := range r.dirs {
		if strings.HasPrefix(name, d+string(filepath.Separator)) && strings.HasSuffix(name, ".toml") {
			return true
		}
	}
	return false
}

func (r *Watcher) loop(ctx context.Context) {
	defer r.w.Close()
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case ev, ok := <-r.w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod || !r.relevant(filepath.Clean(ev.Name)) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(r.Debounce)
			} else {
				timer.Reset(r.Debounce)
			}
			fire = timer.C
		case err, ok := <-r.w.Errors:
			if !ok {
				return
			}
			r.Emit(event.Event{Event: event.Error, Time: time.Now(), Message: "watching rule files: " + err.Error()})
		case <-fire:
			fire = nil
			r.reload()
		}
	}
}

func (r *Watcher) reload() {
	n, sources, err := r.Load()
	if err != nil {
		r.Emit(ErrorEvent(err))
		return
	}
	if err := r.setSources(sources); err != nil {
		r.Emit(event.Event{Event: event.Error, Time: time.Now(), Message: err.Error()})
	}
	r.Emit(event.Event{Event: event.Reload, Time: time.Now(), Rules: n, Message: fmt.Sprintf("%d rules loaded", n)})
}

// ErrorEvent describes a rule loading error, with file and line of the
// first problem when the rules package knows them, and says the previous
// rules stay in force.
func ErrorEvent(err error) event.Event {
	e := event.Event{Event: event.Error, Time: time.Now()}
	var list rules.ErrorList
	var one *rules.Error
	switch {
	case errors.As(err, &list) && len(list) > 0:
		one = list[0]
	case errors.As(err, &one):
	}
	if one != nil {
		e.File, e.Line = one.File, one.Line
		e.Message = one.Msg
		if one.Rule != "" {
			e.Message = "rule " + one.Rule + ": " + e.Message
		}
		if len(list) > 1 {
			e.Message += fmt.Sprintf(" (and %d more problems)", len(list)-1)
		}
	} else {
		e.Message = err.Error()
	}
	e.Message += "; keeping the previous rules"
	return e
}
