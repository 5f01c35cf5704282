package scan

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"os"
	"runtime"
	"sync"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/internal/lineread"
)

// Memory. A page costs memory in proportion to its pixels: the decoded
// image (4 bytes a pixel as RGBA, less for paletted, grey and JPEG images)
// stays for the whole page, and OCR's background analysis needs about 12
// bytes a pixel more (measured: a 100 MP page read whole peaked at 1.5 GB)
// of whatever it analyses at once. Two things bound it:
//
//   - a page bigger than bandPixels is recognised in horizontal bands, one
//     after the other, so the analysis needs memory for one band, not for
//     the whole page;
//   - pages in flight are bounded by their weight, not only by their number
//     (pixelBudget, Options.MaxInFlightPixels): the page's pixels plus three
//     times the pixels analysed at once, that is its peak memory in units
//     of 4 bytes (one RGBA pixel).
//
// The decoded image is released when its page is done, before the page
// that takes its place in the budget is decoded.

// pixelBudget is a FIFO weighted semaphore counting pixels: a page waits
// until the pixels of the pages in flight plus its own fit the budget. A
// page bigger than the whole budget waits for an empty budget and then runs
// alone. First come, first served, so a big page is not starved by small
// ones overtaking it.
type pixelBudget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	waiters []*budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

func newPixelBudget(size int64) *pixelBudget { return &pixelBudget{size: size} }

// acquire takes n pixels (clamped to the budget) and returns what to
// release, or the context's error.
func (b *pixelBudget) acquire(ctx context.Context, n int64) (int64, error) {
	n = max(0, min(n, b.size))
	b.mu.Lock()
	if len(b.waiters) == 0 && b.used+n <= b.size {
		b.used += n
		b.mu.Unlock()
		return n, nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return n, nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready: // granted meanwhile: give it back
			b.used -= n
		default:
			for i, x := range b.waiters {
				if x == w {
					b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
					break
				}
			}
		}
		b.wake()
		b.mu.Unlock()
		return 0, ctx.Err()
	}
}

func (b *pixelBudget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.wake()
	b.mu.Unlock()
}

// wake grants waiters in order while they fit; b.mu is held.
func (b *pixelBudget) wake() {
	for len(b.waiters) > 0 && b.used+b.waiters[0].n <= b.size {
		w := b.waiters[0]
		b.waiters = b.waiters[1:]
		b.used += w.n
		close(w.ready)
	}
}

// pageWeightOf is pageWeight of a page from the image header or pdfinfo's
// page size, without decoding anything; 0 when unknown (loading the page
// will then report the error). Writing evidence copies the page once more.
func (s *Scanner) pageWeightOf(src *source, page int) int64 {
	w, h := s.pageSize(src, page)
	if s.opt.EvidenceDir != "" && w > 0 && h > 0 {
		return pageWeight(w, h) + int64(w)*int64(h)
	}
	return pageWeight(w, h)
}

func (s *Scanner) pageSize(src *source, page int) (w, h int) {
	if src.kind == kindPDF {
		if page >= len(src.sizes) {
			return 0, 0
		}
		ps := src.sizes[page]
		return ptToPx(ps.W, s.opt.PDFDPI), ptToPx(ps.H, s.opt.PDFDPI)
	}
	var cfg image.Config
	var err error
	if src.data != nil {
		cfg, _, err = image.DecodeConfig(bytes.NewReader(src.data))
	} else {
		f, oerr := os.Open(src.path)
		if oerr != nil {
			return 0, 0
		}
		cfg, _, err = image.DecodeConfig(bufio.NewReader(f))
		f.Close()
	}
	if err != nil {
		return 0, 0
	}
	return cfg.Width, cfg.Height
}

// forOCR returns the decoded image in the form OCR reads without copying,
// with transparency flattened. An NRGBA image (PNG with alpha) is turned into
// RGBA in place, saving OCR a 4-byte-a-pixel copy. Paletted, grey and JPEG
// (YCbCr) images are smaller than RGBA and are converted band by band as
// OCR reads them, so they are kept as they are.
//
// Transparent pixels are shown on a background, as a viewer does: OCR
// reads only colour, and the colour stored under full transparency is
// usually black, so dark text on a transparent PNG or GIF was read as black
// on black — nothing, and the image called clean. Viewers differ (white,
// dark, a checkerboard); the background chosen is the one the image's
// opaque content stands out from: white under mostly dark content, black
// under mostly light content.
func forOCR(img image.Image) image.Image {
	switch m := img.(type) {
	case *image.NRGBA:
		flattenNRGBA(m)
		return &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
	case *image.Paletted:
		flattenPaletted(m)
	}
	return img
}

// luma is the 0..255 brightness of an 8-bit colour.
func luma(r, g, b uint8) int { return (299*int(r) + 587*int(g) + 114*int(b)) / 1000 }

// background picks white when the opaque content is mostly dark (or there
// is none), black when it is mostly light.
func background(sum, n int64) uint8 {
	if n > 0 && sum/n >= 128 {
		return 0
	}
	return 255
}

func flattenNRGBA(m *image.NRGBA) {
	var sum, n int64
	translucent := false
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):][:4*m.Rect.Dx()]
		for i := 0; i < len(row); i += 4 {
			if a := row[i+3]; a >= 128 {
				sum += int64(luma(row[i], row[i+1], row[i+2]))
				n++
				translucent = translucent || a < 255
			} else {
				translucent = true
			}
		}
	}
	if !translucent {
		return
	}
	bg := int(background(sum, n))
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):][:4*m.Rect.Dx()]
		for i := 0; i < len(row); i += 4 {
			a := int(row[i+3])
			if a == 255 {
				continue
			}
			for c := i; c < i+3; c++ {
				row[c] = uint8((int(row[c])*a + bg*(255-a) + 127) / 255)
			}
			row[i+3] = 255
		}
	}
}

func flattenPaletted(m *image.Paletted) {
	var count [256]int64
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		for _, ix := range m.Pix[m.PixOffset(m.Rect.Min.X, y):][:m.Rect.Dx()] {
			count[ix]++
		}
	}
	var sum, n int64
	translucent := false
	for i, c := range m.Palette {
		nc := color.NRGBAModel.Convert(c).(color.NRGBA)
		if nc.A < 255 && count[i] > 0 {
			translucent = true
		}
		if nc.A >= 128 {
			sum += int64(luma(nc.R, nc.G, nc.B)) * count[i]
			n += count[i]
		}
	}
	if !translucent {
		return
	}
	bg := int(background(sum, n))
	pal := make(color.Palette, len(m.Palette)) // the decoder may share its palette
	for i, c := range m.Palette {
		nc := color.NRGBAModel.Convert(c).(color.NRGBA)
		a := int(nc.A)
		mix := func(v uint8) uint8 { return uint8((int(v)*a + bg*(255-a) + 127) / 255) }
		pal[i] = color.RGBA{mix(nc.R), mix(nc.G), mix(nc.B), 255}
	}
	m.Palette = pal
}

// Tiling. bandPixels is about the most a page is analysed at once; bigger
// pages are read in horizontal bands of about that many pixels, one after
// the other, that overlap by tileOverlap rows on each side. Every line is
// kept from the one band that owns the row of its centre, so no line is read
// twice, and a line up to 2*tileOverlap pixels tall is whole in the band
// that keeps it. Lines of text are wide, so bands span the page's width;
// only a page wider than maxTileWidth (a panorama, a giant canvas) is also
// cut into columns that overlap by tileOverlap: each word is kept from the
// column owning its centre, and the pieces of a line cut by a column edge
// are joined again.
const (
	bandPixels    = 16_000_000 // a 5K screen (14.7 MP) is read whole
	tileOverlap   = 256
	minBandHeight = 1024
	maxTileWidth  = 10_000
)

// tile is a part of a page: own is the area whose lines (rows) and words
// (columns) it keeps, read the area OCR reads (own plus the overlap).
type tile struct {
	own, read image.Rectangle
	row, col  int
}

// spans splits [lo, hi) into parts of about size, the last sliver joined to
// the part before it.
func spans(lo, hi, size int) [][2]int {
	var out [][2]int
	for x := lo; x < hi; x += size {
		out = append(out, [2]int{x, min(x+size, hi)})
	}
	if n := len(out); n > 1 && out[n-1][1]-out[n-1][0] < tileOverlap {
		out[n-2][1] = out[n-1][1]
		out = out[:n-1]
	}
	return out
}

// tiles splits a page for reading; nil when it is read whole.
func tiles(b image.Rectangle) []tile {
	w, h := b.Dx(), b.Dy()
	if int64(w)*int64(h) <= bandPixels {
		return nil
	}
	cols := [][2]int{{b.Min.X, b.Max.X}}
	tw := w
	if w > maxTileWidth {
		cols = spans(b.Min.X, b.Max.X, maxTileWidth)
		tw = maxTileWidth + 2*tileOverlap
	}
	bh := max(minBandHeight, bandPixels/tw-2*tileOverlap)
	rows := [][2]int{{b.Min.Y, b.Max.Y}}
	if bh < h {
		rows = spans(b.Min.Y, b.Max.Y, bh)
	}
	if len(rows) == 1 && len(cols) == 1 {
		return nil
	}
	var out []tile
	for ri, r := range rows {
		for ci, c := range cols {
			own := image.Rect(c[0], r[0], c[1], r[1])
			out = append(out, tile{own: own, read: own.Inset(-tileOverlap).Intersect(b), row: ri, col: ci})
		}
	}
	return out
}

// pageWeight is a page's peak memory in RGBA pixels (4 bytes): its pixels
// plus three times the pixels analysed at once (about 12 bytes each).
func pageWeight(w, h int) int64 {
	if w <= 0 || h <= 0 {
		return 0
	}
	px := int64(w) * int64(h)
	analysed := px
	if ts := tiles(image.Rect(0, 0, w, h)); ts != nil {
		analysed = 0
		for _, t := range ts {
			analysed = max(analysed, int64(t.read.Dx())*int64(t.read.Dy()))
		}
	}
	return px + 3*analysed
}

// maxAnalysed is the most pixels any page is analysed at once: a page of
// bandPixels read whole, or the biggest tile.
const maxAnalysed = max(bandPixels, (maxTileWidth+2*tileOverlap)*(minBandHeight+2*tileOverlap))

type subImager interface {
	SubImage(r image.Rectangle) image.Image
}

// recognize OCRs a page as the live agent reads a screen (see asScreen), or
// tile by tile when it is too big for that (see tiles). Lines keep the
// page's coordinates; block numbers stay unique across tiles.
func (s *Scanner) recognize(ctx context.Context, img image.Image) ([]rules.Line, error) {
	si, ok := img.(subImager)
	ts := tiles(img.Bounds())
	if rr, isRR := s.opt.Recognizer.(lineread.Recognizer); isRR && ts == nil {
		return asScreen(ctx, rr, img)
	}
	if !ok || ts == nil {
		return s.opt.Recognizer.Recognize(ctx, img)
	}
	var out []rules.Line
	var prev []rules.Line // kept lines of the tile to the left, same band
	blockBase := 0
	for _, t := range ts {
		lines, err := s.opt.Recognizer.Recognize(ctx, si.SubImage(t.read))
		if err != nil {
			return nil, err
		}
		if t.col == 0 {
			out = append(out, prev...)
			prev = nil
		}
		top := 0
		var kept []rules.Line
		for _, l := range lines {
			box := lineBox(l)
			if cy := box.Y + box.H/2; cy < t.own.Min.Y || cy >= t.own.Max.Y {
				continue // the band above or below reads it whole
			}
			var words []rules.Word
			for _, w := range l.Words {
				if cx := w.Box.X + w.Box.W/2; cx >= t.own.Min.X && cx < t.own.Max.X {
					words = append(words, w)
				}
			}
			if len(words) == 0 && len(l.Words) > 0 {
				continue // the column beside reads it
			}
			top = max(top, l.Block)
			l.Words = words
			l.Box = lineBox(rules.Line{Words: words})
			if len(words) == 0 {
				l.Box = box
			}
			l.Block += blockBase
			kept = append(kept, l)
		}
		blockBase += top
		prev = joinCut(prev, kept, t.own.Min.X)
		// A tile's analysis (about 12 bytes a pixel of it) is garbage now.
		// Collect it before the next tile allocates as much again, or the
		// heap grows by a tile per tile until the collector's target; one
		// collection is milliseconds against a tile's seconds of OCR.
		runtime.GC()
	}
	return append(out, prev...), nil
}

// asScreen reads a page exactly as the live agent reads the same pixels
// when they first appear on screen (lineread.Read over the whole page, no
// line cache): the same pieces, runs, margins and OCR batches, so the same
// confidences and the same findings in scan and watch (issue 12). Pages
// over bandPixels (no screen is that big) are read in tiles instead.
func asScreen(ctx context.Context, rec lineread.Recognizer, img image.Image) ([]rules.Line, error) {
	b := img.Bounds()
	rgba, ok := img.(*image.RGBA)
	if !ok || b.Min != (image.Point{}) {
		// The agent reads RGBA frames with their origin at 0,0. A GIF's
		// first frame may lie anywhere on its screen: read it at 0,0 and
		// move the lines back.
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	}
	block := 0
	lines, err := lineread.Read(ctx, rec, rgba, []image.Rectangle{rgba.Rect}, nil, &block, nil)
	if err != nil || b.Min == (image.Point{}) {
		return lines, err
	}
	move := func(x rules.Box) rules.Box {
		if !x.Empty() {
			x.X += b.Min.X
			x.Y += b.Min.Y
		}
		return x
	}
	for i := range lines {
		lines[i].Box = move(lines[i].Box)
		for j := range lines[i].Words {
			lines[i].Words[j].Box = move(lines[i].Words[j].Box)
		}
	}
	return lines, nil
}

// lineBox is a line's box, from its words when the recognizer left it empty.
func lineBox(l rules.Line) rules.Box {
	box := l.Box
	if box.Empty() {
		for _, w := range l.Words {
			box = box.Union(w.Box)
		}
	}
	return box
}

// joinCut appends the lines of a column to those of the column to its left
// (edge is the x where they meet), joining a line cut by the edge: a left
// line ending near the edge and a right line starting near it, on the same
// row (their boxes overlap by half the smaller height), are one line.
func joinCut(left, right []rules.Line, edge int) []rules.Line {
	used := make([]bool, len(right))
	for i := range left {
		lb := lineBox(left[i])
		if lb.X+lb.W < edge-tileOverlap {
			continue
		}
		for j := range right {
			rb := lineBox(right[j])
			if used[j] || rb.X > edge+tileOverlap {
				continue
			}
			overlap := min(lb.Y+lb.H, rb.Y+rb.H) - max(lb.Y, rb.Y)
			if overlap*2 < min(lb.H, rb.H) || rb.X < lb.X+lb.W-tileOverlap {
				continue
			}
			left[i].Words = append(left[i].Words, right[j].Words...)
			left[i].Box = lb.Union(rb)
			used[j] = true
			break
		}
	}
	for j, l := range right {
		if !used[j] {
			left = append(left, l)
		}
	}
	return left
}
