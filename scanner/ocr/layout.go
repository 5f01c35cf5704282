package ocr

import (
	"image"
	"slices"
)

// Layout of one unit (region of one background): estimate the text size,
// erase ruling lines, and cut the ink into blocks and lines with a recursive
// XY-cut. Tesseract then only has to read lines whose position we already
// know, which is what it is good at; its own page segmentation is what loses
// panels on mixed screens.

const inkThresh = 160 // ink image value below which a pixel counts as ink

// gray is an 8-bit image with origin 0,0.
type gray struct {
	w, h int
	pix  []uint8
}

// leaf is a block of text found by the XY-cut, in unit crop coordinates.
type leaf struct {
	r     image.Rectangle
	block int // layout block (column/paragraph) id, unique in the result
}

// blob is a connected component of ink (8-connected).
type blob struct {
	x0, y0, x1, y1 int
	area           int
}

func blobs(g *gray) []blob {
	w, h := g.w, g.h
	n := w * h
	parent := newUnionFind(n)
	find, union := parent.find, parent.union
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if g.pix[i] >= inkThresh {
				continue
			}
			parent[i] = int32(i)
			if x > 0 && parent[i-1] >= 0 {
				union(int32(i), int32(i-1))
			}
			if y > 0 {
				if parent[i-w] >= 0 {
					union(int32(i), int32(i-w))
				}
				if x > 0 && parent[i-w-1] >= 0 {
					union(int32(i), int32(i-w-1))
				}
				if x+1 < w && parent[i-w+1] >= 0 {
					union(int32(i), int32(i-w+1))
				}
			}
		}
	}
	idx := make([]int32, n) // root → blob index+1 (roots come first in scan order)
	var out []blob
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if parent[i] < 0 {
				continue
			}
			r := find(int32(i))
			if idx[r] == 0 {
				out = append(out, blob{x, y, x + 1, y + 1, 0})
				idx[r] = int32(len(out))
			}
			b := &out[idx[r]-1]
			b.x0, b.y0 = min(b.x0, x), min(b.y0, y)
			b.x1, b.y1 = max(b.x1, x+1), max(b.y1, y+1)
			b.area++
		}
	}
	return out
}

// glyphHeight is the median height of the blobs that look like glyphs or
// short words: between x-height and cap height of the text. 0 when there is
// no text-like ink.
func glyphHeight(bs []blob) int {
	var hs []int
	for _, b := range bs {
		bw, bh := b.x1-b.x0, b.y1-b.y0
		if bh < 4 || bw > 6*bh || bh > 300 || (bh > 30 && bw*6 < bh) {
			continue // specks, rules, long words, vertical lines
		}
		hs = append(hs, bh)
	}
	if len(hs) == 0 {
		return 0
	}
	slices.Sort(hs)
	return hs[len(hs)/2]
}

// wordHeight is the median height of blobs shaped like merged words (at
// least 6 px high, wider than high), 0 if there is none.
func wordHeight(bs []blob) int {
	var hs []int
	for _, b := range bs {
		if bh := b.y1 - b.y0; bh >= 6 && bh <= 300 && b.x1-b.x0 > bh {
			hs = append(hs, bh)
		}
	}
	if len(hs) == 0 {
		return 0
	}
	slices.Sort(hs)
	return hs[len(hs)/2]
}

// eraseEdgeSolids clears solid blobs touching the crop's edge: the corners
// of a neighbouring panel or a cut-off shape inside a requested region, not
// text (glyphs fill well under 60 % of their box).
func eraseEdgeSolids(g *gray, bs []blob, edge image.Rectangle) {
	for _, b := range bs {
		touches := b.x0 <= edge.Min.X || b.y0 <= edge.Min.Y || b.x1 >= edge.Max.X || b.y1 >= edge.Max.Y
		if !touches || b.area*10 < (b.x1-b.x0)*(b.y1-b.y0)*6 {
			continue
		}
		for y := b.y0; y < b.y1; y++ {
			for x := b.x0; x < b.x1; x++ {
				if g.pix[y*g.w+x] < inkThresh {
					g.pix[y*g.w+x] = 255
				}
			}
		}
	}
}

// eraseRules removes long thin straight ink runs (table grids, underlines,
// separators): Tesseract reads them as "|" or "_" and they glue lines
// together for the XY-cut.
func eraseRules(g *gray, glyph int) {
	minLen := max(6*glyph, 30)
	const thick = 3 // a rule is at most this thick; thicker bars are kept
	w, h := g.w, g.h
	inkAt := func(x, y int) bool {
		return x >= 0 && y >= 0 && x < w && y < h && g.pix[y*w+x] < inkThresh
	}
	var erase [][4]int // x0,y0,x1,y1 inclusive-exclusive
	// Horizontal runs.
	for y := 0; y < h; y++ {
		x := 0
		for x < w {
			if !inkAt(x, y) {
				x++
				continue
			}
			x0 := x
			for x < w && inkAt(x, y) {
				x++
			}
			if x-x0 >= minLen {
				// Thin if the rows thick+1 above and below are mostly clear.
				above, below := 0, 0
				for xx := x0; xx < x; xx++ {
					if inkAt(xx, y-thick-1) {
						above++
					}
					if inkAt(xx, y+thick+1) {
						below++
					}
				}
				if above*2 < x-x0 && below*2 < x-x0 {
					erase = append(erase, [4]int{x0, y, x, y + 1})
				}
			}
		}
	}
	// A vertical run from one horizontal rule to another is the side of a
	// frame (a spreadsheet's selected cell, a table cell border) even when
	// shorter than a rule: left standing it reads as "[" or "|" glued to the
	// cell's text.
	var hrule []bool
	if len(erase) > 0 {
		hrule = make([]bool, w*h)
		for _, e := range erase {
			for x := e[0]; x < e[2]; x++ {
				hrule[e[1]*w+x] = true
			}
		}
	}
	// ruleIn: a horizontal rule crosses column x in rows [y0, y1).
	ruleIn := func(x, y0, y1 int) bool {
		for y := max(0, y0); y < min(h, y1); y++ {
			if hrule[y*w+x] {
				return true
			}
		}
		return false
	}
	// Vertical runs.
	for x := 0; x < w; x++ {
		y := 0
		for y < h {
			if !inkAt(x, y) {
				y++
				continue
			}
			y0 := y
			for y < h && inkAt(x, y) {
				y++
			}
			// The run includes the rules it joins (a frame's corners are
			// ink); a glyph merely near a rule does not.
			side := hrule != nil && y-y0 >= 6 && ruleIn(x, y0, y0+thick) && ruleIn(x, y-thick, y)
			if y-y0 >= minLen || side {
				left, right := 0, 0
				for yy := y0; yy < y; yy++ {
					if inkAt(x-thick-1, yy) {
						left++
					}
					if inkAt(x+thick+1, yy) {
						right++
					}
				}
				// A frame's side bounds text on one side: it only must not
				// be part of a solid block.
				if left*2 < y-y0 && right*2 < y-y0 || side && (left < y-y0 || right < y-y0) {
					erase = append(erase, [4]int{x, y0, x + 1, y})
				}
			}
		}
	}
	for _, e := range erase {
		for y := e[1]; y < e[3]; y++ {
			for x := e[0]; x < e[2]; x++ {
				// Also clear the anti-aliased fringe one pixel either side.
				g.pix[y*w+x] = 255
			}
		}
	}
}

// xyCut splits the ink of g into leaves: first at vertical gaps wide enough to
// be column gutters (wider than any word space), then at blank rows.
type cutter struct {
	g        *gray
	colGap   int // min blank columns between columns of text
	paraGap  int // blank rows that start a new block
	newBlock func() int
	leaves   []leaf
}

func (c *cutter) trim(r image.Rectangle) image.Rectangle {
	x0, y0, x1, y1 := r.Max.X, r.Max.Y, r.Min.X, r.Min.Y
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := c.g.pix[y*c.g.w:]
		for x := r.Min.X; x < r.Max.X; x++ {
			if row[x] < inkThresh {
				x0, x1 = min(x0, x), max(x1, x+1)
				y0, y1 = min(y0, y), max(y1, y+1)
			}
		}
	}
	if x1 <= x0 {
		return image.Rectangle{}
	}
	return image.Rect(x0, y0, x1, y1)
}

// gaps returns the content runs [a,b) along one axis, given a per-index ink
// count, splitting at blank runs of at least minGap.
func runs(count []int, minGap int) (parts [][2]int, gapsBefore []int) {
	start, blank := -1, 0
	for i, v := range count {
		if v > 0 {
			if start < 0 {
				start = i
				gapsBefore = append(gapsBefore, blank)
			} else if blank >= minGap {
				parts = append(parts, [2]int{start, i - blank})
				gapsBefore = append(gapsBefore, blank)
				start = i
			}
			blank = 0
		} else {
			blank++
		}
	}
	if start >= 0 {
		parts = append(parts, [2]int{start, len(count) - blank})
	}
	return parts, gapsBefore
}

func (c *cutter) cut(r image.Rectangle, block int, depth int) {
	r = c.trim(r)
	if r.Empty() {
		return
	}
	if depth > 40 {
		c.leaves = append(c.leaves, leaf{r, block})
		return
	}
	cols := make([]int, r.Dx())
	rows := make([]int, r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := c.g.pix[y*c.g.w:]
		for x := r.Min.X; x < r.Max.X; x++ {
			if row[x] < inkThresh {
				cols[x-r.Min.X]++
				rows[y-r.Min.Y]++
			}
		}
	}
	if parts, _ := runs(cols, c.colGap); len(parts) > 1 {
		for _, pt := range parts {
			c.cut(image.Rect(r.Min.X+pt[0], r.Min.Y, r.Min.X+pt[1], r.Max.Y), c.newBlock(), depth+1)
		}
		return
	}
	if parts, gaps := runs(rows, 1); len(parts) > 1 {
		for k, pt := range parts {
			b := block
			if k > 0 && gaps[k] >= c.paraGap {
				b = c.newBlock()
			}
			c.cut(image.Rect(r.Min.X, r.Min.Y+pt[0], r.Max.X, r.Min.Y+pt[1]), b, depth+1)
		}
		return
	}
	c.leaves = append(c.leaves, leaf{r, block})
}
