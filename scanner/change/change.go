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
	if r.Min.Y > b.Min.Y && !rowBlank(img, r.Min.Y, r.Min.X, r.Max.X) {
		for n := 0; n < maxGrowY && r.Min.Y > b.Min.Y && !rowBlank(img, r.Min.Y-1, r.Min.X, r.Max.X); n++ {
			r.Min.Y--
		}
	}
	if r.Max.Y < b.Max.Y && !rowBlank(img, r.Max.Y-1, r.Min.X, r.Max.X) {
		for n := 0; n < maxGrowY && r.Max.Y < b.Max.Y && !rowBlank(img, r.Max.Y, r.Min.X, r.Max.X); n++ {
			r.Max.Y++
		}
	}
	// Horizontally words are separated by less than a column gap, so keep
	// going over blank columns until a gap as wide as colGap is found.
	gap := colGap(r.Dy())
	if r.Min.X > b.Min.X && !colBlank(img, r.Min.X, r.Min.Y, r.Max.Y) {
		for n, blanks := 0, 0; n < maxGrowX && r.Min.X-blanks > b.Min.X; n++ {
			if colBlank(img, r.Min.X-blanks-1, r.Min.Y, r.Max.Y) {
				if blanks++; blanks >= gap {
					break
				}
				continue
			}
			r.Min.X -= blanks + 1
			blanks = 0
		}
	}
	if r.Max.X < b.Max.X && !colBlank(img, r.Max.X-1, r.Min.Y, r.Max.Y) {
		for n, blanks := 0, 0; n < maxGrowX && r.Max.X+blanks < b.Max.X; n++ {
			if colBlank(img, r.Max.X+blanks, r.Min.Y, r.Max.Y) {
				if blanks++; blanks >= gap {
					break
				}
				continue
			}
			r.Max.X += blanks + 1
			blanks = 0
		}
	}
	return r
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
