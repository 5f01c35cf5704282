// Package lineread is the one way demoguard reads regions of a screen
// image: a region is cut into text pieces (change.Lines), each keyed by its
// pixels (linecache.Key); pieces the line cache knows are not read again;
// runs of consecutive unknown pieces go to OCR as one rectangle with a
// margin, in batches; what OCR returns is given back to the runs and, per
// piece, to the cache.
//
// The live agent (asynchronously, through its queue), the recording reader
// and `scan` of images and PDF pages (synchronously, with Read) all read
// this way, so the same pixels get the same segmentation, the same OCR
// context and the same confidences, hence the same verdict: a scanned
// screenshot is read exactly as `watch` reads that screen when it first
// appears. Before, scan read the whole image in one call and watch read it
// run by run, and a name could clear the confidence floor in one and not
// in the other.
package lineread

import (
	"cmp"
	"context"
	"image"
	"slices"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/change"
	"github.com/demoguard/demoguard/scanner/internal/geom"
	"github.com/demoguard/demoguard/scanner/internal/onscreen"
	"github.com/demoguard/demoguard/scanner/linecache"
)

// Recognizer reads text in regions of an image (*ocr.Engine); lines come
// back in the image's coordinates.
type Recognizer interface {
	RecognizeRegions(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error)
}

// Cache remembers what was read in a piece, by its pixels
// (*linecache.Cache).
type Cache interface {
	Get(key uint64, origin image.Point) ([]rules.Line, bool)
	Put(key uint64, origin image.Point, lines []rules.Line)
}

const (
	// Margin is the context given around a run of pieces for OCR:
	// Tesseract reads a tight single-line crop worse than the same line
	// with its surroundings.
	Margin = 8
	// RunShare bounds one run to this share of the image's area. Shares,
	// not pixels: the same layout on a 4K or a 1366×768 screen gets the
	// same number of runs. Small enough that a big read can be ordered
	// (likely lines first, see Likely), large enough that a run is a few
	// lines with their context.
	RunShare = 48
	// A batch (one RecognizeRegions call) of a big read holds at most
	// MaxBatchJobs runs covering at most 1/BatchShare of the image.
	MaxBatchJobs = 48
	BatchShare   = 8
)

// Piece is a text line (or cell) of a region: the unit of the line cache.
type Piece struct {
	Rect image.Rectangle
	Key  uint64
}

// Job is a run of consecutive pieces the cache did not know, read as one
// rectangle (the pieces' union with Margin, clipped to the image).
type Job struct {
	Rect   image.Rectangle
	Pieces []Piece
	Block  int // layout block of its lines (Read: its region's)
}

// Plan cuts region r of img into pieces and returns the runs to read.
// Every piece, in reading order, is first offered to known (nil: none is
// known), which returns whether its lines are already known (a cache hit
// the caller has used); a known piece ends the run before it. A run also
// ends before a piece that would make it cover more than 1/RunShare of img.
// img's origin must be 0,0.
func Plan(img *image.RGBA, r image.Rectangle, known func(Piece) bool) []Job {
	var jobs []Job
	var run []Piece
	var box image.Rectangle
	flush := func() {
		if len(run) == 0 {
			return
		}
		jobs = append(jobs, Job{Rect: box.Inset(-Margin).Intersect(img.Rect), Pieces: run})
		run, box = nil, image.Rectangle{}
	}
	limit := geom.Area(img.Rect) / RunShare
	for _, p := range change.Lines(img, r) {
		pc := Piece{Rect: p, Key: Key(img, p)}
		if known != nil && known(pc) {
			flush()
			continue
		}
		if len(run) > 0 && geom.Area(box.Union(p)) > limit {
			flush()
		}
		run = append(run, pc)
		box = box.Union(p)
	}
	flush()
	return jobs
}

// Key is the cache key of piece p of img: the hash of its ink, without the
// 2 px of margin change.Lines gives each piece. The margin is what lies
// around the text — for a line clipped at the edge of a terminal, the
// document beside it — and a line that scrolls must keep its key.
func Key(img *image.RGBA, p image.Rectangle) uint64 {
	if in := p.Inset(2); !in.Empty() {
		p = in
	}
	return linecache.Key(img, p)
}

// appendNew appends the lines read to out, but for a line out already
// holds at nearly the same box (four fifths of each): two runs whose
// margins took in the same line read it twice. A line that only lies
// mostly under another (a cell under a row read whole) is kept: they
// are not the same read.
func appendNew(out, read []rules.Line) []rules.Line {
	for _, n := range read {
		nb := geom.Rect(n.Box)
		dup := false
		for _, o := range out {
			ob := geom.Rect(o.Box)
			in := geom.Area(nb.Intersect(ob))
			if 5*in >= 4*geom.Area(nb) && 5*in >= 4*geom.Area(ob) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, n)
		}
	}
	return out
}

// Fits reports whether a run of rectangle r may join a batch of n runs
// covering area pixels of frame. The first run of a batch always goes in,
// whatever its size.
func Fits(n, area int, r, frame image.Rectangle) bool {
	return n == 0 || n < MaxBatchJobs && area+geom.Area(r) <= geom.Area(frame)/BatchShare
}

// Batches groups the runs of a big read (a screen seen for the first time,
// an image) into OCR calls as the live agent's bulk lane takes them: the
// likeliest runs first (the highest Likely of their pieces), then in
// reading order; each batch takes, in that order, every remaining run that
// Fits; the rest wait for the next batch.
func Batches(img *image.RGBA, jobs []Job) [][]Job {
	type scored struct {
		j Job
		s float64
	}
	order := make([]scored, len(jobs))
	for i, j := range jobs {
		order[i].j = j
		for _, p := range j.Pieces {
			order[i].s = max(order[i].s, Likely(img, p.Rect))
		}
	}
	slices.SortStableFunc(order, func(a, b scored) int {
		if a.s != b.s {
			return cmp.Compare(b.s, a.s)
		}
		if a.j.Rect.Min.Y != b.j.Rect.Min.Y {
			return a.j.Rect.Min.Y - b.j.Rect.Min.Y
		}
		return a.j.Rect.Min.X - b.j.Rect.Min.X
	})
	var out [][]Job
	for len(order) > 0 {
		var batch []Job
		var rest []scored
		area := 0
		for _, o := range order {
			if Fits(len(batch), area, o.j.Rect, img.Rect) {
				batch = append(batch, o.j)
				area += geom.Area(o.j.Rect)
				continue
			}
			rest = append(rest, o)
		}
		out = append(out, batch)
		order = rest
	}
	return out
}

// Split gives each line OCR read for a batch to the rectangle (of rects,
// the batch's runs) it overlaps most; a line overlapping none is dropped.
func Split(rects []image.Rectangle, lines []rules.Line) [][]rules.Line {
	per := make([][]rules.Line, len(rects))
	for _, l := range lines {
		best, bestArea := -1, 0
		lr := geom.Rect(l.Box)
		for i, r := range rects {
			if a := geom.Area(lr.Intersect(r)); a > bestArea {
				best, bestArea = i, a
			}
		}
		if best >= 0 {
			per[best] = append(per[best], l)
		}
	}
	return per
}

// Store remembers the lines read for a run under its pieces' keys. A line
// is a piece's if it lies (mostly) inside it; if any line spans pieces (OCR
// joined two table cells) nothing is stored, since a piece would then be
// remembered without its text.
func Store(c Cache, pieces []Piece, lines []rules.Line) {
	rects := make([]image.Rectangle, len(pieces))
	for i, p := range pieces {
		rects[i] = p.Rect
	}
	per, ok := onscreen.ByPiece(rects, lines)
	if !ok {
		return
	}
	for i, p := range pieces {
		c.Put(p.Key, p.Rect.Min, per[i])
	}
}

// Stats count what a Read did.
type Stats struct {
	Pieces, CacheHits int // pieces cut; of them, known to the cache
	Runs, OCRCalls    int // runs read; RecognizeRegions calls
}

// Read reads regions of img as the live agent reads a large change (a
// screen seen for the first time: its bulk lane): Plan per region, the
// runs in Batches (likeliest first), one RecognizeRegions call per batch,
// Split, and the lines stored in cache (nil: no cache). The agent reads a
// small change in its urgent lane, oldest first and in smaller batches; a
// recording's small changes are read here in the large-change order.
// Each region is one layout block, as in the agent (for `near` rules
// `within = "block"`): blocks are numbered from *block+1, and *block is
// left at the last one used. st (may be nil) is added to. img's origin
// must be 0,0.
func Read(ctx context.Context, rec Recognizer, img *image.RGBA, regions []image.Rectangle, cache Cache, block *int, st *Stats) ([]rules.Line, error) {
	if st == nil {
		st = &Stats{}
	}
	var out []rules.Line
	var jobs []Job
	for _, r := range regions {
		*block++
		b := *block
		for _, j := range Plan(img, r, func(p Piece) bool {
			st.Pieces++
			if cache == nil {
				return false
			}
			ls, ok := cache.Get(p.Key, p.Rect.Min)
			if ok {
				st.CacheHits++
				out = append(out, onscreen.InBlock(ls, b)...)
			}
			return ok
		}) {
			j.Block = b
			jobs = append(jobs, j)
		}
	}
	st.Runs += len(jobs)
	for _, batch := range Batches(img, jobs) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rects := make([]image.Rectangle, len(batch))
		for i, j := range batch {
			rects[i] = j.Rect
		}
		st.OCRCalls++
		lines, err := rec.RecognizeRegions(ctx, img, rects)
		if err != nil {
			return nil, err
		}
		for i, ls := range Split(rects, lines) {
			if cache != nil {
				Store(cache, batch[i].Pieces, ls)
			}
			out = appendNew(out, onscreen.InBlock(ls, batch[i].Block))
		}
	}
	return out, nil
}

// Likely rates, from pixels alone, how likely a line of text holds what the
// rules look for, so that a big read reaches those lines first. Amounts,
// account numbers, keys, names and classification markers are digits and
// capitals, which reach the cap height; prose is mostly x-height letters.
// The rating is the share of the line's ink columns with ink in the top
// third of its body (cap top to baseline): about 1 for "$4,200,000" or
// "CONFIDENTIAL", 0.2–0.4 for a sentence. It reads each pixel once.
func Likely(img *image.RGBA, r image.Rectangle) float64 {
	r = r.Intersect(img.Rect)
	if r.Dx() < 4 || r.Dy() < 6 {
		return 0
	}
	// Pieces are cut on blank rows and columns with a margin of background,
	// so a corner is background.
	bg := img.PixOffset(r.Min.X, r.Min.Y)
	br, bgc, bb := int(img.Pix[bg]), int(img.Pix[bg+1]), int(img.Pix[bg+2])
	ink := func(x, y int) bool {
		o := img.PixOffset(x, y)
		d := max(absInt(int(img.Pix[o])-br), absInt(int(img.Pix[o+1])-bgc), absInt(int(img.Pix[o+2])-bb))
		return d > 64
	}
	rows := make([]int, r.Dy())
	top, peak := -1, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		n := 0
		for x := r.Min.X; x < r.Max.X; x++ {
			if ink(x, y) {
				n++
			}
		}
		rows[y-r.Min.Y] = n
		if n > 0 && top < 0 {
			top = y - r.Min.Y
		}
		peak = max(peak, n)
	}
	if top < 0 {
		return 0
	}
	// The baseline is the last row of the body: descenders are sparse.
	base := top
	for i := len(rows) - 1; i >= top; i-- {
		if 10*rows[i] >= 4*peak {
			base = i
			break
		}
	}
	body := base - top + 1
	if body < 6 {
		return 0.5 // too small to tell: between prose and figures
	}
	upper := r.Min.Y + top + body/3
	inkCols, upperCols := 0, 0
	for x := r.Min.X; x < r.Max.X; x++ {
		any, up := false, false
		for y := r.Min.Y + top; y <= r.Min.Y+base; y++ {
			if ink(x, y) {
				any = true
				if y < upper {
					up = true
					break
				}
			}
		}
		if any {
			inkCols++
			if up {
				upperCols++
			}
		}
	}
	if inkCols == 0 {
		return 0
	}
	return float64(upperCols) / float64(inkCols)
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
