// Package xdamage tells the live agent when anything on an X11 screen was
// drawn, using the DAMAGE extension on the root window (as x11vnc does), so
// a static screen costs no captures at all: a 1080p capture and comparison
// costs ~7 ms of CPU, which at 4 frames a second alone would break the 2%
// budget for a static screen.
package xdamage

import (
	"fmt"
	"io"
	"log"
	"sync"
	"sync/atomic"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"
)

func init() {
	// Without an .Xauthority xgb logs on every connection.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// Watcher reports damage to the whole screen (all windows) since the last
// Take. If its connection breaks, it reports "changed" on every Take, so the
// agent falls back to comparing every frame instead of going blind.
type Watcher struct {
	c      *xgb.Conn
	dmg    damage.Damage
	dirty  atomic.Bool
	broken atomic.Bool
	ch     chan struct{}
	once   sync.Once
}

// Open connects to display ("" = $DISPLAY) and starts tracking damage.
func Open(display string) (*Watcher, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("xdamage: connect: %w", err)
	}
	w := &Watcher{c: c, ch: make(chan struct{}, 1)}
	if err := w.init(); err != nil {
		c.Close()
		return nil, err
	}
	w.dirty.Store(true) // the first frame is always read
	go w.loop()
	return w, nil
}

func (w *Watcher) init() error {
	if err := xfixes.Init(w.c); err != nil {
		return fmt.Errorf("xdamage: XFIXES extension: %w", err)
	}
	if _, err := xfixes.QueryVersion(w.c, 5, 0).Reply(); err != nil {
		return fmt.Errorf("xdamage: XFIXES version: %w", err)
	}
	if err := damage.Init(w.c); err != nil {
		return fmt.Errorf("xdamage: DAMAGE extension: %w", err)
	}
	if _, err := damage.QueryVersion(w.c, 1, 1).Reply(); err != nil {
		return fmt.Errorf("xdamage: DAMAGE version: %w", err)
	}
	id, err := damage.NewDamageId(w.c)
	if err != nil {
		return fmt.Errorf("xdamage: %w", err)
	}
	root := xproto.Setup(w.c).DefaultScreen(w.c).Root
	// NonEmpty: one event when damage goes from none to some; Take
	// subtracts it so the next drawing raises the next event.
	if err := damage.CreateChecked(w.c, id, xproto.Drawable(root), damage.ReportLevelNonEmpty).Check(); err != nil {
		return fmt.Errorf("xdamage: create: %w", err)
	}
	w.dmg = id
	return nil
}

func (w *Watcher) loop() {
	for {
		ev, err := w.c.WaitForEvent()
		if ev == nil && err == nil {
			w.broken.Store(true) // connection closed
			w.signal()
			return
		}
		if _, ok := ev.(damage.NotifyEvent); ok {
			w.dirty.Store(true)
			w.signal()
		}
	}
}

func (w *Watcher) signal() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// Changed delivers a value when damage arrives (coalesced).
func (w *Watcher) Changed() <-chan struct{} { return w.ch }

// Take reports whether anything was drawn since the last Take and resets
// the damage before the caller captures, so drawing during the capture is
// reported again.
func (w *Watcher) Take() bool {
	if w.broken.Load() {
		return true
	}
	if !w.dirty.Swap(false) {
		return false
	}
	damage.Subtract(w.c, w.dmg, xfixes.Region(0), xfixes.Region(0))
	return true
}

// Close stops watching.
func (w *Watcher) Close() error {
	w.once.Do(func() {
		w.broken.Store(true)
		w.c.Close()
	})
	return nil
}
