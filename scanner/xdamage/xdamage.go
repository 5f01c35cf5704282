// Package xdamage tells the live agent when anything on an X11 screen was
// drawn, using the DAMAGE extension on the root window (as x11vnc does), so
// a static screen costs no captures at all: a 1080p capture and comparison
// costs ~7 ms of CPU, which at 4 frames a second alone would break the 2%
// budget for a static screen.
package xdamage

import (
	"fmt"
	"image"
	"io"
	"log"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"

	"github.com/demoguard/demoguard/scanner/internal/backoff"
	"github.com/demoguard/demoguard/scanner/internal/xext"
)

func init() {
	// Without an .Xauthority xgb logs on every connection.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// Watcher reports damage to the whole screen (all windows) since the last
// Take. If its connection breaks, it reports "changed" on every Take, so the
// agent falls back to comparing every frame instead of going blind.
type Watcher struct {
	display string
	mu      sync.Mutex // guards c and dmg across reconnects
	c       *xgb.Conn
	dmg     damage.Damage
	dirty   atomic.Bool
	broken  atomic.Bool
	closed  atomic.Bool
	ch      chan struct{}
	once    sync.Once

	rectMu sync.Mutex
	rects  []image.Rectangle // drawn since the last Take, root coordinates
}

// maxRects bounds the rectangles kept between two Takes; beyond it they
// are folded into their bounding box.
const maxRects = 64

// Open connects to display ("" = $DISPLAY) and starts tracking damage.
func Open(display string) (*Watcher, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("xdamage: connect: %w", err)
	}
	w := &Watcher{display: display, ch: make(chan struct{}, 1)}
	dmg, err := setup(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	w.c, w.dmg = c, dmg
	w.dirty.Store(true) // the first frame is always read
	go w.loop(c)
	return w, nil
}

func setup(c *xgb.Conn) (damage.Damage, error) {
	// Through xext: xgb's Init also writes tables that the capturer's
	// connection reads when it gets an event, so a reconnect here must
	// only record opcodes.
	if err := xext.Init(c, "XFIXES", xfixes.Init); err != nil {
		return 0, fmt.Errorf("xdamage: XFIXES extension: %w", err)
	}
	if err := xext.Init(c, "DAMAGE", damage.Init); err != nil {
		return 0, fmt.Errorf("xdamage: DAMAGE extension: %w", err)
	}
	if _, err := xfixes.QueryVersion(c, 5, 0).Reply(); err != nil {
		return 0, fmt.Errorf("xdamage: XFIXES version: %w", err)
	}
	if _, err := damage.QueryVersion(c, 1, 1).Reply(); err != nil {
		return 0, fmt.Errorf("xdamage: DAMAGE version: %w", err)
	}
	id, err := damage.NewDamageId(c)
	if err != nil {
		return 0, fmt.Errorf("xdamage: %w", err)
	}
	root := xproto.Setup(c).DefaultScreen(c).Root
	// RawRectangles: an event per drawing, with where it was drawn, so the
	// agent can tell a notification from the video beside it. Take
	// subtracts the damage.
	if err := damage.CreateChecked(c, id, xproto.Drawable(root), damage.ReportLevelRawRectangles).Check(); err != nil {
		return 0, fmt.Errorf("xdamage: create: %w", err)
	}
	return id, nil
}

func (w *Watcher) loop(c *xgb.Conn) {
	for {
		ev, err := c.WaitForEvent()
		if ev == nil && err == nil {
			w.broken.Store(true) // connection closed: compare every frame
			w.signal()
			if !w.closed.Load() {
				go w.reconnect()
			}
			return
		}
		if ne, ok := ev.(damage.NotifyEvent); ok {
			a := ne.Area
			w.addRect(image.Rect(int(a.X), int(a.Y), int(a.X)+int(a.Width), int(a.Y)+int(a.Height)))
			w.dirty.Store(true)
			w.signal()
		}
	}
}

// reconnect retries with backoff after the X server went away (the capturer
// reconnects too); until then Take reports changes on every frame.
func (w *Watcher) reconnect() {
	bo := backoff.Backoff{Min: 500 * time.Millisecond, Max: 10 * time.Second}
	for !w.closed.Load() {
		time.Sleep(bo.Next())
		c, err := xgb.NewConnDisplay(w.display)
		if err != nil {
			continue
		}
		dmg, err := setup(c)
		if err != nil {
			c.Close()
			continue
		}
		w.mu.Lock()
		if w.closed.Load() {
			w.mu.Unlock()
			c.Close()
			return
		}
		w.c, w.dmg = c, dmg
		w.mu.Unlock()
		w.dirty.Store(true)
		w.broken.Store(false)
		go w.loop(c)
		return
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

func (w *Watcher) addRect(r image.Rectangle) {
	if r.Empty() {
		return
	}
	w.rectMu.Lock()
	defer w.rectMu.Unlock()
	// Only exact repeats are folded: a notification drawn over a video
	// is a rectangle of its own inside the video's.
	if slices.Contains(w.rects, r) {
		return
	}
	if len(w.rects) >= maxRects {
		u := r
		for _, q := range w.rects {
			u = u.Union(q)
		}
		w.rects = append(w.rects[:0], u)
		return
	}
	w.rects = append(w.rects, r)
}

// Damaged returns where the screen was drawn since the last Take (root
// coordinates; nil when not known, e.g. while reconnecting). It does not
// reset anything.
func (w *Watcher) Damaged() []image.Rectangle {
	if w.broken.Load() {
		return nil
	}
	w.rectMu.Lock()
	defer w.rectMu.Unlock()
	return slices.Clone(w.rects)
}

// Take reports whether anything was drawn since the last Take and resets
// the damage before the caller captures, so drawing during the capture is
// reported again.
func (w *Watcher) Take() bool {
	if w.broken.Load() {
		return true
	}
	w.rectMu.Lock()
	w.rects = w.rects[:0]
	w.rectMu.Unlock()
	if !w.dirty.Swap(false) {
		return false
	}
	w.mu.Lock()
	damage.Subtract(w.c, w.dmg, xfixes.Region(0), xfixes.Region(0))
	w.mu.Unlock()
	return true
}

// Close stops watching.
func (w *Watcher) Close() error {
	w.once.Do(func() {
		w.closed.Store(true)
		w.broken.Store(true)
		w.mu.Lock()
		w.c.Close()
		w.mu.Unlock()
	})
	return nil
}
