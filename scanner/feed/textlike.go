package feed

import "image"

// The pixel test that lets motion without text be shown live. A piece the
// agent has not read yet (a video frame, an animation, a chart redrawing)
// is shown as captured when nothing in it looks like text; where something
// does, the rows that hold it stay held (or blurred) until they are read.
//
// What "looks like text" means here: strokes. Every glyph, at any size a
// person can read on a screen, is crossed by a scan line as a rise and a
// fall of brightness (or a fall and a rise) a stroke's width apart — on a
// flat background (a document), on a busy one (a subtitle's outline over a
// video) and inverted alike. A cell of the piece is text-like when its scan
// lines, across and down, cross at least minStrokes such pairs. Smooth
// video, gradients and large shapes rarely do; a thin line, fine texture or
// a small bright object does, and is held: the test errs on the side of
// holding, because a false "no text" is a leak.
//
// Anything the test cannot decide is text: a piece narrower or lower than
// minTestSide (two cells; a single text line is lower) is held until read.
const (
	textCell    = 16  // cell side, pixels
	strokeRise  = 32  // brightness step (0..255) that starts or ends a stroke
	maxStroke   = 48  // widest stroke (or gap) paired, pixels: glyphs up to ~250 px
	minStrokes  = 4   // stroke crossings that make a cell text-like
	minTestSide = 32  // pieces narrower or lower are not tested: held until read
	maxTextArea = 0.5 // bands covering more of the piece hold all of it
)

// textBands returns the parts of piece r of img (image coordinates) that
// must not be shown unread: nil when nothing in it is text-like, r itself
// when it is small or mostly text-like, else full-width bands of rows
// around the text-like cells (one cell of margin above and below).
func textBands(img *image.RGBA, r image.Rectangle) []image.Rectangle {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return nil
	}
	if r.Dx() < minTestSide || r.Dy() < minTestSide {
		return []image.Rectangle{r}
	}
	w, h := r.Dx(), r.Dy()
	cw, ch := (w+textCell-1)/textCell, (h+textCell-1)/textCell
	counts := make([]uint16, cw*ch)
	bump := func(x, y int) {
		if i := (y/textCell)*cw + x/textCell; counts[i] < 1<<15 {
			counts[i]++
		}
	}
	lum := make([]int16, 3*w) // three rows of luma: y-1, y, y+1
	row := func(y int, dst []int16) {
		o := img.PixOffset(r.Min.X, r.Min.Y+y)
		p := img.Pix[o : o+4*w]
		for x := range w {
			dst[x] = int16((77*int(p[4*x]) + 150*int(p[4*x+1]) + 29*int(p[4*x+2])) >> 8)
		}
	}
	// Down the columns: per column, the current edge (as across a row).
	type edge struct {
		sign        int8
		start, last int32
	}
	cols := make([]edge, w)
	for i := range cols {
		cols[i].last = -2
	}
	row(0, lum[0:w])
	for y := range h {
		prev, cur, next := lum[((y+2)%3)*w:], lum[(y%3)*w:], lum[((y+1)%3)*w:]
		if y == 0 {
			prev = cur
		}
		if y+1 < h {
			row(y+1, next[:w])
		} else {
			next = cur
		}
		// Across the row: a step is a brightness change over two pixels
		// (anti-aliased edges spread over one); a step continued on the
		// next pixel is the same edge. A stroke is a step followed by one
		// of the other sign within maxStroke of where the first began.
		sign, start, last := int8(0), 0, -2
		for x := 1; x+1 < w; x++ {
			if s := stepSign(int(cur[x+1]) - int(cur[x-1])); s != 0 {
				switch {
				case s == sign && x-last == 1:
					last = x
				default:
					if s == -sign && x-start <= maxStroke {
						bump(x, y)
					}
					sign, start, last = s, x, x
				}
			}
			if y == 0 || y+1 >= h {
				continue
			}
			if s := stepSign(int(next[x]) - int(prev[x])); s != 0 {
				c := &cols[x]
				switch {
				case s == c.sign && y-int(c.last) == 1:
					c.last = int32(y)
				default:
					if s == -c.sign && y-int(c.start) <= maxStroke {
						bump(x, y)
					}
					c.sign, c.start, c.last = s, int32(y), int32(y)
				}
			}
		}
	}
	var bands []image.Rectangle
	area := 0
	for cy := range ch {
		text := false
		for cx := range cw {
			if counts[cy*cw+cx] >= minStrokes {
				text = true
				break
			}
		}
		if !text {
			continue
		}
		b := image.Rect(r.Min.X, r.Min.Y+(cy-1)*textCell, r.Max.X, r.Min.Y+(cy+2)*textCell).Intersect(r)
		if n := len(bands); n > 0 && bands[n-1].Max.Y >= b.Min.Y {
			area -= bands[n-1].Dx() * bands[n-1].Dy()
			bands[n-1] = bands[n-1].Union(b)
			b = bands[n-1]
		} else {
			bands = append(bands, b)
		}
		area += b.Dx() * b.Dy()
	}
	if float64(area) > maxTextArea*float64(w*h) {
		return []image.Rectangle{r}
	}
	return bands
}

func stepSign(d int) int8 {
	switch {
	case d >= strokeRise:
		return 1
	case d <= -strokeRise:
		return -1
	}
	return 0
}
