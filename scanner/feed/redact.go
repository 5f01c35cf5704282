package feed

import (
	"image"
	"image/color"
)

// Cover colours: a near-black fill with a grey frame, the neutral mark
// that says "covered" without saying what.
var (
	coverFill = color.RGBA{14, 14, 16, 255}
	coverMark = color.RGBA{110, 110, 116, 255}
)

// Apply covers box in img the way the feed covers a finding.
func (mode Redact) Apply(img *image.RGBA, box image.Rectangle) { redact(img, box, mode) }

// redact covers box (a finding, screen coordinates) in img. The box grows
// by a margin first: anti-aliased edges of glyphs lie just outside OCR's
// word boxes. Blur and pixelate scale with the box height (the text size),
// so that the result is unreadable whatever the font size.
func redact(img *image.RGBA, box image.Rectangle, mode Redact) {
	h := box.Dy()
	m := max(3, h/5)
	r := box.Inset(-m).Intersect(img.Rect)
	if r.Empty() {
		return
	}
	switch mode {
	case RedactBlur:
		boxBlur(img, r, max(8, h), 3)
	case RedactPixelate:
		pixelate(img, r, max(10, h*3/4))
	default:
		fill(img, r, coverFill)
		if r.Dx() > 6 && r.Dy() > 6 {
			outline(img, r, coverMark)
		}
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	px := [4]byte{c.R, c.G, c.B, c.A}
	o := img.PixOffset(r.Min.X, r.Min.Y)
	row := img.Pix[o : o+4*r.Dx()]
	for i := 0; i < len(row); i += 4 {
		copy(row[i:i+4], px[:])
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		o := img.PixOffset(r.Min.X, y)
		copy(img.Pix[o:o+4*r.Dx()], row)
	}
}

// outline draws a 1 px outline just inside r.
func outline(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	fill(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), c)
	fill(img, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), c)
	fill(img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), c)
	fill(img, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), c)
}

// copyImage copies src into dst (same size; the origins may differ).
func copyImage(dst, src *image.RGBA) {
	w := min(dst.Rect.Dx(), src.Rect.Dx()) * 4
	h := min(dst.Rect.Dy(), src.Rect.Dy())
	for y := 0; y < h; y++ {
		so := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y)
		do := dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y)
		copy(dst.Pix[do:do+w], src.Pix[so:so+w])
	}
}

// copyRect copies area r (in both images' coordinates, origin at 0,0)
// from src to dst.
func copyRect(dst, src *image.RGBA, r image.Rectangle) {
	r = r.Intersect(dst.Rect).Intersect(src.Rect)
	if r.Empty() {
		return
	}
	w := 4 * r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		so, do := src.PixOffset(r.Min.X, y), dst.PixOffset(r.Min.X, y)
		copy(dst.Pix[do:do+w], src.Pix[so:so+w])
	}
}

// boxBlur blurs r in place with a box of the given radius, passes times in
// each direction (three passes approximate a Gaussian). Only pixels inside
// r contribute, so nothing outside leaks in and the result depends on r's
// pixels alone.
func boxBlur(img *image.RGBA, r image.Rectangle, radius, passes int) {
	r = r.Intersect(img.Rect)
	w, h := r.Dx(), r.Dy()
	if w < 2 || h < 2 || radius < 1 {
		return
	}
	buf := make([]int32, 3*w*h)
	for y := 0; y < h; y++ {
		o := img.PixOffset(r.Min.X, r.Min.Y+y)
		for x := 0; x < w; x++ {
			i := 3 * (y*w + x)
			buf[i], buf[i+1], buf[i+2] = int32(img.Pix[o+4*x]), int32(img.Pix[o+4*x+1]), int32(img.Pix[o+4*x+2])
		}
	}
	line := make([]int32, 3*max(w, h))
	for range passes {
		for y := 0; y < h; y++ {
			blurLine(buf[3*y*w:], 3, w, radius, line)
		}
		for x := 0; x < w; x++ {
			blurLine(buf[3*x:], 3*w, h, radius, line)
		}
	}
	for y := 0; y < h; y++ {
		o := img.PixOffset(r.Min.X, r.Min.Y+y)
		for x := 0; x < w; x++ {
			i := 3 * (y*w + x)
			img.Pix[o+4*x], img.Pix[o+4*x+1], img.Pix[o+4*x+2], img.Pix[o+4*x+3] = uint8(buf[i]), uint8(buf[i+1]), uint8(buf[i+2]), 255
		}
	}
}

// blurLine replaces n RGB values of v (spaced stride apart) by the mean of
// their neighbours within radius (fewer at the ends).
func blurLine(v []int32, stride, n, radius int, tmp []int32) {
	var s [3]int32
	cnt := int32(0)
	for i := 0; i <= min(radius, n-1); i++ {
		for c := 0; c < 3; c++ {
			s[c] += v[i*stride+c]
		}
		cnt++
	}
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			tmp[3*i+c] = s[c] / cnt
		}
		if j := i + radius + 1; j < n {
			for c := 0; c < 3; c++ {
				s[c] += v[j*stride+c]
			}
			cnt++
		}
		if j := i - radius; j >= 0 {
			for c := 0; c < 3; c++ {
				s[c] -= v[j*stride+c]
			}
			cnt--
		}
	}
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			v[i*stride+c] = tmp[3*i+c]
		}
	}
}

// pixelate replaces r by blocks of the given size, each its mean colour.
func pixelate(img *image.RGBA, r image.Rectangle, block int) {
	r = r.Intersect(img.Rect)
	for by := r.Min.Y; by < r.Max.Y; by += block {
		for bx := r.Min.X; bx < r.Max.X; bx += block {
			b := image.Rect(bx, by, bx+block, by+block).Intersect(r)
			var s [3]int
			for y := b.Min.Y; y < b.Max.Y; y++ {
				o := img.PixOffset(b.Min.X, y)
				for x := 0; x < b.Dx(); x++ {
					s[0] += int(img.Pix[o+4*x])
					s[1] += int(img.Pix[o+4*x+1])
					s[2] += int(img.Pix[o+4*x+2])
				}
			}
			n := b.Dx() * b.Dy()
			fill(img, b, color.RGBA{uint8(s[0] / n), uint8(s[1] / n), uint8(s[2] / n), 255})
		}
	}
}

// MaskAreas paints areas (in img's coordinates) with the neutral fill: the
// feed window's own area, so the capture neither reads nor shows it.
func MaskAreas(img *image.RGBA, areas []image.Rectangle) {
	for _, a := range areas {
		fill(img, a, maskFill)
	}
}

var maskFill = color.RGBA{60, 64, 72, 255}

// DrawPointer draws a pointer image (premultiplied ARGB as XFixes gives it,
// here as RGBA) into dst whose top-left is at origin in root coordinates,
// with the hotspot at pos.
func DrawPointer(dst *image.RGBA, origin image.Point, cur *image.RGBA, hot, pos image.Point) {
	if cur == nil {
		return
	}
	at := pos.Sub(hot).Sub(origin)
	cb := cur.Rect
	r := cb.Sub(cb.Min).Add(at).Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			so := cur.PixOffset(cb.Min.X+x-at.X, cb.Min.Y+y-at.Y)
			a := int(cur.Pix[so+3])
			if a == 0 {
				continue
			}
			do := dst.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				dst.Pix[do+c] = uint8(int(cur.Pix[so+c]) + int(dst.Pix[do+c])*(255-a)/255)
			}
		}
	}
}
