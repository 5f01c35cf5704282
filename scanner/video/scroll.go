package video

import (
	"image"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/internal/geom"
)

// Scrolling: when a region's content moved up or down (a document scrolled,
// a chat list grew), the lines already read move with it and only the strip
// that scrolled into view is read. Without this every frame of a scroll is
// a full OCR of the region (measured on the accuracy recording: most of the
// read time went to its 2-second scroll).
const (
	minScrollH  = 96  // regions lower than this are read as they are
	minScrollW  = 200 // narrower ones too (a card, a line)
	scrollSlack = 8
)

// findScroll looks for a vertical shift dy with cur(x, y) ≈ ref(x, y+dy)
// inside rg, by comparing row brightness profiles (cheap, robust to
// encoder noise). ok is false when no shift explains the change clearly
// better than no shift.
func findScroll(ref, cur *image.RGBA, rg image.Rectangle) (dy int, ok bool) {
	if rg.Dy() < minScrollH || rg.Dx() < minScrollW {
		return 0, false
	}
	profile := func(img *image.RGBA) []int64 {
		p := make([]int64, rg.Dy())
		for y := rg.Min.Y; y < rg.Max.Y; y++ {
			o := img.PixOffset(rg.Min.X, y)
			var s int64
			row := img.Pix[o : o+4*rg.Dx()]
			for i := 0; i < len(row); i += 4 {
				s += int64(row[i]) + int64(row[i+1]) + int64(row[i+2])
			}
			p[y-rg.Min.Y] = s
		}
		return p
	}
	pc, pr := profile(cur), profile(ref)
	h := rg.Dy()
	cost := func(d int) (float64, bool) {
		var sum int64
		n := 0
		for y := max(0, -d); y < h && y+d < h; y++ {
			v := pc[y] - pr[y+d]
			if v < 0 {
				v = -v
			}
			sum += v
			n++
		}
		if n < h/2 {
			return 0, false
		}
		return float64(sum) / float64(n), true
	}
	c0, _ := cost(0)
	best, bestCost := 0, c0
	for d := -h / 2; d <= h/2; d++ {
		if d == 0 {
			continue
		}
		if c, ok := cost(d); ok && c < bestCost {
			best, bestCost = d, c
		}
	}
	// Clearly better than standing still, and close to the noise floor:
	// at most ~2 levels per pixel on average.
	if best == 0 || bestCost > c0/4 || bestCost > float64(rg.Dx())*3*2 {
		return 0, false
	}
	return best, true
}

// shiftedRef is ref with rg's rows taken from dy further down (as they would
// look after the scroll); rows whose source lies outside rg become the
// inverse of cur, so they count as changed and are read.
func shiftedRef(ref, cur *image.RGBA, rg image.Rectangle, dy int) *image.RGBA {
	out := &image.RGBA{Pix: append([]byte(nil), ref.Pix...), Stride: ref.Stride, Rect: ref.Rect}
	w := 4 * rg.Dx()
	for y := rg.Min.Y; y < rg.Max.Y; y++ {
		o := out.PixOffset(rg.Min.X, y)
		if sy := y + dy; sy >= rg.Min.Y && sy < rg.Max.Y {
			so := ref.PixOffset(rg.Min.X, sy)
			copy(out.Pix[o:o+w], ref.Pix[so:so+w])
			continue
		}
		for i := 0; i < w; i++ {
			out.Pix[o+i] = ^cur.Pix[o+i]
		}
	}
	return out
}

// moveLines moves the words inside rg by -dy (their pixels moved there);
// words that leave rg are dropped.
func moveLines(lines []rules.Line, rg, bounds image.Rectangle, dy int) []rules.Line {
	out := lines[:0]
	for _, l := range lines {
		if !geom.Rect(l.Box).Overlaps(rg) {
			out = append(out, l)
			continue
		}
		var ws []rules.Word
		var box rules.Box
		for _, w := range l.Words {
			wr := geom.Rect(w.Box)
			if !wr.In(rg) {
				if !wr.Overlaps(rg) {
					ws = append(ws, w)
					box = box.Union(w.Box)
				}
				continue // cut by the region's edge: read again if still there
			}
			w.Box.Y -= dy
			// OCR boxes reach a pixel or two past the ink that bounds the
			// changed region: a word moved to the region's edge stays.
			if geom.Rect(w.Box).In(rg.Inset(-scrollSlack).Intersect(bounds)) {
				ws = append(ws, w)
				box = box.Union(w.Box)
			}
		}
		if len(ws) > 0 {
			out = append(out, rules.Line{Words: ws, Box: box, Block: l.Block})
		}
	}
	clear(lines[len(out):])
	return out
}
