package output

import (
	"image"
	"image/color"
)

// fit copies src into dst. Same size: a plain copy. dst at most one pixel
// wider/taller (an odd size rounded up to even for yuv420p): copy and
// repeat the last column/row, so no black line appears. Otherwise src is
// scaled (nearest neighbour) to fit dst keeping its aspect ratio, with black
// bars: a display that changed resolution mid-talk still shows whole.
func fit(dst, src *image.RGBA) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	switch {
	case sw == dw && sh == dh:
		copyRGBA(dst, src)
	case sw <= dw && sh <= dh && dw-sw <= 1 && dh-sh <= 1 && sw > 0 && sh > 0:
		copyRGBA(dst, src)
		padEdges(dst, sw, sh)
	default:
		scaleInto(dst, dst.Rect, src)
	}
}

func copyRGBA(dst, src *image.RGBA) {
	w := min(dst.Rect.Dx(), src.Rect.Dx()) * 4
	h := min(dst.Rect.Dy(), src.Rect.Dy())
	if dst.Stride == src.Stride && w == dst.Stride && dst.Rect.Dy() == h {
		so := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y)
		copy(dst.Pix[:h*dst.Stride], src.Pix[so:so+h*src.Stride])
		return
	}
	for y := 0; y < h; y++ {
		so := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y)
		do := dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y)
		copy(dst.Pix[do:do+w], src.Pix[so:so+w])
	}
}

// padEdges repeats column w-1 and row h-1 of dst into the rest of dst.
func padEdges(dst *image.RGBA, w, h int) {
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	if w < dw {
		for y := 0; y < h; y++ {
			o := dst.PixOffset(dst.Rect.Min.X+w-1, dst.Rect.Min.Y+y)
			for x := w; x < dw; x++ {
				copy(dst.Pix[o+(x-w+1)*4:o+(x-w+2)*4], dst.Pix[o:o+4])
			}
		}
	}
	for y := h; y < dh; y++ {
		so := dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+h-1)
		do := dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y)
		copy(dst.Pix[do:do+dw*4], dst.Pix[so:so+dw*4])
	}
}

// letterbox is the largest rectangle of src's aspect ratio centred in r.
func letterbox(r image.Rectangle, sw, sh int) image.Rectangle {
	dw, dh := r.Dx(), r.Dy()
	if sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 {
		return image.Rectangle{}
	}
	w, h := dw, dw*sh/sw
	if h > dh {
		w, h = dh*sw/sh, dh
	}
	w, h = max(w, 1), max(h, 1)
	x, y := r.Min.X+(dw-w)/2, r.Min.Y+(dh-h)/2
	return image.Rect(x, y, x+w, y+h)
}

// scaleInto scales src into area of dst (nearest neighbour, aspect kept,
// opaque black around it).
func scaleInto(dst *image.RGBA, area image.Rectangle, src *image.RGBA) {
	in := letterbox(area, src.Rect.Dx(), src.Rect.Dy())
	fillRGBA(dst, area, color.RGBA{A: 255}, in)
	if in.Empty() {
		return
	}
	xs := srcIndex(in.Dx(), src.Rect.Dx())
	ys := srcIndex(in.Dy(), src.Rect.Dy())
	for j, sy := range ys {
		so := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+sy)
		row := src.Pix[so : so+src.Rect.Dx()*4]
		do := dst.PixOffset(in.Min.X, in.Min.Y+j)
		out := dst.Pix[do : do+in.Dx()*4]
		for i, sx := range xs {
			copy(out[i*4:i*4+4], row[sx*4:sx*4+4])
		}
	}
}

// srcIndex maps each of n destination positions to a source position
// (pixel centres) for a source of m.
func srcIndex(n, m int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = min(m-1, (2*i+1)*m/(2*n))
	}
	return idx
}

// fillRGBA paints area of dst with c, except the part inside keep.
func fillRGBA(dst *image.RGBA, area image.Rectangle, c color.RGBA, keep image.Rectangle) {
	area = area.Intersect(dst.Rect)
	px := [4]byte{c.R, c.G, c.B, c.A}
	for y := area.Min.Y; y < area.Max.Y; y++ {
		inRow := y >= keep.Min.Y && y < keep.Max.Y
		for x := area.Min.X; x < area.Max.X; x++ {
			if inRow && x >= keep.Min.X && x < keep.Max.X {
				x = keep.Max.X - 1
				continue
			}
			o := dst.PixOffset(x, y)
			copy(dst.Pix[o:o+4], px[:])
		}
	}
}

// Checking frame colours: a mid grey that reads as "nothing here" on a
// projector, and a lighter ring as the mark.
var (
	checkingBG   = color.RGBA{0x50, 0x54, 0x5a, 0xff}
	checkingMark = color.RGBA{0x9a, 0x9e, 0xa6, 0xff}
)

// CheckingFrame is the neutral frame the audience sees before the first
// complete read of the screen: grey with a small ring in the middle. It
// holds nothing taken from the screen, and no text (text in the feed could
// be mistaken for content).
func CheckingFrame(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, max(w, 0), max(h, 0)))
	fillRGBA(img, img.Rect, checkingBG, image.Rectangle{})
	r := float64(min(w, h)) / 20
	if r < 3 {
		return img
	}
	cx, cy := float64(w)/2, float64(h)/2
	thick := max(r/4, 1.5)
	for y := int(cy - r - 2); y <= int(cy+r+2); y++ {
		for x := int(cx - r - 2); x <= int(cx+r+2); x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			d2 := dx*dx + dy*dy
			if d2 <= r*r && d2 >= (r-thick)*(r-thick) && image.Pt(x, y).In(img.Rect) {
				img.SetRGBA(x, y, checkingMark)
			}
		}
	}
	return img
}

// DrawCursor draws the pointer image cur (premultiplied RGBA, as Sample
// returns it) into dst, whose top-left pixel is at origin in screen
// coordinates, with its hotspot hot at screen position pos. Parts outside
// dst are clipped; a nil cur draws nothing.
func DrawCursor(dst *image.RGBA, origin image.Point, cur *image.RGBA, hot, pos image.Point) {
	if dst == nil || cur == nil {
		return
	}
	// Where cur's top-left lands in dst's coordinates.
	at := pos.Sub(hot).Sub(origin).Add(dst.Rect.Min)
	r := cur.Rect.Sub(cur.Rect.Min).Add(at).Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			so := cur.PixOffset(cur.Rect.Min.X+x-at.X, cur.Rect.Min.Y+y-at.Y)
			s := cur.Pix[so : so+4 : so+4]
			a := uint32(s[3])
			if a == 0 {
				continue
			}
			do := dst.PixOffset(x, y)
			d := dst.Pix[do : do+4 : do+4]
			if a == 255 {
				copy(d, s)
				continue
			}
			// Premultiplied "over": d = s + d·(1−a).
			ia := 255 - a
			d[0] = uint8(min(255, uint32(s[0])+(uint32(d[0])*ia+127)/255))
			d[1] = uint8(min(255, uint32(s[1])+(uint32(d[1])*ia+127)/255))
			d[2] = uint8(min(255, uint32(s[2])+(uint32(d[2])*ia+127)/255))
			d[3] = uint8(min(255, uint32(s[3])+(uint32(d[3])*ia+127)/255))
		}
	}
}
