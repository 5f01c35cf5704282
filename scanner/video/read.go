package video

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/internal/geom"
	"github.com/demoguard/demoguard/scanner/internal/lineread"
	"github.com/demoguard/demoguard/scanner/internal/onscreen"
)

// Recognizer reads text in regions of an image (*ocr.Engine).
type Recognizer interface {
	RecognizeRegions(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error)
}

// Matcher runs the rules over lines (*rules.Ruleset).
type Matcher interface {
	Match(lines []rules.Line) []rules.Finding
}

// Lines is the live agent's text-line machinery that reading a recording
// shares with watching a screen: growing a change to whole lines and the
// pixel-keyed line cache (regions are cut into pieces by lineread, as in
// the agent). Verdicts are tied to the pixels of a line, so the same pixels
// get the same answer in scan, watch and a recording.
type Lines interface {
	Grow(img *image.RGBA, r image.Rectangle) image.Rectangle
	Get(key uint64, origin image.Point) ([]rules.Line, bool)
	Put(key uint64, origin image.Point, lines []rules.Line)
}

// Config configures Read. Recognizer and Matcher are required.
type Config struct {
	Recognizer Recognizer
	Matcher    Matcher
	// MinConf drops findings below this confidence before they can open
	// or extend an exposure.
	MinConf float64
	// Lines defaults to the live agent's (AgentLines).
	Lines  Lines
	Limits Limits
	// Progress is called after each frame with the frame's time and the
	// recording's duration (0 if unknown). May be nil.
	Progress func(pos, duration float64)
	// OnExposure is called when an exposure opens, with the frame it was
	// first seen in (valid only during the call): evidence is written from
	// it. An error stops the read.
	OnExposure func(e *Exposure, frame *image.RGBA) error
}

// Span is where an exposure was during [Start, End): a new span starts
// whenever its box moves (a scroll), so masks follow the text frame by frame.
type Span struct {
	Start, End float64
	Box        rules.Box
}

// Exposure is one rule at one place for as long as it stays on screen.
// Start is the time of the first frame it was on screen, End the time of
// the first frame it was gone (the end of the recording if it never went):
// both exact to the frame in which the pixels changed.
type Exposure struct {
	rules.Finding         // as first seen; Box in pixels of the decoded frame
	Start, End    float64 // seconds
	First, Last   int     // frame indexes
	Spans         []Span
}

// Result is what Read found in one recording.
type Result struct {
	Info      *Info
	Exposures []*Exposure
	Frames    int     // decoded and compared
	Changed   int     // frames with a changed region
	OCRCalls  int     // RecognizeRegions calls
	Pieces    int     // text pieces in changed regions
	CacheHits int     // pieces whose text came from the line cache
	Duration  float64 // time of the last frame's end
	Dropped   int     // findings below MinConf
	Scrolls   int     // regions read as a scroll (lines moved, not re-read)
}

// Change detection on lossy video: a pixel changed when a channel moved by
// more than pixTol (H.264 re-quantises every pixel at a keyframe and rings
// around edges by a few levels; text appearing moves glyph pixels by 100+),
// a tile changed when at least minTilePix of its pixels did. Frames are
// compared with the reference (the pixels last read), not the previous
// frame, so a slow drift of noise never adds up unnoticed, and noise alone
// never triggers a read.
const (
	tileW      = 16
	tileH      = 16
	pixTol     = 40
	minTilePix = 3
)

// Read decodes path and reads it like the live agent reads a screen: every
// frame is compared with what was last read, region by region; only changed
// regions are OCRed (their lines looked up in the pixel-keyed cache first);
// the rules run over the screen's lines after each change; exposures open
// and close at the frames where the pixels changed.
//
// The shortest exposure found is one frame: a change is looked for in
// every decoded frame (no sampling), and a frame with a change is always
// read before the next frame is compared.
func Read(ctx context.Context, path string, cfg Config) (*Result, error) {
	if cfg.Recognizer == nil || cfg.Matcher == nil {
		return nil, errors.New("video: Recognizer and Matcher are required")
	}
	if cfg.Lines == nil {
		cfg.Lines = NewAgentLines(0)
	}
	info, err := Probe(ctx, path, cfg.Limits)
	if err != nil {
		return nil, err
	}
	dec, err := Decode(ctx, path, info, cfg.Limits)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	r := &reader{cfg: cfg, res: &Result{Info: info}}
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	frames, errc, free := prefetch(pctx, dec)
	var last Frame
	lastDur := 0.0
	for f := range frames {
		if r.res.Frames > 0 {
			if d := f.PTS - last.PTS; d > 0 {
				lastDur = d
			}
		}
		if err := r.frame(ctx, f); err != nil {
			// Stop ffmpeg first, so the decoder ends instead of decoding the
			// rest of the recording into the drained channel.
			pcancel()
			dec.cancel()
			for range frames {
			}
			return nil, err
		}
		last = f
		free <- f.Img
		if cfg.Progress != nil {
			cfg.Progress(f.PTS, info.Duration)
		}
	}
	err = <-errc
	if ctx.Err() != nil { // ffmpeg was killed by the cancellation: say why
		return nil, context.Cause(ctx)
	}
	if err != nil {
		return nil, err
	}
	if lastDur == 0 {
		lastDur = 1 / max(info.FPS, 1)
	}
	end := last.PTS + lastDur
	r.closeAll(end, last.N)
	r.res.Duration = end
	return r.res, nil
}

// prefetch decodes up to three frames ahead on its own goroutine, so piping
// and converting the next frame overlaps reading this one.
func prefetch(ctx context.Context, dec *Decoder) (<-chan Frame, <-chan error, chan<- *image.RGBA) {
	const ahead = 3
	frames := make(chan Frame, ahead)
	errc := make(chan error, 1)
	free := make(chan *image.RGBA, ahead+1)
	for range ahead {
		free <- nil
	}
	go func() {
		defer close(frames)
		for {
			var buf *image.RGBA
			select {
			case buf = <-free:
			case <-ctx.Done():
				errc <- nil
				return
			}
			f, err := dec.Next(buf)
			if err == io.EOF {
				errc <- nil
				return
			}
			if err != nil {
				errc <- err
				return
			}
			frames <- f
		}
	}()
	return frames, errc, free
}

type reader struct {
	cfg   Config
	res   *Result
	ref   *image.RGBA  // the pixels last read
	lines []rules.Line // what is on screen, as of the last read
	open  []*openExp
	block int
}

type openExp struct {
	e    *Exposure
	fp   string
	seen bool
	box  image.Rectangle // where snap was taken
	snap *image.RGBA     // the pixels under the box when it was last read
}

// unchanged reports whether the pixels under the exposure's box are still
// the ones it was read from (within encoder noise): then it is still on
// screen, whatever a re-read of a region around it said. The same pixels
// get the same verdict; a keyframe or a region grown across the line is
// no reason to lose a finding.
func (o *openExp) unchanged(cur *image.RGBA) bool {
	if o.snap == nil {
		return false
	}
	n := 0
	limit := max(minTilePix, o.box.Dx()*o.box.Dy()/200)
	for y := o.box.Min.Y; y < o.box.Max.Y; y++ {
		co := cur.PixOffset(o.box.Min.X, y)
		so := o.snap.PixOffset(o.box.Min.X, y)
		for i := 0; i < 4*o.box.Dx(); i += 4 {
			c, s := cur.Pix[co+i:co+i+3], o.snap.Pix[so+i:so+i+3]
			if absDiff(c[0], s[0]) > pixTol || absDiff(c[1], s[1]) > pixTol || absDiff(c[2], s[2]) > pixTol {
				if n++; n > limit {
					return false
				}
			}
		}
	}
	return true
}

func (o *openExp) take(cur *image.RGBA, b rules.Box) {
	o.box = geom.Rect(b).Intersect(cur.Rect)
	o.snap = image.NewRGBA(o.box)
	copyRect(o.snap, cur, o.box)
}

// frame compares one frame with the reference and reads what changed.
func (r *reader) frame(ctx context.Context, f Frame) error {
	r.res.Frames++
	var regions []image.Rectangle
	if r.ref == nil {
		r.ref = image.NewRGBA(f.Img.Rect)
		regions = []image.Rectangle{f.Img.Rect}
	} else {
		regions = changedTiles(r.ref, f.Img)
		if len(regions) == 0 {
			return nil
		}
		regions = r.scrolls(f.Img, regions)
		for i, rg := range regions {
			regions[i] = r.cfg.Lines.Grow(f.Img, rg)
		}
	}
	r.res.Changed++
	// A word cut by the change is read again whole, as in the live agent.
	for i, rg := range regions {
		for _, l := range r.lines {
			if !geom.Rect(l.Box).Overlaps(rg) {
				continue
			}
			for _, w := range l.Words {
				if wr := geom.Rect(w.Box); wr.Overlaps(rg) {
					regions[i] = regions[i].Union(wr)
				}
			}
		}
		regions[i] = regions[i].Intersect(f.Img.Rect)
	}
	regions = geom.Merge(regions, 0)
	for _, rg := range regions {
		r.lines = onscreen.RemoveIn(r.lines, rg)
	}
	if err := r.read(ctx, f.Img, regions); err != nil {
		return fmt.Errorf("frame %d (%s): ocr: %w", f.N, Clock(f.PTS), err)
	}
	for _, rg := range regions {
		copyRect(r.ref, f.Img, rg)
	}
	var found []rules.Finding
	for _, fd := range r.cfg.Matcher.Match(r.lines) {
		if !fd.Confident(r.cfg.MinConf) {
			r.res.Dropped++
			continue
		}
		found = append(found, fd)
	}
	return r.track(found, f)
}

// scrolls handles regions whose content moved vertically: the lines read
// there move along, the reference is shifted to match, and what is left to
// read is what the shift does not explain (the strip scrolled into view).
func (r *reader) scrolls(cur *image.RGBA, regions []image.Rectangle) []image.Rectangle {
	var out []image.Rectangle
	for _, rg := range regions {
		dy, ok := findScroll(r.ref, cur, rg)
		if !ok {
			out = append(out, rg)
			continue
		}
		sh := shiftedRef(r.ref, cur, rg, dy)
		rest := changedTiles(sh, cur)
		var left []image.Rectangle
		restArea := 0
		for _, x := range rest {
			if x = x.Intersect(rg); !x.Empty() {
				left = append(left, x)
				restArea += geom.Area(x)
			}
		}
		if restArea*2 > geom.Area(rg) {
			out = append(out, rg) // not a clean scroll: read it all
			continue
		}
		r.res.Scrolls++
		r.lines = moveLines(r.lines, rg, cur.Rect, dy)
		copyRect(r.ref, sh, rg)
		out = append(out, left...)
		for _, x := range rest {
			if !x.Overlaps(rg) {
				out = append(out, x)
			}
		}
	}
	return geom.Merge(out, 0)
}

// read reads the changed regions as the live agent reads them
// (lineread.Read: the same pieces, runs, margins, batches and cache), so a
// recording's frame gets the verdict the same screen gets in watch and scan.
func (r *reader) read(ctx context.Context, img *image.RGBA, regions []image.Rectangle) error {
	var st lineread.Stats
	lines, err := lineread.Read(ctx, r.cfg.Recognizer, img, regions, r.cfg.Lines, &r.block, &st)
	r.res.Pieces += st.Pieces
	r.res.CacheHits += st.CacheHits
	r.res.OCRCalls += st.OCRCalls
	if err != nil {
		return err
	}
	r.lines = append(r.lines, lines...)
	return nil
}

// track continues, opens and closes exposures with the findings of a frame
// whose content changed. A finding continues an open exposure of the same
// rule when it is the same text nearby (a scroll, OCR jitter in the box) or
// overlaps it.
func (r *reader) track(found []rules.Finding, f Frame) error {
	for _, o := range r.open {
		o.seen = false
	}
	for _, fd := range found {
		fp := fd.Rule + "\x00" + fd.Text
		var best *openExp
		bestGap := math.MaxInt
		for _, o := range r.open {
			if o.seen || o.e.Rule != fd.Rule {
				continue
			}
			cur := o.e.Spans[len(o.e.Spans)-1].Box
			gap := cur.Gap(fd.Box)
			ok := geom.Rect(cur).Overlaps(geom.Rect(fd.Box))
			if o.fp == fp {
				ok = ok || gap <= max(cur.H, fd.Box.H, 200)
			}
			if ok && gap < bestGap {
				best, bestGap = o, gap
			}
		}
		if best != nil {
			best.seen = true
			sp := &best.e.Spans[len(best.e.Spans)-1]
			if sp.Box != fd.Box {
				sp.End = f.PTS
				best.e.Spans = append(best.e.Spans, Span{Start: f.PTS, Box: fd.Box})
				best.take(f.Img, fd.Box)
			}
			if fd.Confidence > best.e.Confidence && fd.Text == best.e.Text {
				best.e.Confidence = fd.Confidence
			}
			continue
		}
		e := &Exposure{Finding: fd, Start: f.PTS, First: f.N, Spans: []Span{{Start: f.PTS, Box: fd.Box}}}
		o := &openExp{e: e, fp: fp, seen: true}
		o.take(f.Img, fd.Box)
		r.open = append(r.open, o)
		if r.cfg.OnExposure != nil {
			if err := r.cfg.OnExposure(e, f.Img); err != nil {
				return err
			}
		}
	}
	kept := r.open[:0]
	for _, o := range r.open {
		if o.seen || o.unchanged(f.Img) {
			kept = append(kept, o)
			continue
		}
		r.finish(o.e, f.PTS, f.N-1)
	}
	clear(r.open[len(kept):])
	r.open = kept
	return nil
}

func (r *reader) finish(e *Exposure, end float64, last int) {
	// A broken file's timestamps may run backwards: a span never ends
	// before it starts.
	end = max(end, e.Start)
	e.End, e.Last = end, max(last, e.First)
	e.Spans[len(e.Spans)-1].End = end
	r.res.Exposures = append(r.res.Exposures, e)
}

func (r *reader) closeAll(end float64, last int) {
	for _, o := range r.open {
		r.finish(o.e, end, last)
	}
	r.open = nil
}

// changedTiles compares cur with ref tile by tile (see pixTol) and returns
// the bounding boxes, exact to the pixel, of connected groups of changed
// tiles. Rows that are byte-identical (the usual case: H.264 skips static
// blocks) cost one comparison.
func changedTiles(ref, cur *image.RGBA) []image.Rectangle {
	w, h := cur.Rect.Dx(), cur.Rect.Dy()
	nx, ny := (w+tileW-1)/tileW, (h+tileH-1)/tileH
	counts := make([]int32, nx*ny)
	boxes := make([]image.Rectangle, nx*ny)
	any := false
	for y := 0; y < h; y++ {
		pr := ref.Pix[y*ref.Stride : y*ref.Stride+4*w]
		cr := cur.Pix[y*cur.Stride : y*cur.Stride+4*w]
		if string(pr) == string(cr) {
			continue
		}
		ty := y / tileH
		for x := 0; x < w; x++ {
			i := 4 * x
			if absDiff(pr[i], cr[i]) <= pixTol && absDiff(pr[i+1], cr[i+1]) <= pixTol && absDiff(pr[i+2], cr[i+2]) <= pixTol {
				continue
			}
			k := ty*nx + x/tileW
			counts[k]++
			boxes[k] = boxes[k].Union(image.Rect(x, y, x+1, y+1))
			any = true
		}
	}
	if !any {
		return nil
	}
	changed := func(k int) bool { return counts[k] >= minTilePix }
	seen := make([]bool, nx*ny)
	var out []image.Rectangle
	for k := range counts {
		if seen[k] || !changed(k) {
			continue
		}
		seen[k] = true
		stack := []int{k}
		var rc image.Rectangle
		for len(stack) > 0 {
			t := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			rc = rc.Union(boxes[t])
			tx, ty := t%nx, t/nx
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := tx+dx, ty+dy
					if x < 0 || y < 0 || x >= nx || y >= ny {
						continue
					}
					n := y*nx + x
					if !seen[n] && changed(n) {
						seen[n] = true
						stack = append(stack, n)
					}
				}
			}
		}
		out = append(out, rc)
	}
	return out
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

func copyRect(dst, src *image.RGBA, r image.Rectangle) {
	r = r.Intersect(src.Rect).Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o, d := src.PixOffset(r.Min.X, y), dst.PixOffset(r.Min.X, y)
		copy(dst.Pix[d:d+4*r.Dx()], src.Pix[o:o+4*r.Dx()])
	}
}
