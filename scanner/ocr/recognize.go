package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/internal/geom"
)

const (
	maxUpscale = 3.5
	// Canvases: pieces are stacked into canvases so that many small lines
	// cost one Tesseract call (each call has a fixed cost of several ms)
	// while a big screen still splits into several calls per worker. Costs
	// are in pieceCost units.
	maxCanvasArea = 4_000_000 // memory bound per call
	// maxCanvasSide bounds a canvas's height and width. Tesseract cannot
	// handle an image side over 32767 px: Recognize fails, and gosseract
	// then dereferences a null result iterator and the worker dies. A
	// spreadsheet's 600 row numbers, each a narrow piece, once stacked into
	// a 112×59867 canvas within the area bound.
	maxCanvasSide = 16_000
	maxCanvasCost = 40_000 // ~ a third of a dense 1080p spreadsheet
	minSplitCost  = 8_000  // ~ 10 lines of text: a notification stays whole
	canvasMargin  = 12
	// PSM 6 (one uniform block) for canvases: the layout is already known,
	// pieces are separated by white gaps and scaled to one text height, so
	// Tesseract only has to find the lines. PSM 7 for a lone line.
	psmSingleBlock  = 6
	psmSingleLine   = 7
	minUnitInkCount = 6
)

// piece is one leaf of the layout, scaled and ready to place on a canvas.
type piece struct {
	img        *gray
	src        image.Rectangle // source rectangle (image coordinates) img shows
	scale      float64         // img pixels per source pixel
	block      int
	seq        int
	singleLine bool
	place      image.Point // top-left in its canvas
}

type canvas struct {
	pieces []*piece
	w, h   int
}

func (e *Engine) recognize(ctx context.Context, img image.Image, rects []image.Rectangle, urgent bool) ([]rules.Line, error) {
	return e.recognizeOn(ctx, img, rects, urgent, e.opts.Workers)
}

// recognizeOn reads with at most workers OCR calls in flight.
func (e *Engine) recognizeOn(ctx context.Context, img image.Image, rects []image.Rectangle, urgent bool, workers int) ([]rules.Line, error) {
	bounds := img.Bounds()
	rects = mergeOverlapping(rects, bounds)
	// Regions are independent: prepare them in parallel while the CPU is
	// otherwise idle (workers have nothing to do yet). Block ids are local to
	// a region and offset by its index, so the order is deterministic.
	var (
		mu     sync.Mutex
		pieces []*piece
		wg     sync.WaitGroup
	)
	sem := make(chan struct{}, max(1, e.opts.Workers))
	for ri, r := range rects {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			next := 0
			ps := prepare(img, r, func() int { next++; return ri<<20 | next })
			mu.Lock()
			pieces = append(pieces, ps...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Reading order: regions in the order given, then layout order (block
	// ids are allocated in that order).
	slices.SortStableFunc(pieces, func(a, b *piece) int {
		if a.block != b.block {
			return a.block - b.block
		}
		if a.src.Min.Y != b.src.Min.Y {
			return a.src.Min.Y - b.src.Min.Y
		}
		return a.src.Min.X - b.src.Min.X
	})
	for i, p := range pieces {
		p.seq = i
	}
	canvases := pack(pieces, workers)
	calls := make(chan struct{}, workers)

	type result struct {
		words []wordBox
		err   error
	}
	results := make([]result, len(canvases))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, c := range canvases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case calls <- struct{}{}:
				defer func() { <-calls }()
			case <-ctx.Done():
				results[i].err = ctx.Err()
				return
			}
			req := c.request()
			resp, err := e.pool.do(ctx, req, urgent)
			if err != nil {
				cancel()
				results[i].err = err
				return
			}
			results[i].words = resp.Words
		}()
	}
	wg.Wait()
	// The first real failure wins over the cancellations it caused.
	var firstErr error
	for _, r := range results {
		if r.err != nil && (firstErr == nil || errors.Is(firstErr, context.Canceled)) {
			firstErr = r.err
		}
	}
	if firstErr != nil {
		return nil, fmt.Errorf("ocr: recognise: %w", firstErr)
	}
	return assemble(canvases, func(i int) []wordBox { return results[i].words }), nil
}

// segContext is how far around a requested region the background is
// analysed: a region cut tight around a line of text has too little of its
// background inside it to recognise it as background.
const segContext = 32

// mergeOverlapping clips rects to bounds, drops slivers and merges
// overlapping rectangles into their union, so that no text is read twice.
func mergeOverlapping(rects []image.Rectangle, bounds image.Rectangle) []image.Rectangle {
	var out []image.Rectangle
	for _, r := range rects {
		r = r.Intersect(bounds)
		if r.Dx() < 4 || r.Dy() < 4 {
			continue
		}
		out = append(out, r)
	}
	return geom.Merge(out, 0)
}

// prepare segments one region and returns its text pieces.
func prepare(img image.Image, r image.Rectangle, newBlock func() int) []*piece {
	outer := r.Inset(-segContext).Intersect(img.Bounds())
	f := newFrame(img, outer)
	seg := segment(f)
	inner := r.Sub(outer.Min) // the requested region in frame coordinates
	type ubox struct {
		x0, y0, x1, y1, n int
	}
	boxes := make([]ubox, seg.nunits)
	for i := range boxes {
		boxes[i] = ubox{x0: seg.w, y0: seg.h}
	}
	for y := inner.Min.Y; y < inner.Max.Y; y++ {
		for x := inner.Min.X; x < inner.Max.X; x++ {
			i := y*seg.w + x
			if seg.ink[i] >= inkThresh {
				continue
			}
			b := &boxes[seg.unit[i]]
			b.x0, b.y0 = min(b.x0, x), min(b.y0, y)
			b.x1, b.y1 = max(b.x1, x+1), max(b.y1, y+1)
			b.n++
		}
	}
	// Units in reading order of their ink boxes.
	order := make([]int, 0, len(boxes))
	for u, b := range boxes {
		if b.n >= minUnitInkCount {
			order = append(order, u)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		if boxes[a].y0 != boxes[b].y0 {
			return boxes[a].y0 - boxes[b].y0
		}
		return boxes[a].x0 - boxes[b].x0
	})
	var out []*piece
	for _, u := range order {
		b := boxes[u]
		crop := image.Rect(b.x0-3, b.y0-3, b.x1+3, b.y1+3).Intersect(inner)
		g := &gray{w: crop.Dx(), h: crop.Dy(), pix: make([]uint8, crop.Dx()*crop.Dy())}
		for y := 0; y < g.h; y++ {
			for x := 0; x < g.w; x++ {
				i := (crop.Min.Y+y)*seg.w + crop.Min.X + x
				v := uint8(255)
				if seg.unit[i] == int32(u) {
					v = seg.ink[i]
				}
				g.pix[y*g.w+x] = v
			}
		}
		bs := blobs(g)
		col := func(x, y int) [3]int {
			i := 4 * ((crop.Min.Y+y)*f.w + crop.Min.X + x)
			return [3]int{int(f.pix[i]), int(f.pix[i+1]), int(f.pix[i+2])}
		}
		if r != img.Bounds() {
			// Only a requested region has edges that cut through things.
			eraseEdgeSolids(g, bs, inner.Sub(crop.Min))
		}
		gh := glyphHeight(bs)
		if gh == 0 {
			continue
		}
		// Rules first: a selection frame or grid line is long strong ink
		// that would otherwise pass for the text colour.
		eraseRules(g, gh)
		eraseDecorations(g, col, gh)
		c := &cutter{g: g, colGap: max(2*gh, 8), paraGap: max(gh*6/5, 6), newBlock: newBlock}
		c.cut(image.Rect(0, 0, g.w, g.h), newBlock(), 0)
		pad := max(2, gh/3)
		// Leaves are independent; a screen's big unit has hundreds of them.
		made := make([]*piece, len(c.leaves))
		parallelFor(len(c.leaves), func(i int) {
			l := c.leaves[i]
			if l.r.Dx() < 3 && l.r.Dy() < 3 {
				return
			}
			lr := l.r.Inset(-pad).Intersect(image.Rect(0, 0, g.w, g.h))
			sub := g.sub(lr)
			// Scale per leaf, not per unit: a unit mixes sizes (title, body,
			// footnote), and pieces sharing a canvas must have similar text
			// heights or Tesseract drops the small ones as noise.
			bs := blobs(sub)
			lg := glyphHeight(bs)
			if lg == 0 {
				// No glyph-sized blob: either a run of letters merged into
				// one wide blob (bold, tight text: keep, sized by its
				// height) or specks and rules (skip).
				lg = wordHeight(bs)
				if lg == 0 {
					return
				}
			}
			// A very wide line (a 9000 px image) must still fit a canvas.
			s := min(scaleFor(lg), float64(maxCanvasSide-2*canvasMargin)/float64(sub.w))
			made[i] = &piece{
				img:        resize(sub, s),
				src:        lr.Add(crop.Min).Add(outer.Min),
				scale:      s,
				block:      l.block,
				singleLine: l.r.Dy() <= lg*9/5,
			}
		})
		for _, p := range made {
			if p != nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// parallelFor runs f(0..n-1) on all CPUs.
func parallelFor(n int, f func(int)) {
	workers := min(n, runtime.NumCPU())
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// scaleFor picks the scale for text of glyph height g: small UI text is
// enlarged, huge HiDPI titles are reduced (they cost pixels, not accuracy).
func scaleFor(g int) float64 {
	switch {
	case g < targetGlyph:
		return math.Min(maxUpscale, float64(targetGlyph)/float64(g))
	case g > targetGlyph*3/2:
		// Reduce big text towards the target: fewer pixels, and canvases
		// whose pieces have similar text heights.
		return math.Max(0.34, 1.25*float64(targetGlyph)/float64(g))
	}
	return 1
}

func (g *gray) sub(r image.Rectangle) *gray {
	s := &gray{w: r.Dx(), h: r.Dy(), pix: make([]uint8, r.Dx()*r.Dy())}
	for y := 0; y < s.h; y++ {
		copy(s.pix[y*s.w:(y+1)*s.w], g.pix[(r.Min.Y+y)*g.w+r.Min.X:])
	}
	return s
}

// resize scales bilinearly when enlarging and by area averaging when
// reducing, so thin strokes survive either way.
func resize(g *gray, s float64) *gray {
	if s == 1 {
		return g
	}
	w, h := max(1, int(math.Round(float64(g.w)*s))), max(1, int(math.Round(float64(g.h)*s)))
	out := &gray{w: w, h: h, pix: make([]uint8, w*h)}
	if s > 1 {
		for y := 0; y < h; y++ {
			fy := (float64(y)+0.5)/s - 0.5
			y0 := int(math.Floor(fy))
			dy := fy - float64(y0)
			y1 := min(g.h-1, y0+1)
			y0 = max(0, y0)
			for x := 0; x < w; x++ {
				fx := (float64(x)+0.5)/s - 0.5
				x0 := int(math.Floor(fx))
				dx := fx - float64(x0)
				x1 := min(g.w-1, x0+1)
				x0 = max(0, x0)
				a := float64(g.pix[y0*g.w+x0])*(1-dx) + float64(g.pix[y0*g.w+x1])*dx
				b := float64(g.pix[y1*g.w+x0])*(1-dx) + float64(g.pix[y1*g.w+x1])*dx
				out.pix[y*w+x] = uint8(a*(1-dy) + b*dy + 0.5)
			}
		}
		return out
	}
	for y := 0; y < h; y++ {
		sy0, sy1 := int(float64(y)/s), max(int(float64(y)/s)+1, int(float64(y+1)/s))
		sy1 = min(sy1, g.h)
		for x := 0; x < w; x++ {
			sx0, sx1 := int(float64(x)/s), max(int(float64(x)/s)+1, int(float64(x+1)/s))
			sx1 = min(sx1, g.w)
			sum, n := 0, 0
			for yy := sy0; yy < sy1; yy++ {
				for xx := sx0; xx < sx1; xx++ {
					sum += int(g.pix[yy*g.w+xx])
					n++
				}
			}
			if n > 0 {
				out.pix[y*w+x] = uint8(sum / n)
			}
		}
	}
	return out
}

// pieceCost estimates Tesseract's work for a piece: its LSTM runs along the
// line after scaling it to a fixed height, so the cost follows the aspect
// ratio (text length), plus a little per pixel for thresholding and blob
// finding. Units: pixels of a 36 px high line.
func pieceCost(p *piece) int {
	return 36*p.img.w/max(1, p.img.h) + p.img.w*p.img.h/400
}

// pack stacks pieces vertically into canvases, one piece per "row", so that
// no two pieces share a text line. A big job is cut into a few canvases per
// worker so that the pool balances uneven ones; a small job stays in one
// canvas, since every call has a fixed cost of several ms.
func pack(pieces []*piece, workers int) []*canvas {
	if len(pieces) == 0 {
		return nil
	}
	gap := func(p *piece) int { return max(canvasMargin, p.img.h/2) }
	total := 0
	for _, p := range pieces {
		total += pieceCost(p)
	}
	k := (total + maxCanvasCost - 1) / maxCanvasCost
	if total >= minSplitCost {
		k = max(k, 3*workers)
	}
	k = max(1, min(k, len(pieces)))
	// Similar widths together waste less white canvas.
	byWidth := slices.Clone(pieces)
	slices.SortStableFunc(byWidth, func(a, b *piece) int { return b.img.w - a.img.w })
	target := (total + k - 1) / k
	var out []*canvas
	cur := &canvas{}
	cost, area, height := 0, 0, 0
	for _, p := range byWidth {
		c := pieceCost(p)
		a := (p.img.w + 2*canvasMargin) * (p.img.h + gap(p))
		tall := height + p.img.h + gap(p) + 2*canvasMargin
		if len(cur.pieces) > 0 && (cost+c > target && len(out) < k-1 || area+a > maxCanvasArea || tall > maxCanvasSide) {
			out = append(out, cur)
			cur, cost, area, height = &canvas{}, 0, 0, 0
		}
		cur.pieces = append(cur.pieces, p)
		cost += c
		area += a
		height += p.img.h + gap(p)
	}
	out = append(out, cur)
	for _, c := range out {
		y := canvasMargin
		for _, p := range c.pieces {
			p.place = image.Pt(canvasMargin, y)
			c.w = max(c.w, p.img.w+2*canvasMargin)
			y += p.img.h + gap(p)
		}
		c.h = y - gap(c.pieces[len(c.pieces)-1]) + canvasMargin
	}
	return out
}

func (c *canvas) request() *request {
	pix := make([]uint8, c.w*c.h)
	for i := range pix {
		pix[i] = 255
	}
	for _, p := range c.pieces {
		for y := 0; y < p.img.h; y++ {
			copy(pix[(p.place.Y+y)*c.w+p.place.X:], p.img.pix[y*p.img.w:(y+1)*p.img.w])
		}
	}
	psm := psmSingleBlock
	if len(c.pieces) == 1 && c.pieces[0].singleLine {
		psm = psmSingleLine
	}
	return &request{PSM: psm, W: c.w, H: c.h, Pix: pix}
}

// assemble maps words back to source coordinates and groups them into lines.
func assemble(canvases []*canvas, words func(int) []wordBox) []rules.Line {
	type key struct{ seq, block, par, line int }
	type acc struct {
		key   key
		block int
		words []rules.Word
	}
	groups := map[key]*acc{}
	for ci, c := range canvases {
		for _, wb := range words(ci) {
			cy := int(wb.Y0+wb.Y1) / 2
			var p *piece
			for _, q := range c.pieces {
				if cy >= q.place.Y-canvasMargin && cy < q.place.Y+q.img.h+canvasMargin {
					p = q
					break
				}
			}
			if p == nil {
				continue // in the white space between pieces: noise
			}
			box := p.toSource(wb)
			if box.Empty() {
				continue
			}
			k := key{p.seq, int(wb.Block), int(wb.Par), int(wb.Line)}
			a := groups[k]
			if a == nil {
				a = &acc{key: k, block: p.block}
				groups[k] = a
			}
			conf := float64(wb.Conf) / 100
			a.words = append(a.words, rules.Word{Text: fixInnerDash(fixSlashedZero(wb.Text)), Box: box, Conf: math.Max(0, math.Min(1, conf))})
		}
	}
	accs := make([]*acc, 0, len(groups))
	for _, a := range groups {
		accs = append(accs, a)
	}
	slices.SortFunc(accs, func(a, b *acc) int {
		for _, d := range [...]int{a.key.seq - b.key.seq, a.key.block - b.key.block, a.key.par - b.key.par, a.key.line - b.key.line} {
			if d != 0 {
				return d
			}
		}
		return 0
	})
	// Renumber blocks densely in reading order.
	blockNo := map[int]int{}
	lines := make([]rules.Line, 0, len(accs))
	for _, a := range accs {
		slices.SortStableFunc(a.words, func(x, y rules.Word) int { return x.Box.X - y.Box.X })
		a.words = joinSplitWords(a.words)
		fixDollar(a.words)
		bn, ok := blockNo[a.block]
		if !ok {
			bn = len(blockNo) + 1
			blockNo[a.block] = bn
		}
		l := rules.Line{Words: a.words, Block: bn}
		for _, w := range a.words {
			l.Box = l.Box.Union(w.Box)
		}
		lines = append(lines, l)
	}
	return lines
}

// toSource maps a word box on the canvas back to the source image.
func (p *piece) toSource(wb wordBox) rules.Box {
	fx0 := float64(int(wb.X0)-p.place.X) / p.scale
	fy0 := float64(int(wb.Y0)-p.place.Y) / p.scale
	fx1 := float64(int(wb.X1)-p.place.X) / p.scale
	fy1 := float64(int(wb.Y1)-p.place.Y) / p.scale
	x0 := max(p.src.Min.X, p.src.Min.X+int(math.Floor(fx0)))
	y0 := max(p.src.Min.Y, p.src.Min.Y+int(math.Floor(fy0)))
	x1 := min(p.src.Max.X, p.src.Min.X+int(math.Ceil(fx1)))
	y1 := min(p.src.Max.Y, p.src.Min.Y+int(math.Ceil(fy1)))
	return rules.Box{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
}

// targetGlyph is the glyph height (median connected-component height,
// between x-height and cap height) every line is scaled to. Measured on
// 2,520 synthetic words (10-16 px, five styles): 12 → 98.9 %, 14 → 99.3 %,
// 16 → 99.4 %, 20 → 98.5 %, 26 → 97.7 % read exactly; small text below the
// target gains most, and Tesseract's cost hardly depends on it (its LSTM
// rescales every line to a fixed height). A variable for tuning tests.
var targetGlyph = 16
