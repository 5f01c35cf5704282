package ocr

import "encoding/binary"

// Grid lines. Spreadsheets (LibreOffice Calc, Gnumeric, Excel) draw their
// cell grid in the colour of their header row and column (Calc: #C0C0C0 for
// both), and the grid is one connected net of that colour. Without knowing
// about lines, the background flood ran from the grey header along the whole
// grid, so every grid line was "header background"; text touching or nearly
// touching a line (descenders over the line below, a name under the selection
// frame of A1) was then measured against the header, given to its unit, and
// cut in two: Calc read "Wingtip" as "Winatip" and a row number joined the
// bottom of a name ("5 aml"), "Relecloud" under the frame as "Pelerliayd".
//
// A line is structure, not background: a run of one colour at most
// lineThick pixels thick (bounded by edges on both sides) and at least
// lineLen long, or a frame's side between two such lines. Lines are
//   - never flooded as background (a background stops where a line starts);
//   - barriers when non-background pixels are given to their nearest
//     background: text is measured against the background of its own cell,
//     not the one beyond the grid line it touches. A cell that lines fence
//     off from every background (filled with text, it has no flat square)
//     gets its own: its most common colour (fencedBackgrounds);
//   - not text: light line pixels and vertical lines are blanked in the ink
//     image (Tesseract reads them as "|", "[" or "I" glued to a word).
// Text strokes are thin too but short; lineLen is many glyph strokes long.
// Cost: a few passes over edge flags (those the analysis computes anyway,
// or measured once more at full resolution for a screen analysed at half),
// and one byte a pixel for the mask.

// lineThick is the thickest line, in pixels: 3 on ordinary screens (a
// selected cell's frame), 6 on HiDPI ones, which draw everything twice as
// thick.
func lineThick(S int) int { return max(3, S*3/7) }

// lineLen is the shortest run that counts as a line: 12 background squares
// (96 px on a 1080p screen, found at full resolution) is longer than any stroke of a glyph up
// to ~70 px tall and shorter than a grid column, a row's width or a card
// border.
func lineLen(S int) int { return 12 * S }

// lineGap is the longest interruption of a line: about a descender's width.
func lineGap(S int) int { return max(2, S/2+1) }

// Bits of the line mask thinLines returns. At half resolution (packHalf)
// bit k and bit 4+k describe the k-th full-resolution pixel of a 2×2 block.
const (
	lineBarrier = 1    // on a line, its ends or where something crosses it: passes no label
	lineV       = 16   // a pixel of a vertical line itself (or a frame's side): never text
	lineAny     = 0x0f // any barrier bit: the analysis treats the pixel as line
)

// packHalf packs a full-resolution line mask into one byte per pixel of
// the half-resolution frame (see frame.half): each half-resolution pixel
// is a barrier when any of its four is, and keeps which of them are.
func packHalf(m []uint8, w, h int) []uint8 {
	hw, hh := w/2, h/2
	out := make([]uint8, hw*hh)
	for y := 0; y < 2*hh; y++ {
		for x := 0; x < 2*hw; x++ {
			v := m[y*w+x]
			if v == 0 {
				continue
			}
			sub := (y%2)*2 + x%2
			out[(y/2)*hw+x/2] |= (v&lineBarrier)<<sub | (v&lineV)<<sub
		}
	}
	return out
}

// thinLines returns the line mask (lineBarrier, lineV) of frame pixels p,
// given edge flags as analyse computes them (bit 1: differs from the right
// neighbour, bit 2: from the one below) or nil.
//
// A line may be interrupted by up to maxGap pixels (a descender or another
// line crossing it) where it goes on in the same colour, but gaps must stay
// rare: the bottoms of a row of crisp letters are thin and of one colour
// too, with a gap between every two letters. The side of a frame (a
// selected cell) is short, but runs from one line to another: it is a line.
func thinLines(p []uint8, w, h int, edge []uint8, S int) []uint8 {
	minLen, maxGap, thick := lineLen(S), lineGap(S), lineThick(S)
	const (
		vcand   = 1 // in a flat run of at most thick along the row (a vertical line's width)
		hcand   = 2 // the same along the column (a horizontal line's height)
		hline   = 4 // horizontal line found
		barr    = 8
		structV = 32
	)
	// Edge flags as analyse computes them, or (edge == nil: a screen whose
	// analysis runs at half resolution) measured here, so that finding
	// lines at full resolution costs one byte a pixel, not two.
	m := make([]uint8, w*h)
	// Cross-sections, row by row (the whole pass walks memory in order):
	// a flat run along the column no longer than thick and bounded by edges
	// above and below is a cross-section of a horizontal line (runStart
	// keeps each column's run); along the row, of a vertical line.
	runStart := make([]int32, w)
	for y := 0; y < h; y++ {
		row := y * w
		start := 0
		for x := 0; x < w; x++ {
			i := row + x
			var right, down bool
			if edge != nil {
				right, down = edge[i]&1 != 0, edge[i]&2 != 0
			} else {
				// Most pixels equal their neighbours: one 32-bit compare
				// (alpha ignored) before the per-channel distance.
				c := binary.LittleEndian.Uint32(p[4*i:]) & 0xffffff
				right = x+1 < w && binary.LittleEndian.Uint32(p[4*i+4:])&0xffffff != c && cdist(p, i, i+1) > flatTol
				down = y+1 < h && binary.LittleEndian.Uint32(p[4*(i+w):])&0xffffff != c && cdist(p, i, i+w) > flatTol
			}
			if y+1 == h || down {
				if s := int(runStart[x]); y-s+1 <= thick && s > 0 && y+1 < h {
					for yy := s; yy <= y; yy++ {
						m[yy*w+x] |= hcand
					}
				}
				runStart[x] = int32(y + 1)
			}
			if x+1 == w || right {
				if x-start+1 <= thick && start > 0 && x+1 < w {
					for xx := start; xx <= x; xx++ {
						m[row+xx] |= vcand
					}
				}
				start = x + 1
			}
		}
	}
	// chain follows candidates (bit c) from index i0 in steps of d, n
	// positions at most, across gaps of up to maxGap where the same colour
	// goes on; it returns the positions covered and how many were gaps.
	chain := func(i0, d, n int, c uint8) (length, gaps int) {
		i, k := i0, 0
		for {
			if k+1 < n && m[i+d]&c != 0 && cdist(p, i, i+d) <= flatTol {
				i += d
				k++
				continue
			}
			g := 2
			for ; g <= maxGap+1 && k+g < n; g++ {
				if m[i+g*d]&c != 0 && cdist(p, i, i+g*d) <= flatTol {
					break
				}
			}
			if g > maxGap+1 || k+g >= n {
				return k + 1, gaps
			}
			i += g * d
			k += g
			gaps += g - 1
		}
	}
	// mark records a line of length positions starting at i0 (position pos
	// of total along its axis): barrier over its length and thick
	// beyond both ends (where lines of different colours meet, a corner
	// must not leave a hole), structure where it is a thin cross-section.
	mark := func(i0, d, pos, length, total int, c, extra, st uint8) {
		for k := max(-thick, -pos); k < min(length+thick, total-pos); k++ {
			i := i0 + k*d
			m[i] |= barr | extra
			// Structure only in the line's own colour: a glyph crossing
			// it (a gap) stays text.
			if k >= 0 && k < length && m[i]&c != 0 && cdist(p, i, i0) <= 2*flatTol {
				m[i] |= st
			}
		}
	}
	accept := func(length, gaps int) bool { return length >= minLen && gaps*4 <= length }
	// Horizontal lines.
	for y := 0; y < h; y++ {
		row := y * w
		for x := 0; x < w; {
			if m[row+x]&hcand == 0 {
				x++
				continue
			}
			l, g := chain(row+x, 1, w-x, hcand)
			if accept(l, g) {
				mark(row+x, 1, x, l, w, hcand, hline, 0)
			}
			x += l
		}
	}
	// Vertical lines, and frame sides: runs without gaps from one
	// horizontal line to another. Followed row by row, every column's chain
	// at once (chain's rule, without walking memory by columns): a candidate
	// in the chain's colour extends it, across at most maxGap pixels that
	// are no candidates (what crosses a vertical line runs across it).
	type vchain struct{ y0, last, gaps int32 }
	chains := make([]vchain, w)
	for x := range chains {
		chains[x].y0 = -1
	}
	finish := func(x int, c vchain) {
		y0, l, g := int(c.y0), int(c.last-c.y0)+1, int(c.gaps)
		i := y0*w + x
		side := g == 0 && y0 > 0 && y0+l < h && m[i-w]&hline != 0 && m[i+l*w]&hline != 0
		if accept(l, g) || side {
			mark(i, w, y0, l, h, vcand, 0, structV)
		}
	}
	for y := 0; y < h; y++ {
		row := y * w
		for x := 0; x < w; x++ {
			i := row + x
			c := &chains[x]
			if c.y0 >= 0 {
				last := int(c.last)*w + x
				if m[i]&vcand != 0 && cdist(p, last, i) <= flatTol {
					c.gaps += int32(y) - c.last - 1
					c.last = int32(y)
					continue
				}
				// Another pixel: perhaps a glyph crossing, and the line
				// goes on. But a run of another colour (a vertical line's
				// next segment: a header's border beside a highlighted
				// row) starts a chain of its own at once, as in chain.
				if m[i]&vcand == 0 && y-int(c.last) <= maxGap {
					continue
				}
				finish(x, *c)
				c.y0 = -1
			}
			if m[i]&vcand != 0 {
				*c = vchain{int32(y), int32(y), 0}
			}
		}
	}
	for x, c := range chains {
		if c.y0 >= 0 {
			finish(x, c)
		}
	}
	for i, v := range m {
		var o uint8
		if v&barr != 0 {
			o |= lineBarrier
		}
		if v&structV != 0 {
			o |= lineV
		}
		m[i] = o
	}
	return m
}

// fencedBackgrounds gives every connected region of unlabelled pixels off
// lines (one fenced off by lines from all backgrounds) a background
// component of its own: the pixels of its most common colour. They are labelled, marked
// flooded and appended to queue; the new component count is returned.
// Regions whose most common colour covers under a third of them (a photo
// crop, a solid glyph) are left alone.
func fencedBackgrounds(p []uint8, w, h int, lab, bgsrc []int32, flooded, line []uint8, ncomp int32, queue []int32) ([]int32, int32) {
	var (
		region []int32
		bins   [4096]int32
		first  [4096]int32
	)
	key := func(i int32) int {
		return int(p[4*i]>>4)<<8 | int(p[4*i+1]>>4)<<4 | int(p[4*i+2]>>4)
	}
	const visiting = -2
	for s := range lab {
		if lab[s] != -1 || line[s]&lineAny != 0 {
			continue
		}
		// Collect the region (4-connected unlabelled pixels).
		region = append(region[:0], int32(s))
		lab[s] = visiting
		for k := 0; k < len(region); k++ {
			i := int(region[k])
			y := i / w
			x := i - y*w
			for _, j := range [4]int{i - 1, i + 1, i - w, i + w} {
				switch {
				case j == i-1 && x == 0, j == i+1 && x+1 == w, j < 0, j >= len(lab):
					continue
				}
				if lab[j] == -1 && line[j]&lineAny == 0 {
					lab[j] = visiting
					region = append(region, int32(j))
				}
			}
		}
		best := -1
		for _, i := range region {
			k := key(i)
			if bins[k] == 0 {
				first[k] = i
			}
			bins[k]++
			if best < 0 || bins[k] > bins[best] {
				best = k
			}
		}
		ref := int(first[best])
		keep := int(bins[best])*3 >= len(region)
		// The rest of the region (its text) stays marked until all regions
		// are done: it must not become a region of its own, whose most
		// common colour would be the text's.
		for _, i := range region {
			bins[key(i)] = 0
			if keep && cdist(p, int(i), ref) <= 2*flatTol {
				lab[i], bgsrc[i], flooded[i] = ncomp, i, 1
				queue = append(queue, i)
			}
		}
		if keep {
			ncomp++
		}
	}
	for i, l := range lab {
		if l == visiting {
			lab[i] = -1
		}
	}
	return queue, ncomp
}
