package ocr

import "image"

// Decoration strokes: spell checkers draw a wavy red line under every word
// they do not know — exactly the customer names demoguard looks for — and
// grammar checkers a blue or green one. In the ink image (distance to the
// local background, colour-blind by design) such a line is ink like any
// other: it touches the bottom of the glyphs and Tesseract misreads the word
// ("Contoso" → "Cantosg"). The stroke differs from the text by colour, and
// from glyphs by shape, so both decide:
//
//   - the text colour T of a unit is the most common colour of its strong
//     ink, its background B the mean colour of its clear pixels;
//   - text pixels, anti-aliased ones included, are blends of T and B and lie
//     on the segment T–B in RGB space; a pixel far from that segment is
//     drawn in another colour (a red stroke, and its pink fringe);
//   - such off-colour pixels, joined into components, are a decoration when
//     the component is flat and long: at most half a glyph high and at least
//     three times as wide as high and as wide as a glyph. Coloured words
//     (a red negative number, a blue link) are glyph-shaped and stay;
//     descenders are in the text colour and stay.
//
// Cost: two passes over the unit's pixels and a union-find over the
// off-colour ones, which are few.

const (
	offColourTol = 48 // RGB distance from the T–B segment that counts as another colour
	// decorInk: pixels this dark or darker may be part of a stroke. Lighter
	// than inkThresh, so the pale fringe of an anti-aliased wave joins its
	// stroke instead of breaking it into specks.
	decorInk  = 230
	strongInk = 96 // ink value under which a pixel is surely text
)

// eraseDecorations clears decoration strokes from g. col(x, y) returns the
// source colour of g's pixel (x, y); glyph is the unit's glyph height (0 if
// unknown). It reports whether anything was erased.
func eraseDecorations(g *gray, col func(x, y int) [3]int, glyph int) bool {
	w, h := g.w, g.h
	// Text colour: the most common colour (4 bits a channel) of strong ink.
	var bins [4096]int32
	var sum [4096][3]int64
	var bg [3]int64
	var nbg int64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := g.pix[y*w+x]
			switch {
			case v < strongInk:
				c := col(x, y)
				k := c[0]>>4<<8 | c[1]>>4<<4 | c[2]>>4
				bins[k]++
				sum[k][0] += int64(c[0])
				sum[k][1] += int64(c[1])
				sum[k][2] += int64(c[2])
			case v == 255:
				c := col(x, y)
				bg[0] += int64(c[0])
				bg[1] += int64(c[1])
				bg[2] += int64(c[2])
				nbg++
			}
		}
	}
	best := 0
	for k := range bins {
		if bins[k] > bins[best] {
			best = k
		}
	}
	if bins[best] == 0 || nbg == 0 {
		return false
	}
	var T, B [3]float64
	for c := range 3 {
		T[c] = float64(sum[best][c]) / float64(bins[best])
		B[c] = float64(bg[c]) / float64(nbg)
	}
	// Off-colour ink pixels.
	off := make([]bool, w*h)
	any := false
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if g.pix[y*w+x] >= decorInk {
				continue
			}
			if segDist2(col(x, y), T, B) > offColourTol*offColourTol {
				off[y*w+x] = true
				any = true
			}
		}
	}
	if !any {
		return false
	}
	// Components of off-colour pixels (8-connected).
	uf := newUnionFind(w * h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !off[i] {
				continue
			}
			uf[i] = int32(i)
			if x > 0 && off[i-1] {
				uf.union(int32(i), int32(i-1))
			}
			if y > 0 {
				for dx := -1; dx <= 1; dx++ {
					if x+dx >= 0 && x+dx < w && off[i-w+dx] {
						uf.union(int32(i), int32(i-w+dx))
					}
				}
			}
		}
	}
	boxes := map[int32]image.Rectangle{}
	for i, o := range off {
		if !o {
			continue
		}
		r := uf.find(int32(i))
		x, y := i%w, i/w
		p := image.Rect(x, y, x+1, y+1)
		if b, ok := boxes[r]; ok {
			boxes[r] = b.Union(p)
		} else {
			boxes[r] = p
		}
	}
	maxH := 4
	if glyph > 0 {
		maxH = max(4, glyph*3/5)
	}
	isStroke := func(b image.Rectangle) bool {
		return b.Dy() <= maxH && b.Dx() >= 3*b.Dy() && b.Dx() >= max(glyph, 6)
	}
	var strokes []image.Rectangle
	for _, b := range boxes {
		if isStroke(b) {
			strokes = append(strokes, b)
		}
	}
	if len(strokes) == 0 {
		return false
	}
	// Glyphs crossing a stroke cut it into pieces; the short end pieces
	// belong to it when they lie in its band, beside it.
	reach := max(glyph, 6)
	beside := func(b image.Rectangle) bool {
		if b.Dy() > maxH {
			return false
		}
		for _, s := range strokes {
			if b.Min.Y >= s.Min.Y-1 && b.Max.Y <= s.Max.Y+1 &&
				b.Min.X <= s.Max.X+reach && b.Max.X >= s.Min.X-reach {
				return true
			}
		}
		return false
	}
	for i, o := range off {
		if !o {
			continue
		}
		if b := boxes[uf.find(int32(i))]; isStroke(b) || beside(b) {
			g.pix[i] = 255
		}
	}
	return true
}

// segDist2 is the squared distance from colour c to the segment a–b.
func segDist2(c [3]int, a, b [3]float64) float64 {
	var ab, ac [3]float64
	var abab, acab float64
	for k := range 3 {
		ab[k] = b[k] - a[k]
		ac[k] = float64(c[k]) - a[k]
		abab += ab[k] * ab[k]
		acab += ac[k] * ab[k]
	}
	t := 0.0
	if abab > 0 {
		t = min(1, max(0, acab/abab))
	}
	var d float64
	for k := range 3 {
		e := ac[k] - t*ab[k]
		d += e * e
	}
	return d
}
