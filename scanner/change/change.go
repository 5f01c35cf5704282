// Package change finds what changed between two frames of a display, grown
// to whole text lines, and cuts a region into text lines (the unit of OCR and
// of the line cache). A static screen costs one bytes.Equal per pixel row.
package change

import (
	"bytes"
	"image"

	"github.com/demoguard/demoguard/scanner/internal/geom"
)

// Change detection works on tiles so that a static screen costs one
// bytes.Equal per pixel row, and a change is located without any minimum
// area: a single changed pixel marks its tile (a notification covering 1.5%
// of the screen must be read, see NOTES on ScreenCloak's 2% threshold).
const (
	tileW = 32
	tileH = 16
	// blankTol is the per-channel difference below which two pixels count as
	// the same background colour (anti-aliasing, dithering, gradients).
	blankTol = 24
	// maxGrowY/maxGrowX bound how far a change is grown to reach whole text
	// lines; beyond them the change is not part of one line any more.
	maxGrowY = 48
	maxGrowX = 480
)

// Regions compares cur with prev (same bounds, origin at 0,0) and returns
// the changed areas, each the exact bounding box of its changed pixels, grown
// to whole text lines and merged where they overlap. A nil prev or different
// bounds mean everything changed.
func Regions(prev, cur *image.RGBA) []image.Rectangle {
	b := cur.Rect
	if prev == nil || prev.Rect != b {
		if b.Empty() {
			return nil
		}
		return []image.Rectangle{b}
	}
	tiles := diffTiles(prev, cur)
	if len(tiles) == 0 {
		return nil
	}
	regions := make([]image.Rectangle, 0, len(tiles))
	for _, r := range tiles {
		regions = append(regions, growToLines(cur, r))
	}
	return geom.Merge(regions, 2)
}

// diffTiles returns the bounding boxes (exact to the pixel) of connected
// groups of changed tiles.
func diffTiles(prev, cur *image.RGBA) []image.Rectangle {
	b := cur.Rect
	w, h := b.Dx(), b.Dy()
	nx, ny := (w+tileW-1)/tileW, (h+tileH-1)/tileH
	var boxes map[int]image.Rectangle // tile index -> exact changed bbox
	for y := 0; y < h; y++ {
		po := (y)*prev.Stride + 0
		co := (y)*cur.Stride + 0
		pr, cr := prev.Pix[po:po+4*w], cur.Pix[co:co+4*w]
		if bytes.Equal(pr, cr) {
			continue
		}
		ty := y / tileH
		for tx := 0; tx < nx; tx++ {
			x0, x1 := tx*tileW, min((tx+1)*tileW, w)
			ps, cs := pr[4*x0:4*x1], cr[4*x0:4*x1]
			if bytes.Equal(ps, cs) {
				continue
			}
			first, last := -1, -1
			for i := 0; i < len(ps); i += 4 {
				if ps[i] != cs[i] || ps[i+1] != cs[i+1] || ps[i+2] != cs[i+2] || ps[i+3] != cs[i+3] {
					if first < 0 {
						first = i / 4
					}
					last = i / 4
				}
			}
			r := image.Rect(x0+first, y, x0+last+1, y+1)
			if boxes == nil {
				boxes = make(map[int]image.Rectangle)
			}
			k := ty*nx + tx
			if old, ok := boxes[k]; ok {
				r = old.Union(r)
			}
			boxes[k] = r
		}
	}
	if len(boxes) == 0 {
		return nil
	}
	// Connected components over the tile grid (8-neighbourhood), so one
	// window or card becomes one region rather than dozens of tiles.
	seen := make(map[int]bool, len(boxes))
	var out []image.Rectangle
	for k := range boxes {
		if seen[k] {
			continue
		}
		seen[k] = true
		stack := []int{k}
		var r image.Rectangle
		for len(stack) > 0 {
			t := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			r = r.Union(boxes[t])
			tx, ty := t%nx, t/nx
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := tx+dx, ty+dy
					if x < 0 || y < 0 || x >= nx || y >= ny {
						continue
					}
					n := y*nx + x
					if _, ok := boxes[n]; ok && !seen[n] {
						seen[n] = true
						stack = append(stack, n)
					}
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// near reports whether two pixels differ by at most blankTol per channel.
func near(a, b []byte) bool {
	for i := 0; i < 3; i++ {
		d := int(a[i]) - int(b[i])
		if d < -blankTol || d > blankTol {
			return false
		}
	}
	return true
}

// rowBlank reports whether row y between x0 and x1 is one background colour.
// A couple of pixels at each end are ignored when the span is wide, so that
// the 1 px border of a card does not make every row inside it look inked.
func rowBlank(img *image.RGBA, y, x0, x1 int) bool {
	if x1-x0 > 16 {
		x0, x1 = x0+2, x1-2
	}
	o := y * img.Stride
	ref := img.Pix[o+4*x0 : o+4*x0+4]
	for x := x0 + 1; x < x1; x++ {
		if !near(ref, img.Pix[o+4*x:o+4*x+4]) {
			return false
		}
	}
	return true
}

// colBlank is rowBlank for column x between y0 and y1.
func colBlank(img *image.RGBA, x, y0, y1 int) bool {
	if y1-y0 > 16 {
		y0, y1 = y0+2, y1-2
	}
	ref := img.Pix[y0*img.Stride+4*x : y0*img.Stride+4*x+4]
	for y := y0 + 1; y < y1; y++ {
		o := y*img.Stride + 4*x
		if !near(ref, img.Pix[o:o+4]) {
			return false
		}
	}
	return true
}

// growToLines extends a changed box to whole text lines: a change that cuts
// through a line (a digit typed into a figure) must be read together with
// the rest of the line. An edge only moves when the text runs across it
// (inked on both sides), so a card that appears over a slide stays the card.
func growToLines(img *image.RGBA, r image.Rectangle) image.Rectangle {
	b := img.Rect
	// An edge between two backgrounds is a panel's (a card, a terminal, a
	// video beside a document), not text running across: growing there
	// would pull the document's lines into every read of the panel, cut
	// anew with new keys on every change of an area that keeps changing.
	// Only a long edge (more than a line's height) is judged so: along a
	// short one (a typed digit) the band inside may be mostly ink.
	bgAcross := func(in, out image.Rectangle) bool {
		if max(in.Dx(), in.Dy()) <= maxGrowY {
			return true
		}
		a, c := commonColour(img, in.Intersect(b)), commonColour(img, out.Intersect(b))
		return near(a[:], c[:])
	}
	const band = 4
	if r.Min.Y > b.Min.Y && !rowBlank(img, r.Min.Y, r.Min.X, r.Max.X) &&
		bgAcross(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+band), image.Rect(r.Min.X, r.Min.Y-band, r.Max.X, r.Min.Y)) {
		for n := 0; n < maxGrowY && r.Min.Y > b.Min.Y && !rowBlank(img, r.Min.Y-1, r.Min.X, r.Max.X); n++ {
			r.Min.Y--
		}
	}
	if r.Max.Y < b.Max.Y && !rowBlank(img, r.Max.Y-1, r.Min.X, r.Max.X) &&
		bgAcross(image.Rect(r.Min.X, r.Max.Y-band, r.Max.X, r.Max.Y), image.Rect(r.Min.X, r.Max.Y, r.Max.X, r.Max.Y+band)) {
		for n := 0; n < maxGrowY && r.Max.Y < b.Max.Y && !rowBlank(img, r.Max.Y, r.Min.X, r.Max.X); n++ {
			r.Max.Y++
		}
	}
	// Horizontally words are separated by less than a column gap, so keep
	// going over blank columns until a gap as wide as colGap is found —
	// for a change a line or two high (a digit typed into a figure). A
	// taller change (a window redrawn, a page scrolled, a log moving on)
	// holds its own lines whole; growing it would take in the lines of
	// whatever lies beside it, cut anew on every frame.
	if r.Dy() > maxGrowY {
		return r
	}
	gap := colGap(r.Dy())
	if r.Min.X > b.Min.X && !colBlank(img, r.Min.X, r.Min.Y, r.Max.Y) &&
		bgAcross(image.Rect(r.Min.X, r.Min.Y, r.Min.X+band, r.Max.Y), image.Rect(r.Min.X-band, r.Min.Y, r.Min.X, r.Max.Y)) {
		for n, blanks := 0, 0; n < maxGrowX && r.Min.X-blanks > b.Min.X; n++ {
			x := r.Min.X - blanks - 1
			if colBlank(img, x, r.Min.Y, r.Max.Y) {
				if blanks++; blanks >= gap {
					break
				}
				continue
			}
			// Ink after a gap: the same text only on the same background.
			if blanks > 0 && !bgAcross(image.Rect(r.Min.X, r.Min.Y, r.Min.X+band, r.Max.Y), image.Rect(x+1-band, r.Min.Y, x+1, r.Max.Y)) {
				break
			}
			r.Min.X -= blanks + 1
			blanks = 0
		}
	}
	if r.Max.X < b.Max.X && !colBlank(img, r.Max.X-1, r.Min.Y, r.Max.Y) &&
		bgAcross(image.Rect(r.Max.X-band, r.Min.Y, r.Max.X, r.Max.Y), image.Rect(r.Max.X, r.Min.Y, r.Max.X+band, r.Max.Y)) {
		for n, blanks := 0, 0; n < maxGrowX && r.Max.X+blanks < b.Max.X; n++ {
			x := r.Max.X + blanks
			if colBlank(img, x, r.Min.Y, r.Max.Y) {
				if blanks++; blanks >= gap {
					break
				}
				continue
			}
			if blanks > 0 && !bgAcross(image.Rect(r.Max.X-band, r.Min.Y, r.Max.X, r.Max.Y), image.Rect(x, r.Min.Y, x+band, r.Max.Y)) {
				break
			}
			r.Max.X += blanks + 1
			blanks = 0
		}
	}
	return r
}

// Cut reports whether piece p (of change.Lines over region r of cur)
// reaches an edge of r where its ink runs on outside r, and the pixels of
// p next to that edge changed since prev: a new word cut in two by the
// region, whose read is no verdict on what is on screen. A cut through
// pixels that did not change (the region grew into a line beside the
// change) cuts a word that was read whole before. A nil prev (the first
// frame) counts every such edge as changed.
func Cut(prev, cur *image.RGBA, r, p image.Rectangle) bool {
	b := cur.Rect
	y0, y1 := max(p.Min.Y, r.Min.Y), min(p.Max.Y, r.Max.Y)
	x0, x1 := max(p.Min.X, r.Min.X), min(p.Max.X, r.Max.X)
	if y1 <= y0 || x1 <= x0 {
		return false
	}
	changed := func(strip image.Rectangle) bool {
		strip = strip.Intersect(p).Intersect(r)
		return prev == nil || prev.Rect != cur.Rect || !strip.Empty() && !same(prev, cur, strip)
	}
	anyChanged := func(words []image.Rectangle) bool {
		for _, w := range words {
			if changed(w) {
				return true
			}
		}
		return false
	}
	// Beside the left or right edge: ink within a letter gap outside, on
	// the background inside (each side's background is the common colour
	// of a band a few columns wide: one column may lie on a stroke).
	const band = 4
	lg := letterGap(y1 - y0)
	if p.Min.X+2 <= r.Min.X+lg && r.Min.X > b.Min.X { // p's ink starts within a letter gap of the edge
		if x := inkedCol(cur, r.Min.X-1, -1, b, y0, y1); x >= 0 &&
			runsOn(cur, image.Rect(r.Min.X, y0, r.Min.X+band, y1), image.Rect(x+1-band, y0, x+1, y1)) &&
			anyChanged(wordsAt(cur, r, x, y0, y1, 1)) {
			return true
		}
	}
	if p.Max.X-2 >= r.Max.X-lg && r.Max.X < b.Max.X {
		if x := inkedCol(cur, r.Max.X, 1, b, y0, y1); x >= 0 &&
			runsOn(cur, image.Rect(r.Max.X-band, y0, r.Max.X, y1), image.Rect(x, y0, x+band, y1)) &&
			anyChanged(wordsAt(cur, r, x, y0, y1, -1)) {
			return true
		}
	}
	// Across the top or bottom edge (a region stopped by maxGrowY inside
	// a tall line): the line that crosses it, from the edge inwards to its
	// first blank row, over the columns inked outside.
	if p.Min.Y <= r.Min.Y && r.Min.Y > b.Min.Y && runsOn(cur, image.Rect(x0, r.Min.Y, x1, r.Min.Y+1), image.Rect(x0, r.Min.Y-1, x1, r.Min.Y)) &&
		changed(lineAt(cur, r, r.Min.Y-1, x0, x1, 1)) {
		return true
	}
	if p.Max.Y >= r.Max.Y && r.Max.Y < b.Max.Y && runsOn(cur, image.Rect(x0, r.Max.Y-1, x1, r.Max.Y), image.Rect(x0, r.Max.Y, x1, r.Max.Y+1)) &&
		changed(lineAt(cur, r, r.Max.Y, x0, x1, -1)) {
		return true
	}
	return false
}

// lineAt is the part inside region r of the text crossing r's top (dir 1:
// out is r.Min.Y-1) or bottom (dir -1: out is r.Max.Y) edge: the columns
// of x0..x1 inked in row out (with a letter gap either side), and the rows
// from the edge inwards to the first blank one over them.
func lineAt(img *image.RGBA, r image.Rectangle, out, x0, x1, dir int) image.Rectangle {
	ref := commonColour(img, image.Rect(x0, out, x1, out+1))
	xa, xb := -1, -1
	for x := x0; x < x1; x++ {
		o := img.PixOffset(x, out)
		if !near(ref[:], img.Pix[o:o+4]) {
			if xa < 0 {
				xa = x
			}
			xb = x + 1
		}
	}
	if xa < 0 {
		return image.Rectangle{}
	}
	xa, xb = max(x0, xa-3), min(x1, xb+3)
	y := r.Min.Y
	if dir < 0 {
		y = r.Max.Y - 1
	}
	for n := 0; y >= r.Min.Y && y < r.Max.Y && n < maxGrowY && !rowBlank(img, y, xa, xb); y, n = y+dir, n+1 {
	}
	if dir > 0 {
		return image.Rect(xa, r.Min.Y, xb, y)
	}
	return image.Rect(xa, y+1, xb, r.Max.Y)
}

// letterGap is the widest gap between two letters of one word in a line
// h pixels high, taken generously (a third of the height, at least 3 px):
// a word gap taken for a letter gap only holds a line longer.
func letterGap(h int) int { return max(3, min(h, maxGrowY)/3) }

// inkedCol returns the first column from x in direction dir (within a
// letter gap, and bounds b) not blank over rows y0..y1, or -1.
func inkedCol(img *image.RGBA, x, dir int, b image.Rectangle, y0, y1 int) int {
	gap := letterGap(y1 - y0)
	for i := 0; i < gap && x >= b.Min.X && x < b.Max.X; i, x = i+1, x+dir {
		if !colBlank(img, x, y0, y1) {
			return x
		}
	}
	return -1
}

// wordsAt are the parts inside region r of the words that cross r's left
// (dir 1) or right (dir -1) edge, where column out (outside r) is inked:
// for each run of rows inked in out (a line crossing the edge), the
// columns from the edge inwards to the first gap between words, or to a
// background of another colour (a card's edge).
func wordsAt(img *image.RGBA, r image.Rectangle, out, y0, y1, dir int) []image.Rectangle {
	ref := commonColour(img, image.Rect(out-2, y0, out+3, y1))
	var words []image.Rectangle
	word := func(ya, yb int) {
		gap := letterGap(yb - ya)
		x, last := r.Min.X, r.Min.X
		if dir < 0 {
			x, last = r.Max.X-1, r.Max.X-1
		}
		for blanks := 0; x >= r.Min.X && x < r.Max.X && blanks < gap; x += dir {
			if !colBlank(img, x, ya, yb) {
				blanks, last = 0, x
				continue
			}
			if o := img.PixOffset(x, ya); !near(ref[:], img.Pix[o:o+4]) {
				break // another background: the word ended at a panel's edge
			}
			blanks++
		}
		if dir > 0 {
			words = append(words, image.Rect(r.Min.X, ya, last+1, yb))
		} else {
			words = append(words, image.Rect(last, ya, r.Max.X, yb))
		}
	}
	ya := -1
	for y := y0; y <= y1; y++ {
		inked := false
		if y < y1 {
			o := img.PixOffset(out, y)
			inked = !near(ref[:], img.Pix[o:o+4])
		}
		switch {
		case inked && ya < 0:
			ya = y
		case !inked && ya >= 0:
			word(ya, y)
			ya = -1
		}
	}
	return words
}

// runsOn reports whether ink runs on from the pixels in to the pixels out
// beside them (bands of columns, known to be inked outside, or single
// rows): out is not blank, and both have the same background (their most common colour). Text running
// across keeps its background; the edge of a card or a window meeting other
// content does not.
func runsOn(img *image.RGBA, in, out image.Rectangle) bool {
	if out.Dy() == 1 && rowBlank(img, out.Min.Y, out.Min.X, out.Max.X) {
		return false
	}
	a, b := commonColour(img, in), commonColour(img, out)
	return near(a[:], b[:])
}

// commonColour is the most common colour of r's pixels (within blankTol,
// from a sample of at most about 128 spread over r).
func commonColour(img *image.RGBA, r image.Rectangle) [4]byte {
	r = r.Intersect(img.Rect)
	step := 1
	for (r.Dx()+step-1)/step*((r.Dy()+step-1)/step) > 128 {
		step++
	}
	var px [][4]byte
	for y := r.Min.Y; y < r.Max.Y; y += step {
		for x := r.Min.X; x < r.Max.X; x += step {
			o := img.PixOffset(x, y)
			px = append(px, [4]byte(img.Pix[o:o+4]))
		}
	}
	best, bestN := [4]byte{}, -1
	for _, c := range px {
		k := 0
		for _, d := range px {
			if near(c[:], d[:]) {
				k++
			}
		}
		if k > bestN {
			best, bestN = c, k
		}
	}
	return best
}

// same reports whether a and b have the same pixels in r (an empty r is
// the same).
func same(a, b *image.RGBA, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		oa, ob := a.PixOffset(r.Min.X, y), b.PixOffset(r.Min.X, y)
		if !bytes.Equal(a.Pix[oa:oa+4*r.Dx()], b.Pix[ob:ob+4*r.Dx()]) {
			return false
		}
	}
	return true
}

// colGap is the run of blank columns that separates two pieces of text
// rather than two words of one phrase: word spaces are well under a line
// height, table and panel gaps wider.
func colGap(h int) int {
	g := h * 6 / 5
	if h > 48 {
		g = 48 * 6 / 5 // a tall multi-line block: gap of a large font's line
	}
	return max(12, g)
}

// Lines cuts a region into text pieces by recursive XY cuts: blank rows
// separate lines, wide runs of blank columns separate table columns and
// panels. Pieces are what goes to OCR and what the cache is keyed by, so a
// scrolled list re-uses the OCR of every line it already read. Blank
// regions give nothing (a notification that disappeared costs no OCR).
func Lines(img *image.RGBA, r image.Rectangle) []image.Rectangle {
	r = r.Intersect(img.Rect)
	var out []image.Rectangle
	cutRows(img, r, 0, &out)
	return out
}

const maxCutDepth = 4

// Panels: several lines tall, side by side, on different backgrounds (a
// terminal or a video beside a document) have no blank column between them
// where their rows are not blank across both: without cutting at the edge
// between backgrounds, one piece would span them, and a read of it would
// mix both and be cut anew whenever either changes.
const (
	panelMin   = 8  // columns a new background must hold to be a panel's
	panelShare = 45 // % of a column's samples that make its background
)

// panelCuts splits p at columns (across: cut at x) or rows (down: cut at
// y) where the background changes and stays changed for panelMin: a
// column's (row's) background is the luma level (of 16) of at least
// panelShare % of its pixels, or "busy" (a picture) when no level has that
// many; levels two or more apart, or busy against a background, are
// different.
func panelCuts(img *image.RGBA, p image.Rectangle, across bool) []image.Rectangle {
	n, m := p.Dx(), p.Dy() // lines to classify, pixels along each
	if !across {
		n, m = m, n
	}
	if n < 2*panelMin {
		return []image.Rectangle{p}
	}
	cls := make([]int8, n)
	step := max(1, m/48)
	var hist [16]int
	for i := range cls {
		clear(hist[:])
		k := 0
		for j := 0; j < m; j += step {
			x, y := p.Min.X+i, p.Min.Y+j
			if !across {
				x, y = p.Min.X+j, p.Min.Y+i
			}
			o := img.PixOffset(x, y)
			hist[(77*int(img.Pix[o])+150*int(img.Pix[o+1])+29*int(img.Pix[o+2]))>>12]++
			k++
		}
		cls[i] = -1
		for l, c := range hist {
			if c*100 >= panelShare*k {
				cls[i] = int8(l)
			}
		}
	}
	differ := func(a, b int8) bool {
		if a < 0 || b < 0 {
			return (a < 0) != (b < 0)
		}
		return a-b >= 2 || b-a >= 2
	}
	part := func(a, b int) image.Rectangle {
		if across {
			return image.Rect(p.Min.X+a, p.Min.Y, p.Min.X+b, p.Max.Y)
		}
		return image.Rect(p.Min.X, p.Min.Y+a, p.Max.X, p.Min.Y+b)
	}
	var out []image.Rectangle
	start, cur := 0, cls[0]
	for i := 1; i+panelMin <= len(cls); i++ {
		if !differ(cur, cls[i]) {
			continue
		}
		held := true
		for k := 1; k < panelMin; k++ {
			if differ(cls[i], cls[i+k]) {
				held = false
				break
			}
		}
		if !held || i-start < panelMin {
			continue
		}
		out = append(out, part(start, i))
		start, cur = i, cls[i]
	}
	return append(out, part(start, n))
}

// cutRows splits r into runs of inked rows and each run into columns.
func cutRows(img *image.RGBA, r image.Rectangle, depth int, out *[]image.Rectangle) {
	var runs []image.Rectangle
	start := -1
	for y := r.Min.Y; y < r.Max.Y; y++ {
		if rowBlank(img, y, r.Min.X, r.Max.X) {
			if start >= 0 {
				runs = append(runs, image.Rect(r.Min.X, start, r.Max.X, y))
				start = -1
			}
		} else if start < 0 {
			start = y
		}
	}
	if start >= 0 {
		runs = append(runs, image.Rect(r.Min.X, start, r.Max.X, r.Max.Y))
	}
	for _, run := range runs {
		if run.Dy() > 2*tileH && depth > 0 {
			// A picture right under a line of text, with no blank row
			// between (a video window over a document). Only inside a
			// part already cut out by columns: across a whole screen the
			// rows of a panel and of the text beside it are one band.
			for _, part := range panelCuts(img, run, false) {
				cutCols(img, part, depth, out)
			}
			continue
		}
		cutCols(img, run, depth, out)
	}
}

// cutCols splits a run of rows at wide column gaps; pieces that got narrower
// may now have blank rows, so they are cut again by rows.
func cutCols(img *image.RGBA, r image.Rectangle, depth int, out *[]image.Rectangle) {
	gap := colGap(r.Dy())
	var pieces []image.Rectangle
	start, blanks := -1, 0
	for x := r.Min.X; x < r.Max.X; x++ {
		if colBlank(img, x, r.Min.Y, r.Max.Y) {
			blanks++
			if start >= 0 && blanks >= gap {
				pieces = append(pieces, image.Rect(start, r.Min.Y, x-blanks+1, r.Max.Y))
				start = -1
			}
			continue
		}
		if start < 0 {
			start = x
		}
		blanks = 0
	}
	if start >= 0 {
		pieces = append(pieces, image.Rect(start, r.Min.Y, r.Max.X-blanks, r.Max.Y))
	}
	if depth < maxCutDepth && r.Dy() > 2*tileH {
		var split []image.Rectangle
		for _, p := range pieces {
			split = append(split, panelCuts(img, p, true)...)
		}
		pieces = split
	}
	for _, p := range pieces {
		if p != r && depth < maxCutDepth && p.Dy() > 2*tileH {
			cutRows(img, p, depth+1, out)
			continue
		}
		if p.Dx() < 4 || p.Dy() < 6 {
			continue // a rule, a cursor, a speck: nothing readable
		}
		// Tesseract reads better with a margin, and the margin must not
		// depend on the changed region (it is part of the cache key), so it
		// comes from the screen around the piece, which was cut on blank lines.
		*out = append(*out, p.Inset(-2).Intersect(img.Rect))
	}
}
