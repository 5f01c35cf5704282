// Package feed is the audience's feed: captured frames wait in a delay line
// for a fixed delay D, and by the time a frame is due every changed part of
// it has been read and matched — or it is not shown. The compositor decides
// per region, by the region's content (the pixel hash of each text line the
// agent reads), what the audience sees: content read clean as captured,
// findings covered, content not yet read held back (or blurred, or shown if
// the presenter turned fail-closed off).
//
// The agent drives it through three calls made in its own order (under its
// lock): Frame for each captured frame that changed, Read when OCR results
// for pieces enter its screen model, Matched after each match with the
// boxes of all findings. Verdicts are kept by content key, so a frame
// captured before a finding that is still in the delay line is covered too,
// and identical content later gets the same verdict at no cost.
//
// Pure Go: outputs, the pointer and the capture are interfaces defined here
// and implemented elsewhere (package scanner/output).
package feed

import (
	"context"
	"errors"
	"fmt"
	"github.com/demoguard/demoguard/scanner/internal/geom"
	"image"
	"image/color"
	"strings"
	"sync"
	"time"
)

// Pending says what the audience sees of a changed region not yet read
// when its frame is due.
type Pending int

const (
	// PendingHold keeps the region's last shown pixels: the audience sees
	// the change late, never unread.
	PendingHold Pending = iota
	// PendingBlur shows the region blurred beyond reading.
	PendingBlur
	// PendingShow shows it as captured: fail-closed off. A finding in it is
	// visible until it is read (about the time to read a notification).
	PendingShow
)

func (p Pending) String() string {
	switch p {
	case PendingBlur:
		return "blur"
	case PendingShow:
		return "show"
	}
	return "hold"
}

// ParsePending reads --pending.
func ParsePending(s string) (Pending, error) {
	switch s {
	case "hold", "":
		return PendingHold, nil
	case "blur":
		return PendingBlur, nil
	case "show":
		return PendingShow, nil
	}
	return 0, fmt.Errorf("--pending %q: want hold, blur or show", s)
}

// Redact is how findings are covered.
type Redact int

const (
	RedactBlack Redact = iota
	RedactBlur
	RedactPixelate
)

func (r Redact) String() string {
	switch r {
	case RedactBlur:
		return "blur"
	case RedactPixelate:
		return "pixelate"
	}
	return "black"
}

// ParseRedact reads --redact.
func ParseRedact(s string) (Redact, error) {
	switch s {
	case "black", "":
		return RedactBlack, nil
	case "blur":
		return RedactBlur, nil
	case "pixelate":
		return RedactPixelate, nil
	}
	return 0, fmt.Errorf("--redact %q: want black, blur or pixelate", s)
}

// Delay bounds. The default is chosen from the measured time to read a
// notification (README, "The audience feed").
const (
	DefaultDelay = 150 * time.Millisecond
	MaxDelay     = 5 * time.Second
	DefaultFPS   = 30
)

// ErrDelay is returned by CheckDelay for a delay out of range.
var ErrDelay = errors.New("delay out of range")

// CheckDelay validates --delay: above 0 and at most MaxDelay.
func CheckDelay(d time.Duration) error {
	if d <= 0 || d > MaxDelay {
		return fmt.Errorf("--delay %v: %w (want more than 0 and at most %v)", d, ErrDelay, MaxDelay)
	}
	return nil
}

// Piece is a text line (or cell) of a changed region: the unit the agent
// reads and caches, keyed by its pixels, and the unit of the feed's
// verdicts. Read is true when the agent already knows the content (a
// cache hit). Cut is true when the region's edge cuts through ink that
// runs on outside it (a word cut in two): reading such a piece alone is no
// verdict on what the audience would see, so it is held until the agent
// reads it whole (or the pixel test finds no text in it).
type Piece struct {
	Rect image.Rectangle
	Key  uint64
	Read bool
	Cut  bool
}

// Region is a connected changed area of a frame and the pieces in it.
type Region struct {
	Rect   image.Rectangle
	Pieces []Piece
}

// Sink receives the composed frames (an output.Output). Write must copy img
// and never block.
type Sink interface {
	Write(img *image.RGBA, pts time.Duration) bool
}

// Pointer samples the mouse pointer: its image, hotspot and position in
// root-window coordinates (an *output.Cursor).
type Pointer interface {
	Sample() (img *image.RGBA, hotspot, pos image.Point, err error)
}

// Config configures a Feed. Zero values get the defaults noted.
type Config struct {
	Delay   time.Duration // default DefaultDelay
	FPS     int           // output frames per second; default DefaultFPS
	Pending Pending
	Redact  Redact
	Out     Sink
	// Pointer, when set, is sampled once per output frame and drawn with
	// DrawPointer (delayed like the screen). Origin is the fed display's
	// top-left in root coordinates.
	Pointer     Pointer
	DrawPointer func(dst *image.RGBA, origin image.Point, cur *image.RGBA, hot, pos image.Point)
	Origin      image.Point
	// Checking makes the frame shown before the first complete read;
	// default a plain neutral frame.
	Checking func(w, h int) *image.RGBA
	// Start is the time of pts 0: a frame's pts is the capture time of what
	// it shows minus Start. Default: when Run starts.
	Start time.Time
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// MaxVerdicts bounds the content verdicts remembered; default 65536.
	MaxVerdicts int
	// NearPx, when set, returns the farthest apart (pixels) that the rules
	// in force combine two findings (rules.Ruleset.NearPx); a line read
	// clean is held while an unread line lies within that distance, or
	// within one line of it (see tick).
	NearPx func() int
}

// Stats describe what the feed did; regions held and covered are those of
// the last output frame.
type Stats struct {
	Captured   int64 // frames that entered the delay line
	Lost       int64 // frames dropped from a full delay line (merged into the next)
	Written    int64 // frames the output took
	Refused    int64 // frames the output refused (failed or closed)
	HeldFrames int64 // output frames in which some region was held back
	Held       int   // lines (or bands) held back in the last output frame
	// HeldShare is the share of the last output frame's area held back
	// (0..1): what the status line and the presenter page show as "held".
	HeldShare float64
	TextFree  int64 // unread pieces shown because the pixel test found no text
	Covered   int   // boxes covered in the last output frame
	Checking  bool  // still before the first complete read
	Waiting   int   // frames in the delay line
}

// Feed is the delay line and the compositor of one display.
type Feed struct {
	cfg Config

	mu       sync.Mutex
	line     []*frame // captured, not yet due; oldest first
	free     []*image.RGBA
	nbuf     int
	maxBuf   int
	size     image.Point
	layout   []lpiece // pieces of the newest frame (the agent's screen model)
	carry    []image.Rectangle
	resetGen int
	verdicts verdicts
	textless verdicts // text-like bands of unread pieces, by key (nil: none)
	touched  bool     // a read or a verdict since the last composed frame
	stats    Stats

	// compositor state: owned by the goroutine that calls tick.
	shown    *image.RGBA
	next     *image.RGBA // the frame being composed (swapped with shown)
	out      *image.RGBA
	last     *frame
	held     []image.Rectangle
	checking bool
	gen      int // resetGen the shown frame belongs to
	ptr      []ptrSample
	checkImg *image.RGBA
	memory   map[image.Rectangle]uint64 // covered finding boxes by their pixels
	memOrder []image.Rectangle
}

type frame struct {
	img     *image.RGBA
	at      time.Time
	changed []image.Rectangle // since the previous frame in the line
	pieces  []piece           // the whole screen's pieces at capture time
	gen     int
	first   bool // the first frame of a screen (its change is everything)
}

type piece struct {
	r   image.Rectangle
	key uint64
	cut bool
	// clip, when not empty, is the part of r still on screen as it was
	// read: the rest of r was changed since (see Frame). Verdict boxes stay
	// relative to r.
	clip image.Rectangle
}

// area is the part of the screen the piece stands for.
func (p piece) area() image.Rectangle {
	if p.clip.Empty() {
		return p.r
	}
	return p.clip
}

type lpiece struct {
	piece
	read bool
}

type ptrSample struct {
	at       time.Time
	img      *image.RGBA
	hot, pos image.Point
}

// New makes a feed.
func New(cfg Config) *Feed {
	if cfg.Delay <= 0 {
		cfg.Delay = DefaultDelay
	}
	if cfg.FPS <= 0 {
		cfg.FPS = DefaultFPS
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Checking == nil {
		cfg.Checking = plainChecking
	}
	if cfg.MaxVerdicts <= 0 {
		cfg.MaxVerdicts = 1 << 16
	}
	// The delay line holds what D needs at the output rate (the agent
	// captures at most that often while the feed runs), plus one frame
	// being copied in and the one the compositor shows from.
	perFrame := time.Second / time.Duration(cfg.FPS)
	maxBuf := int((cfg.Delay+perFrame-1)/perFrame) + 3
	return &Feed{cfg: cfg, maxBuf: maxBuf, verdicts: newVerdicts(cfg.MaxVerdicts), textless: newVerdicts(maxTextless),
		checking: true, stats: Stats{Checking: true}}
}

// MaxFrames is how many frame buffers the feed may hold at once (the
// delay line's memory cap is this times the frame size).
func (f *Feed) MaxFrames() int { return f.maxBuf }

// Stats returns a snapshot.
func (f *Feed) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Waiting = len(f.line)
	return s
}

// Frame puts a captured frame into the delay line. img is copied (the
// caller reuses it); regions are the areas that changed since the previous
// call, with their pieces, in img's coordinates. The first frame, and any
// frame of a new size, must have a region covering everything. Frames
// without changes need not be given: the feed repeats what it has.
func (f *Feed) Frame(img *image.RGBA, at time.Time, regions []Region) {
	if len(regions) == 0 || img.Rect.Empty() {
		return
	}
	o := img.Rect.Min
	f.mu.Lock()
	defer f.mu.Unlock()
	if sz := img.Rect.Size(); sz != f.size {
		// A new display size: start over (the compositor shows "checking"
		// until the new screen is read).
		f.size = sz
		f.layout = nil
		f.carry = nil
		f.nbuf -= len(f.line) + len(f.free)
		f.line = nil
		f.free = nil
		f.resetGen++
	}
	first := len(f.layout) == 0
	changed := make([]image.Rectangle, 0, len(regions)+len(f.carry))
	changed = append(changed, f.carry...)
	f.carry = nil
	for _, rg := range regions {
		changed = append(changed, rg.Rect.Sub(o))
	}
	// The screen model: the changed regions' pieces come in, and pieces a
	// change touched go — but only the part inside the change. The rest of
	// such a piece is still on screen, unchanged, and the new pieces were
	// cut inside the regions only: dropping it would leave its pixels in
	// no piece, shown unread (a card's line half redrawn, never read whole).
	// It stays, clipped, with its old key and read state.
	var keep []lpiece
	for _, p := range f.layout {
		if !geom.OverlapsAny(p.area(), changed) {
			keep = append(keep, p)
			continue
		}
		for _, rest := range subtractAll(p.area(), changed) {
			if rest.Dx() >= minRest && rest.Dy() >= minRest {
				q := p
				q.clip = rest
				keep = append(keep, q)
			}
		}
	}
	for _, rg := range regions {
		for _, pc := range rg.Pieces {
			keep = append(keep, lpiece{piece{r: pc.Rect.Sub(o), key: pc.Key, cut: pc.Cut}, pc.Read})
		}
	}
	f.layout = keep
	snap := make([]piece, len(keep))
	for i, p := range keep {
		snap[i] = p.piece
	}
	buf := f.buffer()
	copyImage(buf, img)
	f.line = append(f.line, &frame{img: buf, at: at, changed: changed, pieces: snap, gen: f.resetGen, first: first})
	f.stats.Captured++
}

// buffer returns a frame buffer of f.size: a free one, a new one while
// under the cap, else the oldest waiting frame's (that frame is lost; its
// changes carry over to the next). Called with f.mu held.
func (f *Feed) buffer() *image.RGBA {
	if n := len(f.free); n > 0 {
		b := f.free[n-1]
		f.free = f.free[:n-1]
		return b
	}
	if f.nbuf < f.maxBuf || len(f.line) == 0 {
		f.nbuf++
		return image.NewRGBA(image.Rectangle{Max: f.size})
	}
	old := f.line[0]
	f.line = f.line[1:]
	if len(f.line) > 0 {
		f.line[0].changed = append(old.changed, f.line[0].changed...)
	} else {
		f.carry = append(f.carry, old.changed...)
	}
	f.stats.Lost++
	return old.img
}

// Read says the agent now knows the content of these pieces (OCR results
// entered its screen model). Their verdict comes with the next Matched.
func (f *Feed) Read(keys []uint64) {
	if len(keys) == 0 {
		return
	}
	set := make(map[uint64]struct{}, len(keys))
	for _, k := range keys {
		set[k] = struct{}{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.layout {
		if _, ok := set[f.layout[i].key]; ok {
			f.layout[i].read = true
		}
	}
	f.touched = true
}

// Matched gives the boxes of every finding of a match over the agent's
// screen model (the newest frame's coordinates, as in Frame). Every read
// piece gets its verdict: the parts of finding boxes inside it, or clean.
// A key read in several places gets the union: a finding anywhere covers
// that content everywhere.
func (f *Feed) Matched(boxes []image.Rectangle, origin image.Point) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pass := map[uint64][]image.Rectangle{}
	for _, p := range f.layout {
		// A clipped piece keeps the verdict its whole read gave: what is
		// read now around it says nothing of its lost part.
		if !p.read {
			continue
		}
		if _, known := f.verdicts.get(p.key); known && !p.clip.Empty() {
			continue
		}
		v, seen := pass[p.key]
		for _, b := range boxes {
			if in := b.Sub(origin).Intersect(p.r); !in.Empty() {
				v = append(v, in.Sub(p.r.Min))
			}
		}
		if !seen || v != nil {
			pass[p.key] = v
		}
	}
	for k, v := range pass {
		f.verdicts.put(k, v)
	}
	f.touched = true
}

// Run composes and writes a frame every 1/FPS until ctx ends.
func (f *Feed) Run(ctx context.Context) error {
	if f.cfg.Start.IsZero() {
		f.cfg.Start = f.cfg.Now()
	}
	t := time.NewTicker(time.Second / time.Duration(f.cfg.FPS))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			f.tick(f.cfg.Now())
		}
	}
}

func plainChecking(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Rect, color.RGBA{60, 64, 72, 255})
	return img
}

// minRest is the smallest side of a clipped piece's rest kept: thinner
// slivers hold no readable text (change.Lines drops such specks too).
const minRest = 4

// subtractAll returns the parts of r outside every rectangle of cut
// (at most maxRests; beyond, r whole: more is held, never less).
func subtractAll(r image.Rectangle, cut []image.Rectangle) []image.Rectangle {
	parts := []image.Rectangle{r}
	for _, c := range cut {
		var next []image.Rectangle
		for _, p := range parts {
			if !p.Overlaps(c) {
				next = append(next, p)
				continue
			}
			i := p.Intersect(c)
			for _, q := range []image.Rectangle{
				{p.Min, image.Pt(p.Max.X, i.Min.Y)},                      // above
				{image.Pt(p.Min.X, i.Max.Y), p.Max},                      // below
				{image.Pt(p.Min.X, i.Min.Y), image.Pt(i.Min.X, i.Max.Y)}, // left
				{image.Pt(i.Max.X, i.Min.Y), image.Pt(p.Max.X, i.Max.Y)}, // right
			} {
				if !q.Empty() {
					next = append(next, q)
				}
			}
		}
		if len(next) > maxRests {
			return []image.Rectangle{r}
		}
		parts = next
	}
	return parts
}

const maxRests = 16

// verdicts maps content keys to finding boxes (relative to the piece; nil:
// clean). Two generations bound memory: when the current one is full it
// becomes the old one; a hit in the old one moves forward. Forgetting is
// safe: a forgotten key is unread again (held), never shown.
type verdicts struct {
	max      int
	cur, old map[uint64][]image.Rectangle
}

func newVerdicts(max int) verdicts {
	return verdicts{max: max, cur: map[uint64][]image.Rectangle{}}
}

func (v *verdicts) put(k uint64, boxes []image.Rectangle) {
	if len(v.cur) >= v.max/2 {
		v.old, v.cur = v.cur, make(map[uint64][]image.Rectangle, v.max/2)
	}
	v.cur[k] = boxes
}

func (v *verdicts) get(k uint64) ([]image.Rectangle, bool) {
	if b, ok := v.cur[k]; ok {
		return b, true
	}
	if b, ok := v.old[k]; ok {
		v.put(k, b)
		return b, true
	}
	return nil, false
}

// Explain describes, for diagnostics, the pieces of the newest frame that
// overlap r (screen coordinates of the fed display): their rectangles,
// whether each is read, cut or a clipped rest, and its verdict (how many
// finding boxes). It carries no text.
func (f *Feed) Explain(r image.Rectangle) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, p := range f.layout {
		if !p.area().Overlaps(r) {
			continue
		}
		v, ok := f.verdicts.get(p.key)
		verdict := "none"
		if ok {
			verdict = fmt.Sprintf("%d boxes", len(v))
		}
		fmt.Fprintf(&b, "piece %v clip %v read %v cut %v verdict %s; ", p.r, p.clip, p.read, p.cut, verdict)
	}
	return b.String()
}
