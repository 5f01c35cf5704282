// Package agent is the live pipeline: capture → change detection → OCR
// (through the line cache, within the CPU budget, in lanes: see
// priority.go) → match →
// incidents → events. Capture, OCR and the rules come in through small
// interfaces so it is tested with fakes; cgo, X11 and child processes live
// in other packages.
package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/budget"
	"github.com/demoguard/demoguard/scanner/change"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/feed"
	"github.com/demoguard/demoguard/scanner/incident"
	"github.com/demoguard/demoguard/scanner/internal/geom"
	"github.com/demoguard/demoguard/scanner/internal/lineread"
	"github.com/demoguard/demoguard/scanner/internal/onscreen"
	"github.com/demoguard/demoguard/scanner/linecache"
)

// Display is one monitor; Bounds are in the virtual screen's coordinates
// (they may be negative for monitors left of or above the primary one).
type Display struct {
	Index  int
	Bounds image.Rectangle
}

// Capturer grabs displays. Capture returns a fresh image each call (the agent
// keeps the previous frame and pieces of it queued for OCR).
type Capturer interface {
	Displays() ([]Display, error)
	Capture(Display) (*image.RGBA, error)
}

// Recognizer reads text in regions of an image; lines come back in the
// image's coordinates.
type Recognizer interface {
	RecognizeRegions(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error)
}

// Matcher is what a rule set does for the agent (*rules.Ruleset). It must be
// comparable (a pointer): the agent re-matches when the value changes.
type Matcher interface {
	Match([]rules.Line) []rules.Finding
}

// Config configures an Agent. Zero values get the defaults noted.
type Config struct {
	Capturer   Capturer
	Recognizer Recognizer
	// Rules returns the rule set in force; it is called once per match so a
	// reload swaps whole rule sets between matches, never during one.
	Rules func() Matcher
	Sink  event.Sink

	Display  int           // -1: all displays
	Interval time.Duration // between frames; default 250ms
	MaxCPU   float64       // cores; default 0.5
	// Burst is the window MaxCPU is an average over (default DefaultBurst):
	// over any T seconds the agent uses at most MaxCPU×(T+Burst) of CPU.
	Burst          time.Duration
	Workers        int           // OCR worker processes, to charge OCR time; default 1
	MinConf        float64       // findings below are dropped
	Salt           []byte        // fingerprint salt; nil: random per process
	Grace          time.Duration // default max(2*Interval, 500ms)
	DisplayRefresh time.Duration // re-enumerate displays; default 2s
	CacheSize      int           // OCR cache entries; default 8192
	// Now is the clock for frame times (tests); default time.Now.
	Now func() time.Time
	// Changes, when set, says whether the screen was drawn on since the last
	// frame (X11 DAMAGE), so a static screen is not captured at all.
	Changes Changes
	// FullEvery forces a capture this often even without reported changes;
	// default 5s.
	FullEvery time.Duration
	// EventQueue bounds the events waiting for a slow Sink; beyond it the
	// oldest are dropped (and counted). Default event.DefaultQueue.
	EventQueue int
	// Feed, when set, is told about display FeedDisplay's frames, reads and
	// matches (the audience feed's delay line and compositor).
	Feed        FrameObserver
	FeedDisplay int
}

// FrameObserver follows the screen model of one display, by content: each
// changed frame with its changed regions and their pieces (keyed by
// pixels), the pieces whose text entered the model, and after each match
// the boxes of all findings. Called with the agent's lock held, in order;
// implementations copy what they keep and return quickly (*feed.Feed).
type FrameObserver interface {
	Frame(img *image.RGBA, at time.Time, regions []feed.Region)
	Read(keys []uint64)
	Matched(boxes []image.Rectangle, origin image.Point)
}

// Changes reports drawing on the screen: Take says whether anything was
// drawn since the last Take; Changed delivers when something is drawn.
type Changes interface {
	Take() bool
	Changed() <-chan struct{}
}

// Stats are counters for benchmarks and diagnostics.
type Stats struct {
	Frames, ChangedFrames   int
	Skipped                 int // frames not captured: no drawing reported
	Pieces, CacheHits       int
	OCRCalls, OCRPieces     int
	OCRTime                 time.Duration
	StaleDropped, OCRErrors int
	UrgentCalls             int   // OCR calls of the urgent lane (small new changes)
	HotJobs                 int   // reads queued for areas that keep changing
	EventsDropped           int64 // events dropped because an output fell behind
}

// Agent is the live pipeline: capture → change detection → OCR (cached,
// budgeted, in priority lanes) → match → incidents → sinks.
type Agent struct {
	cfg     Config
	cache   *linecache.Cache
	budget  *budget.Budget
	tracker *incident.Tracker

	mu       sync.Mutex
	displays map[int]*dispState
	queue    []*job // every lane's; ordered when taken (before)
	stats    Stats
	gen      uint64
	lastErr  map[string]time.Time // error class → when last reported
	inflight map[*image.RGBA]int  // frames of batches taken for OCR

	wake [lanes]chan struct{}
	// chargeMu serialises measuring the workers' CPU: both lanes charge.
	chargeMu sync.Mutex
	workers  budget.Workers
	// out delivers events off a.mu: sinks do blocking I/O (a terminal,
	// a pipe, an fsync), and capture, OCR and Stats must not wait for it.
	out *event.Dispatcher
}

type dispState struct {
	d       Display
	gen     uint64
	prev    *image.RGBA
	lines   []rules.Line // what is known to be on screen now
	pending map[*job]bool
	dirty   bool
	matcher Matcher
	found   []rules.Finding
	block   int
	spare   *image.RGBA // a frame buffer no one refers to any more
	heat    *heat
	damage  []damageRec // rectangles drawn lately (freshDamage)
	// since is when each piece waiting for OCR was first queued: content
	// re-queued because its area changed again (a log scrolled on) keeps
	// its age, so an area that keeps changing is not pushed back forever.
	since map[uint64]time.Time
	// waiting: pieces on screen now whose pixels a queued read is reading
	// (from an earlier frame, where they were elsewhere): placed here when
	// it is done.
	waiting map[uint64]waitingPiece
}

// job is one rectangle of a frame waiting for (or in) OCR: a run of pieces
// the cache did not know.
type job struct {
	disp   int
	gen    uint64
	img    *image.RGBA
	rect   image.Rectangle
	pieces []piece
	at     time.Time
	block  int
	stale  bool
	class  class
	score  float64   // likely, the highest of its pieces (classBig only)
	first  time.Time // when its oldest piece was first queued
	quick  bool      // a small read in a hot area, for the feed (urgent lane)
	// trimmed: some of the run's pieces changed after it was queued and
	// were taken out; what OCR reads there is dropped.
	trimmed bool
	// moved: pieces whose pixels moved since (a scrolled line): read for
	// the cache and placed where they are now, not where they were.
	moved map[uint64]bool
	// taken: in a batch being read (its frame is counted in a.inflight).
	taken bool
}

// touchedBy reports whether a change r reaches the piece's ink. A piece's
// rectangle has 2 px of margin around its ink (change.Lines), and a job's
// OCR rectangle more: a change that reaches only those (the edge of a
// terminal drawn right beside a cell) leaves the piece as it was read.
func (p piece) touchedBy(r image.Rectangle) bool { return p.rect.Inset(2).Overlaps(r) }

// lane is the OCR loop that reads j.
func (j *job) lane() lane {
	if j.quick {
		return laneUrgent
	}
	return j.class.lane()
}

// piece is a text line (or cell) of a region: the unit of the OCR cache.
type piece struct {
	rect image.Rectangle
	key  uint64
}

// ocrMargin is the context given around a run of pieces for OCR. Runs are
// cut by lineread.Plan (at most 1/lineread.RunShare of the display each).
const ocrMargin = lineread.Margin

func runBox(run []piece) image.Rectangle {
	var u image.Rectangle
	for _, p := range run {
		u = u.Union(p.rect)
	}
	return u
}

// Batch bounds: a big read is taken in chunks so that newer changes and
// likelier lines are read next, not after the whole screen. They are
// lineread's, which scan and recordings read with: the same pixels must be
// read the same way everywhere.
const (
	maxBatchPieces = lineread.MaxBatchJobs
	batchShare     = lineread.BatchShare // a bulk batch is at most 1/batchShare of the frame's area
)

// New makes an agent.
func New(cfg Config) *Agent {
	if cfg.Interval <= 0 {
		cfg.Interval = 250 * time.Millisecond
	}
	if cfg.MaxCPU <= 0 {
		cfg.MaxCPU = 0.5
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Grace <= 0 {
		cfg.Grace = max(2*cfg.Interval, 500*time.Millisecond)
	}
	if cfg.DisplayRefresh <= 0 {
		cfg.DisplayRefresh = 2 * time.Second
	}
	if cfg.FullEvery <= 0 {
		cfg.FullEvery = 5 * time.Second
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 8192
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sink == nil {
		cfg.Sink = discard{}
	}
	a := &Agent{
		cfg:   cfg,
		cache: linecache.New(cfg.CacheSize),
		// The budget is an average over Burst: a new dense window may use
		// the workers at full speed for up to MaxCPU×Burst of CPU.
		budget:   budget.New(cfg.MaxCPU, time.Duration(cfg.MaxCPU*float64(cfg.Burst)), nil),
		tracker:  incident.New(cfg.Grace, cfg.MinConf, cfg.Salt),
		displays: map[int]*dispState{},
		lastErr:  map[string]time.Time{},
		inflight: map[*image.RGBA]int{},
		out:      event.NewDispatcher(cfg.Sink, cfg.EventQueue, cfg.Now),
	}
	for l := range a.wake {
		a.wake[l] = make(chan struct{}, 1)
	}
	return a
}

// Stats returns a snapshot of the counters.
func (a *Agent) Stats() Stats {
	a.mu.Lock()
	st := a.stats
	a.mu.Unlock()
	st.EventsDropped = a.out.Dropped()
	return st
}

// Pending returns the number of pieces waiting for or in OCR.
func (a *Agent) Pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, ds := range a.displays {
		n += len(ds.pending)
	}
	return n
}

// Run watches until ctx is cancelled, then closes open incidents with clear
// events, delivers what is queued for the sink and returns nil. It fails at
// once if the displays cannot be listed.
func (a *Agent) Run(ctx context.Context) error {
	dctx, stopOut := context.WithCancel(context.Background())
	outDone := make(chan struct{})
	go func() { defer close(outDone); a.out.Run(dctx) }()
	defer func() {
		stopOut()
		<-outDone
		a.out.Flush()
	}()
	if err := a.refreshDisplays(true); err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(1 + int(lanes))
	go func() { defer wg.Done(); a.captureLoop(ctx) }()
	for l := range lanes {
		go func() { defer wg.Done(); a.ocrLoop(ctx, l) }()
	}
	wg.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.tracker.CloseAll(a.cfg.Now()) {
		a.out.Emit(e)
	}
	return nil
}

func (a *Agent) captureLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.Interval)
	defer t.Stop()
	var changed <-chan struct{}
	if a.cfg.Changes != nil {
		changed = a.cfg.Changes.Changed()
	}
	lastRefresh, lastFull, lastCap, lastEarly := time.Now(), time.Now(), time.Time{}, time.Time{}
	// The budget is charged with this loop's own thread (capture, change
	// detection, matching), not the whole process: a rule reload parsing a
	// big file, the presenter page or the audience feed must not throttle
	// detection (a slow reload once held back 13 alerts in a row).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpuPrev, _ := budget.ThreadCPU()
	for {
		if time.Since(lastRefresh) >= a.cfg.DisplayRefresh {
			lastRefresh = time.Now()
			if err := a.refreshDisplays(false); err != nil {
				a.reportErr(err)
			}
		}
		// Without change notification every frame is compared; with it only
		// frames after drawing, plus one every FullEvery in case a kind of
		// drawing (video overlays, GL) is not reported.
		dirty := a.cfg.Changes == nil || time.Since(lastFull) >= a.cfg.FullEvery
		if dirty {
			lastFull = time.Now()
		}
		drawn := false
		var damaged []image.Rectangle
		if dm, ok := a.cfg.Changes.(Damager); ok {
			damaged = dm.Damaged() // before Take resets it
		}
		if a.cfg.Changes != nil && a.cfg.Changes.Take() {
			dirty, drawn = true, true
		}
		a.mu.Lock()
		ds := make([]*dispState, 0, len(a.displays))
		for _, d := range a.displays {
			ds = append(ds, d)
		}
		a.mu.Unlock()
		for _, d := range ds {
			if ctx.Err() != nil {
				return
			}
			if dirty || d.prev == nil {
				// Only frames taken because something was drawn hold the
				// next one back by an interval: the periodic full compare
				// must not delay reading a notification that appears just
				// after it (measured: ~1 alert in 8 was ~170 ms late).
				if drawn {
					lastCap = time.Now()
				}
				a.frame(d, damaged)
			} else {
				a.unchanged(d)
			}
		}
		cpu, _ := budget.ThreadCPU()
		a.budget.Charge(cpu - cpuPrev)
		cpuPrev = cpu
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
			// Read a change as soon as it is drawn, but not more often than
			// the interval, and after a moment for the drawing to finish (a
			// window is mapped, then painted). Drawing in a calm area (a
			// notification beside a video or a scrolling log, which keep
			// the captures at the interval) is captured early, at most once
			// an interval.
			deadline := lastCap.Add(a.cfg.Interval)
			if soon := time.Now().Add(settle); deadline.Before(soon) {
				deadline = soon
			}
			for {
				if time.Until(deadline) > settle && time.Since(lastEarly) >= a.cfg.Interval && a.drawnCalm() {
					deadline, lastEarly = time.Now().Add(settle), time.Now()
				}
				timer := time.NewTimer(time.Until(deadline))
				select {
				case <-ctx.Done():
					timer.Stop()
					return
				case <-changed:
					timer.Stop()
					continue
				case <-timer.C:
				}
				break
			}
			t.Reset(a.cfg.Interval)
		}
		// Far over budget (a tiny --max-cpu): stretch the frame interval too.
		if w := a.budget.Wait(); w > 2*time.Second {
			select {
			case <-ctx.Done():
				return
			case <-time.After(min(w-2*time.Second, 2*time.Second)):
			}
		}
	}
}

// Damager is implemented by Changes that also say where the screen was
// drawn since the last Take (root coordinates; *xdamage.Watcher).
type Damager interface {
	Damaged() []image.Rectangle
}

// drawnCalm reports whether something was drawn in an area of a watched
// display that is not hot (not changing all the time), or a window-sized
// rectangle not drawn lately (a notification over a video).
func (a *Agent) drawnCalm() bool {
	dm, ok := a.cfg.Changes.(Damager)
	if !ok {
		return false
	}
	rects := dm.Damaged()
	if len(rects) == 0 {
		return false
	}
	now := a.cfg.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ds := range a.displays {
		for _, r := range rects {
			r = r.Intersect(ds.d.Bounds)
			if r.Dx() < minFresh || r.Dy() < minFresh {
				continue // a caret, a cursor, a spinner's dot
			}
			if !ds.heat.hot(r.Sub(ds.d.Bounds.Min), now) {
				return true
			}
			if r.Dx() >= minWindow.X && r.Dy() >= minWindow.Y && !ds.drewLately(r.Sub(ds.d.Bounds.Min), now) {
				return true
			}
		}
	}
	return false
}

// minFresh is the smallest drawing (each side, pixels) captured early.
const minFresh = 8

// observes reports whether the feed follows display ds.
func (a *Agent) observes(ds *dispState) bool {
	return a.cfg.Feed != nil && ds.d.Index == a.cfg.FeedDisplay
}

// settle is how long after a change notification the frame is taken.
const settle = 15 * time.Millisecond

// unchanged records a frame time for a display known not to have changed:
// what was on it is still on it (last_seen moves on, grace periods run).
func (a *Agent) unchanged(ds *dispState) {
	at := a.cfg.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.displays[ds.d.Index] != ds {
		return
	}
	a.stats.Frames++
	a.stats.Skipped++
	a.observe(ds, at)
}

// frame captures one display, finds what changed and queues it.
func (a *Agent) frame(ds *dispState, damaged []image.Rectangle) {
	at := a.cfg.Now()
	a.mu.Lock()
	spare := ds.spare
	ds.spare = nil
	a.mu.Unlock()
	var img *image.RGBA
	var err error
	if ic, ok := a.cfg.Capturer.(intoCapturer); ok && spare != nil {
		img, err = ic.CaptureInto(ds.d, spare)
	} else {
		img, err = a.cfg.Capturer.Capture(ds.d)
	}
	if err != nil {
		a.reportErr(err) // the capturer says which display and what failed
		return
	}
	img = reorigin(img)
	regions := change.Regions(ds.prev, img)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.displays[ds.d.Index] != ds {
		return // removed or reset while capturing
	}
	a.stats.Frames++
	if len(regions) == 0 {
		ds.spare = img // same pixels as prev: capture into it next time
	} else {
		a.stats.ChangedFrames++
		a.apply(ds, img, regions, at, ds.freshDamage(damaged, at))
		old := ds.prev
		ds.prev = img
		if old != nil && !a.referenced(ds, old) {
			ds.spare = old
		}
	}
	a.observe(ds, at)
}

// intoCapturer can capture into a given image, saving an 8 MB allocation
// (and its garbage collection) per 1080p frame.
type intoCapturer interface {
	CaptureInto(Display, *image.RGBA) (*image.RGBA, error)
}

// referenced reports whether OCR still needs img: a queued job or a batch
// being read points into it, so it must not be captured into. Called with
// a.mu held.
func (a *Agent) referenced(ds *dispState, img *image.RGBA) bool {
	if a.inflight[img] > 0 {
		return true
	}
	for j := range ds.pending {
		if j.img == img {
			return true
		}
	}
	return false
}

// apply updates the screen model for changed regions: words there are gone,
// queued work there is stale, and the new content is read from the cache or
// queued ahead of older work. Called with a.mu held.
//
// drawn are rectangles first drawn since the last frame (X11 DAMAGE, display
// coordinates, see freshDamage): one inside an area that keeps changing is
// read on its own, in the urgent lane — a notification over a video.
func (a *Agent) apply(ds *dispState, img *image.RGBA, regions []image.Rectangle, at time.Time, drawn []image.Rectangle) {
	for _, r := range regions {
		ds.heat.mark(r, at)
	}
	// A word or a queued piece cut by the change is read again whole: when
	// ",000" is deleted from "$2,500,000", the "$2,500" left must be re-read.
	for i, r := range regions {
		for _, l := range ds.lines {
			if !geom.Rect(l.Box).Overlaps(r) {
				continue
			}
			for _, w := range l.Words {
				if wr := geom.Rect(w.Box); wr.Overlaps(r) {
					regions[i] = regions[i].Union(wr)
				}
			}
		}
		for j := range ds.pending {
			for _, p := range j.pieces {
				if p.touchedBy(r) {
					regions[i] = regions[i].Union(p.rect)
				}
			}
		}
		regions[i] = regions[i].Intersect(img.Rect)
	}
	regions = geom.Merge(regions, 0)
	for _, r := range regions {
		// Lines whose pixels did not change stay known, though their area
		// changed around them: a notification over a playing video.
		var kept []rules.Line
		if ds.prev != nil {
			ds.lines, kept = keepUnchanged(ds.lines, r, ds.prev, img)
		}
		ds.lines = append(onscreen.RemoveIn(ds.lines, r), kept...)
	}
	// Queued reads the changes reached are settled once the new pieces are
	// known (see settle); new jobs are not theirs to settle.
	for k, w := range ds.waiting {
		if geom.OverlapsAny(w.rect, regions) {
			delete(ds.waiting, k) // changed again: planned anew below
		}
	}
	queued := make([]*job, 0, len(ds.pending))
	for j := range ds.pending {
		queued = append(queued, j)
	}
	seen := map[uint64]bool{} // keys of the pieces in the changed regions now
	queuedKeys := map[uint64]bool{}
	for _, j := range queued {
		for _, p := range j.pieces {
			queuedKeys[p.key] = true
		}
	}
	var fresh []*job
	var observed []feed.Region
	if len(ds.since) > maxSince {
		for k, t := range ds.since {
			if at.Sub(t) > time.Minute {
				delete(ds.since, k) // scrolled away before it was read
			}
		}
	}
	// A change is small or large by the cluster it belongs to: a page of
	// text scrolled on one background changes line by line, and those
	// lines together are a large change, while a notification far from
	// them is a small one.
	clusters := geom.Merge(slices.Clone(regions), img.Rect.Dy()/clusterShare)
	for _, r := range regions {
		ds.block++
		cl := classBig
		switch {
		case ds.heat.hot(r, at):
			cl = classHot
		case geom.Area(clusterOf(clusters, r))*urgentShare <= geom.Area(img.Rect):
			cl = classNew
		}
		var fr *feed.Region
		if a.observes(ds) {
			observed = append(observed, feed.Region{Rect: r})
			fr = &observed[len(observed)-1]
		}
		// Pieces (text lines) are the cache's unit; what goes to OCR is each
		// run of consecutive pieces the cache does not know, with a margin
		// (lineread.Plan: scan and recordings cut the same way).
		for _, lr := range lineread.Plan(img, r, func(p lineread.Piece) bool {
			a.stats.Pieces++
			seen[p.Key] = true
			lines, ok := a.cache.Get(p.Key, p.Rect.Min)
			if fr != nil {
				fr.Pieces = append(fr.Pieces, feed.Piece{Rect: p.Rect, Key: p.Key, Read: ok, Cut: change.Cut(ds.prev, img, r, p.Rect)})
			}
			if ok {
				a.stats.CacheHits++
				ds.lines = onscreen.Replace(ds.lines, onscreen.InBlock(lines, ds.block))
				return true
			}
			// The same pixels are being read already (a line that moved
			// on before its read finished): wait for that read, placed
			// here (see read), instead of queuing it again on every frame.
			if queuedKeys[p.Key] && len(ds.waiting) < maxWaiting {
				ds.waiting[p.Key] = waitingPiece{p.Rect, ds.block}
				return true
			}
			return false
		}) {
			run := make([]piece, len(lr.Pieces))
			for i, p := range lr.Pieces {
				run[i] = piece{rect: p.Rect, key: p.Key}
			}
			j := &job{disp: ds.d.Index, gen: ds.gen, img: img, rect: lr.Rect,
				pieces: run, at: at, block: ds.block, class: cl, first: at}
			for _, p := range run {
				if t, ok := ds.since[p.key]; ok && t.Before(j.first) {
					j.first = t
				} else if !ok {
					ds.since[p.key] = at
				}
				if cl == classBig {
					j.score = max(j.score, lineread.Likely(img, p.rect))
				}
			}
			if cl == classHot {
				a.stats.HotJobs++
				// The audience feed shows a line only once it is read: the
				// few new lines of an area that keeps changing (a log's
				// newest line, the line being typed) are read at once, in
				// the urgent lane, instead of once every hotAge. A large
				// hot read (a video) still waits.
				j.quick = a.observes(ds) && geom.Area(lr.Rect)*quickShare <= geom.Area(img.Rect)
			}
			ds.pending[j] = true
			fresh = append(fresh, j)
		}
		if cl == classHot {
			fresh = append(fresh, a.drawnIn(ds, img, r, drawn, at)...)
		}
	}
	a.settle(ds, queued, regions, seen)
	ds.dirty = true
	if a.observes(ds) {
		a.cfg.Feed.Frame(img, at, observed)
	}
	if len(fresh) > 0 {
		q := make([]*job, 0, len(fresh)+len(a.queue))
		for _, j := range a.queue {
			if !j.stale {
				q = append(q, j)
			}
		}
		a.queue = append(q, fresh...)
		for _, j := range fresh {
			select {
			case a.wake[j.lane()] <- struct{}{}:
			default:
			}
		}
	}
}

// waitingPiece is where a piece waiting for another read's result is now.
type waitingPiece struct {
	rect  image.Rectangle
	block int
}

// maxWaiting bounds a display's waiting pieces: beyond it, pieces are
// queued for a read of their own.
const maxWaiting = 4096

// settle updates the queued reads that the changed regions reach. A piece
// the change reached whose pixels are still on screen elsewhere in the
// changed regions (seen: a line that scrolled) stays in its read: reading
// it from its own frame gives its text to the line cache, and the read
// places it where it is now (see resolve) — otherwise a log that scrolls
// faster than a line is read would never be read at all. Other reached
// pieces are taken out (read again with the change); the rest of the run
// is still read from its own frame (a run that reaches into a video would
// otherwise never be read). A run left with nothing is stale. Called with
// a.mu held.
func (a *Agent) settle(ds *dispState, queued []*job, regions []image.Rectangle, seen map[uint64]bool) {
	for _, j := range queued {
		keep := j.pieces[:0:0]
		for _, p := range j.pieces {
			reached := false
			for _, r := range regions {
				if p.touchedBy(r) {
					reached = true
					break
				}
			}
			switch {
			case !reached:
				keep = append(keep, p)
			case seen[p.key]:
				keep = append(keep, p)
				if j.moved == nil {
					j.moved = map[uint64]bool{}
				}
				j.moved[p.key] = true
			}
		}
		switch {
		case len(keep) == 0:
			j.stale = true
			delete(ds.pending, j)
			a.stats.StaleDropped++
			continue
		case len(keep) < len(j.pieces):
			j.pieces, j.trimmed = keep, true
		}
		if (j.trimmed || len(j.moved) > 0) && !j.taken {
			j.detach()
		}
	}
}

// detach gives a queued read its own copy of the pixels it reads, so that
// the frame it was cut from can be reused: a read kept across frames (the
// rest of a run, a line that scrolled) would otherwise hold a whole frame
// (8 MB at 1080p) each, and a screen that keeps moving would pile them up.
// Not for a read under way (its frame is counted in a.inflight).
func (j *job) detach() {
	if j.img.Rect == j.rect {
		return
	}
	c := image.NewRGBA(j.rect)
	for y := j.rect.Min.Y; y < j.rect.Max.Y; y++ {
		copy(c.Pix[c.PixOffset(j.rect.Min.X, y):c.PixOffset(j.rect.Max.X, y)], j.img.Pix[j.img.PixOffset(j.rect.Min.X, y):])
	}
	j.img = c
}

// resolve places the lines just read for keys wherever the same pixels
// wait in another queued read (content that moved, or is on screen
// twice), takes those pieces out of their reads, and returns the keys so
// placed. Called with a.mu held.
func (a *Agent) resolve(ds *dispState, keys map[uint64]bool) []uint64 {
	var placed []uint64
	for k := range keys {
		w, ok := ds.waiting[k]
		if !ok {
			continue
		}
		delete(ds.waiting, k)
		if lines, ok := a.cache.Get(k, w.rect.Min); ok {
			ds.lines = onscreen.Replace(ds.lines, onscreen.InBlock(lines, w.block))
			placed = append(placed, k)
		} else if ds.prev != nil {
			// The read could not be kept for this piece (a line spanning
			// two pieces): read it where it is now.
			j := &job{disp: ds.d.Index, gen: ds.gen, img: ds.prev, rect: w.rect.Inset(-ocrMargin).Intersect(ds.prev.Rect),
				pieces: []piece{{rect: w.rect, key: k}}, at: a.cfg.Now(), block: w.block, class: classBig, first: a.cfg.Now()}
			ds.pending[j] = true
			a.queue = append(a.queue, j)
			select {
			case a.wake[j.lane()] <- struct{}{}:
			default:
			}
		}
	}
	for j := range ds.pending {
		keep := j.pieces[:0:0]
		for _, p := range j.pieces {
			if !keys[p.key] || j.moved[p.key] {
				keep = append(keep, p)
				continue
			}
			lines, ok := a.cache.Get(p.key, p.rect.Min)
			if !ok {
				keep = append(keep, p)
				continue
			}
			ds.lines = onscreen.Replace(ds.lines, onscreen.InBlock(lines, j.block))
			placed = append(placed, p.key)
		}
		switch {
		case len(keep) == 0:
			j.stale = true
			delete(ds.pending, j)
		case len(keep) < len(j.pieces):
			j.pieces, j.trimmed = keep, true
		}
	}
	return placed
}

// Changed regions closer than 1/clusterShare of the display's height (67 px
// at 1080p, 135 px on a 4K screen, whose text is usually scaled 2×) are one
// change: wider than the gap between the lines or paragraphs of a window.
// A notification drawn at the same time right beside a changing window
// joins its change (read in the bulk lane, still before areas that keep
// changing).
const clusterShare = 16

func clusterOf(clusters []image.Rectangle, r image.Rectangle) image.Rectangle {
	for _, c := range clusters {
		if r.In(c) {
			return c
		}
	}
	return r
}

// drawnIn queues, as urgent jobs, the text lines of rectangles first drawn
// inside the hot region r (a notification over a video: the video's area
// is read late and whole, the card's lines now). Called with a.mu held.
func (a *Agent) drawnIn(ds *dispState, img *image.RGBA, r image.Rectangle, drawn []image.Rectangle, at time.Time) []*job {
	var jobs []*job
	for _, d := range drawn {
		d = d.Intersect(r)
		if d.Dx() < minWindow.X || d.Dy() < minWindow.Y {
			continue
		}
		var run []piece
		for _, p := range change.Lines(img, d) {
			key := lineread.Key(img, p)
			if lines, ok := a.cache.Get(key, p.Min); ok {
				ds.lines = onscreen.Replace(ds.lines, onscreen.InBlock(lines, ds.block))
				continue
			}
			run = append(run, piece{rect: p, key: key})
		}
		if len(run) == 0 {
			continue
		}
		j := &job{disp: ds.d.Index, gen: ds.gen, img: img, rect: runBox(run).Inset(-ocrMargin).Intersect(d),
			pieces: run, at: at, block: ds.block, class: classNew, first: at}
		ds.pending[j] = true
		jobs = append(jobs, j)
	}
	return jobs
}

// maxSince bounds a display's record of when pieces were queued; entries
// of content that left the screen unread are dropped after a minute.
const maxSince = 4096

// observe matches the display's known lines if they or the rules changed and
// feeds the tracker. Called with a.mu held; events are emitted under it so
// that every sink sees them in order.
func (a *Agent) observe(ds *dispState, at time.Time) {
	var m Matcher
	if a.cfg.Rules != nil {
		m = a.cfg.Rules()
	}
	if ds.dirty || m != ds.matcher {
		ds.found = nil
		if m != nil && len(ds.lines) > 0 {
			ds.found = m.Match(ds.lines)
		}
		ds.matcher, ds.dirty = m, false
		if a.observes(ds) {
			// Every finding is covered in the feed, confident or not: a
			// black box too many costs less than a name shown.
			boxes := make([]image.Rectangle, len(ds.found))
			for i, f := range ds.found {
				boxes[i] = geom.Rect(f.Box)
			}
			a.cfg.Feed.Matched(boxes, image.Point{})
		}
	}
	// Work pending over an incident holds it open (not read yet: not known
	// to be gone) — except an area that keeps changing: it is always
	// pending, and what it shows is known line by line (unchanged lines
	// stay, changed ones go), so its incidents close when their text goes
	// and a new notification there is a new incident.
	var held []image.Rectangle
	for j := range ds.pending {
		if j.class != classHot {
			held = append(held, j.rect)
		}
	}
	for _, e := range a.tracker.Observe(ds.d.Index, ds.found, at, held) {
		// first_seen/last_seen are frame times; time is when it was raised
		// (their difference is the detection latency).
		e.Time = a.cfg.Now()
		a.out.Emit(e)
	}
}

// Small changes in calm areas (a notification, a changed line: at most
// 1/urgentShare of the frame) are read in the urgent lane, which may run
// while the CPU budget is up to urgentDebt in the red; the bulk lane (a new
// window, an area that keeps changing) waits until it is paid back.
const (
	urgentShare = 16
	urgentDebt  = 2 * time.Second
)

// DefaultBurst is the window the CPU budget is averaged over: at 50% of a
// core, 5 s of CPU may be spent at once — a dense 1080p window read by two
// workers at full speed — and is then paid back.
const DefaultBurst = 10 * time.Second

func (a *Agent) ocrLoop(ctx context.Context, l lane) {
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.wake[l]:
		case <-retry:
		}
		retry = nil
		for ctx.Err() == nil {
			a.mu.Lock()
			batch, again := a.takeBatch(l, a.cfg.Now())
			a.mu.Unlock()
			if len(batch) == 0 {
				if again > 0 {
					retry = time.After(again)
				}
				break
			}
			// A notification may be read on credit; the feed's quick reads
			// of areas that keep changing may not (they would keep the
			// budget in the red and starve every large read for good).
			debt := time.Duration(0)
			if l == laneUrgent && slices.ContainsFunc(batch, func(j *job) bool { return j.class == classNew }) {
				debt = urgentDebt
			}
			if w := a.budget.WaitDebt(debt); w > 0 {
				// Put it back and sleep a little: newer changes may come in
				// front of it or make it stale meanwhile.
				a.mu.Lock()
				var back []*job
				for _, j := range batch {
					if !j.stale {
						back = append(back, j)
					}
				}
				a.queue = append(back, a.queue...)
				a.release(batch)
				a.mu.Unlock()
				select {
				case <-ctx.Done():
					return
				case <-time.After(min(w, 50*time.Millisecond)):
				}
				continue
			}
			a.read(ctx, batch, l)
		}
	}
}

// takeBatch takes the lane's first job (in the order of before) and, after
// it, the lane's next jobs of the same frame up to the batch bounds. Called
// with a.mu held.
//
// An area that keeps changing is read about once every hotAge: its jobs
// wait until then, and retry says when the lane should look again.
func (a *Agent) takeBatch(l lane, now time.Time) (batch []*job, retry time.Duration) {
	var cand []*job
	rest := a.queue[:0]
	for _, j := range a.queue {
		if j.stale {
			continue
		}
		if j.lane() != l {
			rest = append(rest, j)
			continue
		}
		if ds := a.displays[j.disp]; j.class == classHot && !j.quick && ds != nil {
			if w := ds.heat.readAgain(j.rect, now); w > 0 {
				rest = append(rest, j)
				if retry == 0 || w < retry {
					retry = w
				}
				continue
			}
		}
		cand = append(cand, j)
	}
	if len(cand) == 0 {
		clear(a.queue[len(rest):])
		a.queue = rest
		return nil, retry
	}
	slices.SortStableFunc(cand, func(j, k *job) int {
		switch {
		case before(j, k, now):
			return -1
		case before(k, j, now):
			return 1
		}
		return 0
	})
	img := cand[0].img
	share := batchShare
	if l == laneUrgent {
		share = urgentShare
	}
	var left []*job
	area := 0
	for _, j := range cand {
		ja := j.rect.Dx() * j.rect.Dy()
		if len(batch) == 0 || (j.img == img && len(batch) < maxBatchPieces && area+ja <= geom.Area(img.Rect)/share) {
			area += ja
			batch = append(batch, j)
		} else {
			left = append(left, j)
		}
	}
	rest = append(rest, left...)
	clear(a.queue[len(rest):])
	a.queue = rest
	a.inflight[img]++
	for _, j := range batch {
		j.taken = true
	}
	return batch, 0
}

// release ends what takeBatch started for batch. Called with a.mu held.
func (a *Agent) release(batch []*job) {
	img := batch[0].img
	for _, j := range batch {
		j.taken = false
	}
	if a.inflight[img]--; a.inflight[img] <= 0 {
		delete(a.inflight, img)
	}
}

// UrgentRecognizer is a Recognizer that can serve a read ahead of others
// waiting for its workers (*ocr.Engine): the urgent lane uses it.
type UrgentRecognizer interface {
	RecognizeRegionsUrgent(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error)
}

// BackgroundRecognizer can read without occupying every worker
// (*ocr.Engine): reads of areas that keep changing use it.
type BackgroundRecognizer interface {
	RecognizeRegionsBackground(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error)
}

// read OCRs a batch and merges the result into the screen model.
func (a *Agent) read(ctx context.Context, batch []*job, l lane) {
	rects := make([]image.Rectangle, len(batch))
	for i, j := range batch {
		rects[i] = j.rect
	}
	t0 := time.Now()
	var lines []rules.Line
	var err error
	ur, urgentOK := a.cfg.Recognizer.(UrgentRecognizer)
	br, backOK := a.cfg.Recognizer.(BackgroundRecognizer)
	switch {
	case urgentOK && l == laneUrgent:
		lines, err = ur.RecognizeRegionsUrgent(ctx, batch[0].img, rects)
	case backOK && batch[0].class == classHot:
		// An area that keeps changing is read on part of the workers:
		// one stays free for a notification.
		lines, err = br.RecognizeRegionsBackground(ctx, batch[0].img, rects)
	default:
		lines, err = a.cfg.Recognizer.RecognizeRegions(ctx, batch[0].img, rects)
	}
	el := time.Since(t0)
	// OCR runs in worker processes: charge the CPU they used where it can be
	// measured, else wall time times the workers that may have been busy.
	a.chargeMu.Lock()
	if cpu, ok := a.workers.Used(a.cfg.Recognizer); ok {
		a.budget.Charge(cpu)
	} else {
		a.budget.Charge(el * time.Duration(min(a.cfg.Workers, len(batch))))
	}
	a.chargeMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.release(batch)
	for _, j := range batch {
		if ds := a.displays[j.disp]; ds != nil {
			for _, p := range j.pieces {
				delete(ds.since, p.key)
			}
			if err == nil && ds.gen == j.gen {
				ds.heat.markRead(j.rect, a.cfg.Now())
			}
		}
	}
	a.stats.OCRCalls++
	if l == laneUrgent {
		a.stats.UrgentCalls++
	}
	a.stats.OCRPieces += len(batch)
	a.stats.OCRTime += el
	if err != nil {
		for _, j := range batch {
			if ds := a.displays[j.disp]; ds != nil {
				delete(ds.pending, j)
			}
		}
		if ctx.Err() == nil {
			a.stats.OCRErrors++
			a.reportErrLocked(err) // the recognizer's errors say "ocr: ..."
		}
		return
	}
	per := lineread.Split(rects, lines)
	touched := map[*dispState]bool{}
	readKeys := map[*dispState]map[uint64]bool{}
	for i, j := range batch {
		if j.trimmed {
			per[i] = inPieces(per[i], j.pieces)
		}
		a.cachePieces(j, per[i])
		if len(j.moved) > 0 {
			// What moved is placed where it is now (resolve), not here.
			var stayed []piece
			for _, p := range j.pieces {
				if !j.moved[p.key] {
					stayed = append(stayed, p)
				}
			}
			per[i] = inPieces(per[i], stayed)
		}
		if ds := a.displays[j.disp]; ds != nil && ds.gen == j.gen {
			if readKeys[ds] == nil {
				readKeys[ds] = map[uint64]bool{}
			}
			for _, p := range j.pieces {
				readKeys[ds][p.key] = true
			}
		}
		ds := a.displays[j.disp]
		if ds == nil || ds.gen != j.gen {
			continue
		}
		if j.stale || !ds.pending[j] {
			// The area changed meanwhile (it keeps changing: a video).
			// What was read is cached, and lines whose pixels are still
			// the same now are on screen: a notification over the video
			// is not lost because the video moved on.
			var still []rules.Line
			for _, l := range per[i] {
				if ds.prev != nil && samePixels(j.img, ds.prev, geom.Rect(l.Box).Inset(-unchangedMargin)) {
					still = append(still, l)
				}
			}
			if len(still) > 0 {
				ds.lines = onscreen.Replace(ds.lines, onscreen.InBlock(still, j.block))
				ds.dirty = true
				touched[ds] = true
			}
			continue
		}
		delete(ds.pending, j)
		if a.observes(ds) {
			keys := make([]uint64, len(j.pieces))
			for k, p := range j.pieces {
				keys[k] = p.key
			}
			a.cfg.Feed.Read(keys)
		}
		ds.lines = onscreen.Replace(ds.lines, onscreen.InBlock(per[i], j.block))
		ds.dirty = true
		touched[ds] = true
	}
	for ds, keys := range readKeys {
		if placed := a.resolve(ds, keys); len(placed) > 0 {
			if a.observes(ds) {
				a.cfg.Feed.Read(placed)
			}
			ds.dirty = true
			touched[ds] = true
		}
	}
	for ds := range touched {
		a.observe(ds, batch[0].at)
	}
}

// inPieces keeps the lines lying mostly inside one of the pieces.
func inPieces(lines []rules.Line, pieces []piece) []rules.Line {
	var out []rules.Line
	for _, l := range lines {
		lb := geom.Rect(l.Box)
		for _, p := range pieces {
			if 2*geom.Area(lb.Intersect(p.rect)) > geom.Area(lb) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// cachePieces stores the lines read for a job under its pieces' keys. A
// line is a piece's if it lies (mostly) inside it; if any line spans pieces
// (OCR joined two table cells), nothing is cached, since a piece would then
// be remembered without its text.
func (a *Agent) cachePieces(j *job, lines []rules.Line) {
	rects := make([]image.Rectangle, len(j.pieces))
	for i, p := range j.pieces {
		rects[i] = p.rect
	}
	per, ok := onscreen.ByPiece(rects, lines)
	if !ok {
		return
	}
	for i, p := range j.pieces {
		a.cache.Put(p.key, p.rect.Min, per[i])
	}
}

// refreshDisplays re-enumerates displays: new ones are watched, removed or
// resized ones dropped (their incidents closed) or restarted.
func (a *Agent) refreshDisplays(first bool) error {
	ds, err := a.cfg.Capturer.Displays()
	if err != nil {
		return err // the capturer's error says "list displays: ..."
	}
	if a.cfg.Display >= 0 {
		var sel []Display
		for _, d := range ds {
			if d.Index == a.cfg.Display {
				sel = append(sel, d)
			}
		}
		if len(sel) == 0 && first {
			return fmt.Errorf("display %d not found (%d displays: 0..%d)", a.cfg.Display, len(ds), len(ds)-1)
		}
		ds = sel
	}
	if len(ds) == 0 && first {
		return errors.New("no displays found")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	seen := map[int]bool{}
	for _, d := range ds {
		seen[d.Index] = true
		if old := a.displays[d.Index]; old != nil && old.d.Bounds == d.Bounds {
			continue
		} else if old != nil {
			// Resized or moved: its frames and queued reads are void, but
			// not its incidents. The first read of the new geometry (the
			// whole display, pending and so holding them meanwhile)
			// confirms those whose pixels are still there and lets the
			// others close after the grace period — a resize must not
			// clear an exposure and raise it again as a new one.
			a.forgetFrames(old)
		}
		a.gen++
		a.displays[d.Index] = &dispState{d: d, gen: a.gen, pending: map[*job]bool{},
			heat: newHeat(d.Bounds.Size()), since: map[uint64]time.Time{}, waiting: map[uint64]waitingPiece{}}
	}
	for i, old := range a.displays {
		if !seen[i] {
			a.dropDisplay(old, now)
		}
	}
	return nil
}

// forgetFrames drops a display's frames and queued work, keeping its
// incidents.
func (a *Agent) forgetFrames(ds *dispState) {
	for j := range ds.pending {
		j.stale = true
	}
	delete(a.displays, ds.d.Index)
}

// dropDisplay forgets a display that was removed, closing its incidents.
func (a *Agent) dropDisplay(ds *dispState, now time.Time) {
	for j := range ds.pending {
		j.stale = true
	}
	for _, e := range a.tracker.CloseDisplay(ds.d.Index, now) {
		a.out.Emit(e)
	}
	delete(a.displays, ds.d.Index)
}

// reportErr emits an error event, at most once a minute per class of error,
// so a capture failing every frame does not flood the presenter.
func (a *Agent) reportErr(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reportErrLocked(err)
}

func (a *Agent) reportErrLocked(err error) {
	now := a.cfg.Now()
	class := errClass(err)
	if t, ok := a.lastErr[class]; ok && now.Sub(t) < time.Minute {
		return
	}
	a.lastErr[class] = now
	a.out.Emit(event.Event{Event: event.Error, Time: now, Message: err.Error()})
}

// errClass names the kind of err without what changes from one occurrence
// to the next: the root cause it wraps (the first, where it wraps several,
// as in "%w: X server :0: %w (next reconnect attempt in 1.6s)"), with
// numbers folded, so a dead X server is one error, not one per attempt.
func errClass(err error) string {
	for {
		var next error
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next = u.Unwrap()
		case interface{ Unwrap() []error }:
			if es := u.Unwrap(); len(es) > 0 {
				next = es[0]
			}
		}
		if next == nil {
			break
		}
		err = next
	}
	var b strings.Builder
	digits := false
	for _, r := range err.Error() {
		if r >= '0' && r <= '9' || digits && r == '.' {
			if !digits {
				b.WriteByte('#')
			}
			digits = true
			continue
		}
		digits = false
		b.WriteRune(r)
	}
	return b.String()
}

// reorigin views img with its top-left at 0,0 (capturers may return images
// positioned at the display's bounds); no pixels are copied.
func reorigin(img *image.RGBA) *image.RGBA {
	if img.Rect.Min == (image.Point{}) {
		return img
	}
	return &image.RGBA{Pix: img.Pix, Stride: img.Stride, Rect: image.Rect(0, 0, img.Rect.Dx(), img.Rect.Dy())}
}

// discard is the sink of an agent given none.
type discard struct{}

func (discard) Emit(event.Event) {}
func (discard) Close() error     { return nil }

// unchangedMargin is the border around a line whose pixels must not have
// changed either for the line to stay known: text added right after it
// ("$2,500" becoming "$2,500,000") changes its meaning.
const unchangedMargin = 8

// keepUnchanged takes the lines overlapping r whose pixels (with a margin)
// are the same in prev and cur out of lines, and returns both.
func keepUnchanged(lines []rules.Line, r image.Rectangle, prev, cur *image.RGBA) (rest, kept []rules.Line) {
	rest = lines[:0]
	for _, l := range lines {
		b := geom.Rect(l.Box)
		if b.Overlaps(r) && samePixels(prev, cur, b.Inset(-unchangedMargin)) {
			kept = append(kept, l)
			continue
		}
		rest = append(rest, l)
	}
	clear(lines[len(rest):])
	return rest, kept
}

// samePixels reports whether a and b have the same pixels in r (clipped to
// both; an empty overlap is not the same).
func samePixels(a, b *image.RGBA, r image.Rectangle) bool {
	r = r.Intersect(a.Rect).Intersect(b.Rect)
	if r.Empty() {
		return false
	}
	if a == b {
		return true
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		oa, ob := a.PixOffset(r.Min.X, y), b.PixOffset(r.Min.X, y)
		if !bytes.Equal(a.Pix[oa:oa+4*r.Dx()], b.Pix[ob:ob+4*r.Dx()]) {
			return false
		}
	}
	return true
}
