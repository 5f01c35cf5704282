package ocr

import (
	"image"
	"image/draw"
	"runtime"
	"sync"
)

// Segmentation finds the background of every part of a screen, so that text
// can be normalised to dark-on-white locally: a dark notification card over a
// light slide, white text on a blue chat bubble and grey-on-grey captions all
// become black text on white before Tesseract sees them.
//
// Method (all O(pixels), no parameters learned):
//  1. A pixel is "core background" if it lies in an S×S square of pixels
//     whose neighbours differ by at most tol per channel. Text strokes are
//     thinner than S, so text never forms a core; the padding of a card,
//     bubble or cell does.
//  2. Core pixels are joined into components (4-connected, colour within
//     tol). Tiny components are dropped (they are thick strokes of big text,
//     not backgrounds).
//  3. Each component floods outwards through pixels that continue its
//     colour (gradients allowed, step ≤ tol): this is all of its background.
//  4. The remaining pixels (text, icons, borders) are given to the nearest
//     background by a breadth-first search, together with the colour of the
//     background pixel they were reached from. Their "ink" is their colour
//     distance to that local background, stretched by the contrast found in
//     the component (so grey-on-grey gets the same black as black-on-white).
//  5. Components of similar colour separated only by thin lines (table
//     grids, card borders) are grouped into one unit; a unit is OCR'd as one
//     region, other units masked out.

const (
	flatTol = 4 // max per-channel step between neighbouring background pixels
)

type frame struct {
	w, h int
	pix  []uint8 // RGBA
}

// newFrame copies r of img into an RGBA frame with origin 0,0.
func newFrame(img image.Image, r image.Rectangle) *frame {
	f := &frame{w: r.Dx(), h: r.Dy()}
	switch src := img.(type) {
	case *image.RGBA:
		if src.Stride == 4*f.w && r.Min.X == src.Rect.Min.X && r.Max.X == src.Rect.Max.X {
			// Whole rows: share the caller's pixels (only read, never kept).
			o := src.PixOffset(r.Min.X, r.Min.Y)
			f.pix = src.Pix[o : o+4*f.w*f.h]
			return f
		}
		f.pix = make([]uint8, 4*f.w*f.h)
		for y := 0; y < f.h; y++ {
			o := src.PixOffset(r.Min.X, r.Min.Y+y)
			copy(f.pix[4*f.w*y:4*f.w*(y+1)], src.Pix[o:o+4*f.w])
		}
	case *image.NRGBA:
		// Screens are opaque; the alpha channel is ignored.
		f.pix = make([]uint8, 4*f.w*f.h)
		for y := 0; y < f.h; y++ {
			o := src.PixOffset(r.Min.X, r.Min.Y+y)
			copy(f.pix[4*f.w*y:4*f.w*(y+1)], src.Pix[o:o+4*f.w])
		}
	default:
		dst := image.NewRGBA(image.Rect(0, 0, f.w, f.h))
		draw.Draw(dst, dst.Rect, img, r.Min, draw.Src)
		f.pix = dst.Pix
	}
	return f
}

// cdist is the largest per-channel difference between pixels i and j.
func cdist(p []uint8, i, j int) int {
	i, j = 4*i, 4*j
	if p[i] == p[j] && p[i+1] == p[j+1] && p[i+2] == p[j+2] {
		return 0 // most pixels of a screen: flat background
	}
	d := int(p[i]) - int(p[j])
	if d < 0 {
		d = -d
	}
	e := int(p[i+1]) - int(p[j+1])
	if e < 0 {
		e = -e
	}
	if e > d {
		d = e
	}
	e = int(p[i+2]) - int(p[j+2])
	if e < 0 {
		e = -e
	}
	if e > d {
		d = e
	}
	return d
}

type segmentation struct {
	w, h   int
	ink    []uint8 // 255 background .. 0 full ink, text always dark
	unit   []int32 // unit per pixel
	nunits int
}

// segParams scale with the text size the screen is expected to carry.
type segParams struct {
	square  int // S: side of a flat square that counts as background
	minCore int // core pixels a background component needs
	gap     int // thin lines up to this width do not separate units
}

func paramsFor(w, h int) segParams {
	// HiDPI screens (2560 px and wider) draw everything about twice as big:
	// paddings grow, but so do strokes of bold titles, which must stay
	// thinner than S or they would be taken for backgrounds.
	if w >= 2400 || h >= 1400 {
		return segParams{square: 14, minCore: 400, gap: 6}
	}
	return segParams{square: 8, minCore: 160, gap: 4}
}

// halfResPixels: frames at least this big are analysed at half resolution.
// Backgrounds are coarse structures (paddings of 8+ px), so the analysis
// loses nothing that matters and costs a quarter; ink is still measured on
// every full-resolution pixel.
const halfResPixels = 1_000_000

func segment(f *frame) *segmentation {
	prm := paramsFor(f.w, f.h)
	if f.w*f.h < halfResPixels || f.w < 16 || f.h < 16 {
		return analyse(f, prm, nil).inkOf(f, 1)
	}
	lines := packHalf(thinLines(f.pix, f.w, f.h, nil, prm.square), f.w, f.h)
	prm.square = max(3, prm.square/2)
	prm.minCore /= 4
	prm.gap = max(2, prm.gap/2)
	return analyse(f.half(), prm, lines).inkOf(f, 2)
}

// half samples every other pixel: sampling (not averaging) keeps flat areas
// exactly flat.
func (f *frame) half() *frame {
	h := &frame{w: f.w / 2, h: f.h / 2}
	h.pix = make([]uint8, 4*h.w*h.h)
	for y := 0; y < h.h; y++ {
		for x := 0; x < h.w; x++ {
			copy(h.pix[4*(y*h.w+x):4*(y*h.w+x)+4], f.pix[4*(2*y*f.w+2*x):])
		}
	}
	return h
}

// bgmap is the background analysis of a frame: for every pixel its
// component, the background pixel its colour is compared with, and whether
// it is background itself.
type bgmap struct {
	w, h    int
	pix     []uint8 // the analysed frame's pixels
	lab     []int32
	bgsrc   []int32
	flooded []uint8
	ncomp   int32
	unitOf  []int32
	nunits  int32
	line    []uint8 // grid lines, frames, borders: see thinLines and packHalf
}

func analyse(f *frame, prm segParams, line []uint8) *bgmap {
	w, h := f.w, f.h
	n := w * h
	S := prm.square
	if S > w || S > h {
		S = max(2, min(w, h))
	}
	p := f.pix

	// 1. Edge flags (bit 1: differs from right neighbour, bit 2: from the one
	// below), computed once and reused by every later step.
	edge := edgeFlags(p, w, h)
	// Lines (grid, frames, borders) are structure, never background: see
	// grid.go. A frame analysed at half resolution brings its lines found
	// at full resolution (a 1 px line on an odd row is not sampled).
	if line == nil {
		line = thinLines(p, w, h, edge, S)
	}
	// Anchors: an S×S square whose top-left (S-1)² pixels have no edge, so
	// all its S² pixels chain together. Found with run lengths, separably:
	// hrun = edge-free pixels ending at x in this row, then the number of
	// consecutive rows ending at y where that run reaches S-1. An anchor is
	// marked at the square's top-left corner.
	k := S - 1
	hrun := make([]uint16, n)
	for y := 0; y < h; y++ {
		var run uint16
		for x := 0; x < w; x++ {
			if edge[y*w+x] == 0 {
				if run < 0xffff {
					run++
				}
			} else {
				run = 0
			}
			hrun[y*w+x] = run
		}
	}
	core := make([]uint8, n)
	vrun := make([]uint16, w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if int(hrun[y*w+x]) >= k {
				vrun[x]++
			} else {
				vrun[x] = 0
			}
			// The edge-free k×k window ends at (x,y): the square starts at
			// (x-k+1, y-k+1) and reaches (x+1, y+1).
			if int(vrun[x]) >= k && x+1 < w && y+1 < h {
				core[(y-k+1)*w+x-k+1] = 1
			}
		}
	}
	// Core = anchors dilated by the square (towards +x, +y), separably:
	// mark pixels at most S-1 after an anchor in the row, then in the column.
	for y := 0; y < h; y++ {
		last := -S
		for x := 0; x < w; x++ {
			i := y*w + x
			if core[i]&1 != 0 {
				last = x
			}
			if x-last < S {
				core[i] |= 2
			}
		}
	}
	lastRow := make([]int32, w)
	for x := range lastRow {
		lastRow[x] = int32(-S)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if core[i]&2 != 0 {
				lastRow[x] = int32(y)
			}
			if y-int(lastRow[x]) < S {
				core[i] |= 4
			}
		}
	}
	for i := range core {
		core[i] >>= 2
	}
	hrun = nil
	coreOf := make([]uint8, n)

	// 2. Components of core pixels.
	parent := newUnionFind(n)
	find, union := parent.find, parent.union
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if core[i] == 0 {
				continue
			}
			parent[i] = int32(i)
			if x > 0 && core[i-1] != 0 && edge[i-1]&1 == 0 {
				union(int32(i), int32(i-1))
			}
			if y > 0 && core[i-w] != 0 && edge[i-w]&2 == 0 {
				union(int32(i), int32(i-w))
			}
		}
	}
	// Areas are counted at the roots; lab doubles as the root → component map
	// (roots precede their members, so each root is relabelled before use).
	area := make([]int32, n)
	for i := 0; i < n; i++ {
		if core[i] != 0 {
			area[find(int32(i))]++
		}
	}
	lab := coreOf32(n)
	var ncomp int32
	for i := 0; i < n; i++ {
		if core[i] == 0 {
			continue
		}
		r := find(int32(i))
		if area[r] < int32(prm.minCore) {
			continue
		}
		if r == int32(i) {
			lab[i] = ncomp
			ncomp++
		} else {
			lab[i] = lab[r]
		}
	}
	area, parent = nil, nil

	queue := make([]int32, 0, n)
	bgsrc := make([]int32, n)
	flooded := coreOf // reuse: 1 = background pixel
	for i := range flooded {
		flooded[i] = 0
	}
	if ncomp == 0 {
		// No flat area anywhere (a photo, a tiny crop): take the most common
		// colour as the background.
		bg := modalPixel(p, n)
		for i := 0; i < n; i++ {
			if cdist(p, i, bg) <= 2*flatTol {
				lab[i] = 0
			}
		}
		ncomp = 1
		if lab[bg] < 0 {
			lab[bg] = 0
		}
	}
	for i := 0; i < n; i++ {
		if lab[i] >= 0 {
			flooded[i] = 1
			bgsrc[i] = int32(i)
			queue = append(queue, int32(i))
		}
	}

	// 3. Flood backgrounds through continuing colour.
	for qi := 0; qi < len(queue); qi++ {
		i := int(queue[qi])
		y := i / w
		x := i - y*w
		c := lab[i]
		if x > 0 && lab[i-1] < 0 && edge[i-1]&1 == 0 && line[i-1]&lineAny == 0 {
			lab[i-1], flooded[i-1], bgsrc[i-1] = c, 1, int32(i-1)
			queue = append(queue, int32(i-1))
		}
		if x+1 < w && lab[i+1] < 0 && edge[i]&1 == 0 && line[i+1]&lineAny == 0 {
			lab[i+1], flooded[i+1], bgsrc[i+1] = c, 1, int32(i+1)
			queue = append(queue, int32(i+1))
		}
		if y > 0 && lab[i-w] < 0 && edge[i-w]&2 == 0 && line[i-w]&lineAny == 0 {
			lab[i-w], flooded[i-w], bgsrc[i-w] = c, 1, int32(i-w)
			queue = append(queue, int32(i-w))
		}
		if y+1 < h && lab[i+w] < 0 && edge[i]&2 == 0 && line[i+w]&lineAny == 0 {
			lab[i+w], flooded[i+w], bgsrc[i+w] = c, 1, int32(i+w)
			queue = append(queue, int32(i+w))
		}
	}
	// 4. Everything else goes to the nearest background (multi-source BFS:
	// the queue already holds every background pixel in order). A line
	// takes a label but passes none on: text is measured against its own
	// cell, not the background beyond the grid line it touches. A region
	// that lines fence off from every background (a spreadsheet cell filled
	// with text has no S×S flat square) gets a background of its own, its
	// most common colour; anything still unreached is reached in a last
	// round that crosses lines.
	for round := 0; round < 3; round++ {
		if round == 1 {
			queue = queue[:0]
			queue, ncomp = fencedBackgrounds(p, w, h, lab, bgsrc, flooded, line, ncomp, queue)
		}
		if round == 2 {
			// Restart from every labelled pixel next to an unlabelled one.
			queue = queue[:0]
			for i := 0; i < n; i++ {
				if lab[i] < 0 {
					continue
				}
				y := i / w
				x := i - y*w
				if (x > 0 && lab[i-1] < 0) || (x+1 < w && lab[i+1] < 0) || (y > 0 && lab[i-w] < 0) || (y+1 < h && lab[i+w] < 0) {
					queue = append(queue, int32(i))
				}
			}
		}
		queue = bfsNearest(queue, lab, bgsrc, line, w, h, round == 2)
		if len(queue) == n {
			break // everything labelled
		}
	}
	queue = nil

	// 5. Units: group components of similar colour separated by thin lines.
	color := make([][3]int64, ncomp)
	cnt := make([]int64, ncomp)
	bbox := make([][4]int, ncomp)
	for c := range bbox {
		bbox[c] = [4]int{w, h, 0, 0}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if flooded[i] == 0 {
				continue
			}
			c := lab[i]
			color[c][0] += int64(p[4*i])
			color[c][1] += int64(p[4*i+1])
			color[c][2] += int64(p[4*i+2])
			cnt[c]++
			b := &bbox[c]
			b[0], b[1], b[2], b[3] = min(b[0], x), min(b[1], y), max(b[2], x+1), max(b[3], y+1)
		}
	}
	for c := range color {
		for k := range 3 {
			color[c][k] /= max(1, cnt[c])
		}
	}
	similar := func(a, b int32) bool {
		for k := range 3 {
			d := color[a][k] - color[b][k]
			if d < -12 || d > 12 {
				return false
			}
		}
		return true
	}
	grp := make([]int32, ncomp)
	for i := range grp {
		grp[i] = int32(i)
	}
	gfind := func(a int32) int32 {
		for grp[a] != a {
			grp[a] = grp[grp[a]]
			a = grp[a]
		}
		return a
	}
	join := func(a, b int32) {
		ra, rb := gfind(a), gfind(b)
		if ra != rb && similar(a, b) {
			grp[max(ra, rb)] = min(ra, rb)
		}
	}
	G := prm.gap
	for y := 0; y < h; y++ {
		for x := 0; x+1 < w; x++ {
			i := y*w + x
			if flooded[i] != 0 && flooded[i+1] == 0 {
				for k := 2; k <= G+1 && x+k < w; k++ {
					if flooded[i+k] != 0 {
						if lab[i+k] != lab[i] {
							join(lab[i], lab[i+k])
						}
						break
					}
				}
			}
			if y+1 < h && flooded[i] != 0 && flooded[i+w] == 0 {
				for k := 2; k <= G+1 && y+k < h; k++ {
					if flooded[i+k*w] != 0 {
						if lab[i+k*w] != lab[i] {
							join(lab[i], lab[i+k*w])
						}
						break
					}
				}
			}
		}
	}
	// A small background enclosed by a larger one of the same colour is the
	// counter of a big glyph ("O", "Q") or a hole in a shape: it belongs to
	// the enclosing region, or that glyph would be split between two units.
	small := int64(40 * S * S)
	var big []int32
	for c := range ncomp {
		if cnt[c] >= small {
			big = append(big, c)
		}
	}
	for c := range ncomp {
		if cnt[c] >= small {
			continue
		}
		for _, b := range big {
			bb, cb := bbox[b], bbox[c]
			if cb[0] >= bb[0] && cb[1] >= bb[1] && cb[2] <= bb[2] && cb[3] <= bb[3] && similar(b, c) {
				join(b, c)
				break
			}
		}
	}
	unitOf := make([]int32, ncomp)
	for i := range unitOf {
		unitOf[i] = -1
	}
	var nunits int32
	for c := range ncomp {
		r := gfind(c)
		if unitOf[r] < 0 {
			unitOf[r] = nunits
			nunits++
		}
		unitOf[c] = unitOf[r]
	}
	return &bgmap{w: w, h: h, pix: p, lab: lab, bgsrc: bgsrc, flooded: flooded, ncomp: ncomp, unitOf: unitOf, nunits: nunits, line: line}
}

// edgeFlags: bit 1 where a pixel differs from its right neighbour by more
// than flatTol, bit 2 where it differs from the one below.
func edgeFlags(p []uint8, w, h int) []uint8 {
	edge := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		row := y * w
		for x := 0; x < w; x++ {
			i := row + x
			var e uint8
			if x+1 < w && cdist(p, i, i+1) > flatTol {
				e |= 1
			}
			if y+1 < h && cdist(p, i, i+w) > flatTol {
				e |= 2
			}
			edge[i] = e
		}
	}
	return edge
}

// bfsNearest labels unlabelled pixels with the label and background source
// of the nearest labelled pixel, breadth-first from queue. Line pixels are
// labelled but only pass labels on when crossLines is set.
func bfsNearest(queue []int32, lab, bgsrc []int32, line []uint8, w, h int, crossLines bool) []int32 {
	for qi := 0; qi < len(queue); qi++ {
		i := int(queue[qi])
		if !crossLines && line[i]&lineAny != 0 {
			continue
		}
		y := i / w
		x := i - y*w
		c, b := lab[i], bgsrc[i]
		if x > 0 && lab[i-1] < 0 {
			lab[i-1], bgsrc[i-1] = c, b
			queue = append(queue, int32(i-1))
		}
		if x+1 < w && lab[i+1] < 0 {
			lab[i+1], bgsrc[i+1] = c, b
			queue = append(queue, int32(i+1))
		}
		if y > 0 && lab[i-w] < 0 {
			lab[i-w], bgsrc[i-w] = c, b
			queue = append(queue, int32(i-w))
		}
		if y+1 < h && lab[i+w] < 0 {
			lab[i+w], bgsrc[i+w] = c, b
			queue = append(queue, int32(i+w))
		}
	}
	return queue
}

// inkOf measures every pixel of f (scale times the analysed resolution)
// against its local background and stretches the contrast per component.
func (b *bgmap) inkOf(f *frame, scale int) *segmentation {
	w, h := f.w, f.h
	n := w * h
	dist := make([]uint8, n)
	unit := make([]int32, n)
	// Row bands in parallel: this pass touches every full-resolution pixel.
	bands := max(1, min(runtime.NumCPU(), h/64))
	hists := make([][][256]int32, bands)
	var wg sync.WaitGroup
	for bi := range bands {
		hists[bi] = make([][256]int32, b.ncomp)
		wg.Add(1)
		go func() {
			defer wg.Done()
			hist := hists[bi]
			for y := bi * h / bands; y < (bi+1)*h/bands; y++ {
				by := min(y/scale, b.h-1) * b.w
				for x := 0; x < w; x++ {
					i := y*w + x
					j := by + min(x/scale, b.w-1)
					c := b.lab[j]
					unit[i] = b.unitOf[c]
					d := cdist2(f.pix, i, b.pix, int(b.bgsrc[j]))
					if scale == 1 && b.flooded[j] != 0 {
						d = 0 // the flood already proved it continues the background
					}
					dist[i] = uint8(d)
					if d > flatTol || (scale == 1 && b.flooded[j] == 0) {
						hist[c][d]++
					}
				}
			}
		}()
	}
	wg.Wait()
	hist := hists[0]
	for _, hb := range hists[1:] {
		for c := range hb {
			for d, v := range hb[c] {
				hist[c][d] += v
			}
		}
	}
	// Contrast per component: a high percentile of the ink distances.
	full := make([]int, b.ncomp) // distance that maps to full black
	for c := range hist {
		var tot int32
		for _, v := range hist[c] {
			tot += v
		}
		lim := tot / 20 // 95th percentile
		d := 255
		var acc int32
		for ; d > 0; d-- {
			acc += hist[c][d]
			if acc > lim {
				break
			}
		}
		full[c] = max(20, d*inkFullPct/100)
	}
	ink := make([]uint8, n)
	for y := 0; y < h; y++ {
		by := min(y/scale, b.h-1) * b.w
		for x := 0; x < w; x++ {
			i := y*w + x
			j := by + min(x/scale, b.w-1)
			c := b.lab[j]
			v := int(dist[i]) * 255 / full[c]
			ink[i] = uint8(255 - min(255, v))
			if lm := b.line[j]; lm != 0 && ink[i] < 255 && x < scale*b.w && y < scale*b.h {
				// Lines are not text, but beside text Tesseract reads them
				// as part of a glyph ("|APAC", "IEMEA" beside a selected
				// cell's frame). Light pixels on, at the ends of and across
				// lines go, and the pixels of vertical lines. Dark
				// horizontal lines are left to eraseRules, which knows the
				// text height: a spell checker's wave touching a grid line
				// must stay whole for eraseDecorations.
				sub := 0 // which full-resolution pixel of a half-resolution one
				if scale == 2 {
					sub = (y%2)*2 + x%2
				}
				// "Light" by the raw distance too: where a line is the only
				// ink of a background (empty cells) the contrast stretch
				// makes it black.
				light := ink[i] >= inkThresh || int(dist[i]) <= 255-inkThresh
				if lm>>(4+sub)&1 != 0 || lm>>sub&1 != 0 && light {
					ink[i] = 255
				}
			}
		}
	}
	return &segmentation{w: w, h: h, ink: ink, unit: unit, nunits: int(b.nunits)}
}

// cdist2 is cdist between pixel i of p and pixel j of q.
func cdist2(p []uint8, i int, q []uint8, j int) int {
	i, j = 4*i, 4*j
	if p[i] == q[j] && p[i+1] == q[j+1] && p[i+2] == q[j+2] {
		return 0
	}
	d := 0
	for k := range 3 {
		e := int(p[i+k]) - int(q[j+k])
		if e < 0 {
			e = -e
		}
		d = max(d, e)
	}
	return d
}

func coreOf32(n int) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = -1
	}
	return s
}

// modalPixel returns the index of a pixel with the most common colour
// (quantised to 4 bits per channel, sampled).
func modalPixel(p []uint8, n int) int {
	counts := map[uint32]int{}
	first := map[uint32]int{}
	step := max(1, n/50000)
	best, bestN := 0, -1
	for i := 0; i < n; i += step {
		k := uint32(p[4*i]>>4)<<8 | uint32(p[4*i+1]>>4)<<4 | uint32(p[4*i+2]>>4)
		counts[k]++
		if _, ok := first[k]; !ok {
			first[k] = i
		}
		if counts[k] > bestN {
			best, bestN = first[k], counts[k]
		}
	}
	return best
}

// inkFullPct: the ink distance (as a percentage of the panel's contrast)
// that maps to black. Lower values embolden text, which turns slashed or
// dotted zeros into eights.
var inkFullPct = 100
