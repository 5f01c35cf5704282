package capture

import (
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"
)

// pixelFormat describes a 32-bit-per-pixel ZPixmap as the X server sends it.
type pixelFormat struct {
	msbFirst            bool   // server image byte order
	rMask, gMask, bMask uint32 // root visual's channel masks
}

// bgrx is what practically every X server (Xorg, Xvfb, XWayland on
// little-endian machines) sends at depth 24: bytes B,G,R,X.
var bgrx = pixelFormat{rMask: 0xff0000, gMask: 0xff00, bMask: 0xff}

func (f pixelFormat) String() string {
	order := "LSBFirst"
	if f.msbFirst {
		order = "MSBFirst"
	}
	return fmt.Sprintf("32bpp %s r=%#x g=%#x b=%#x", order, f.rMask, f.gMask, f.bMask)
}

func (f pixelFormat) valid() bool {
	return f.rMask != 0 && f.gMask != 0 && f.bMask != 0
}

// convert copies a w×h block of 32-bit pixels from src (rows stride bytes
// apart) into dst at dst-local point at, forcing alpha to opaque (X has no
// alpha on the root window; the padding byte is garbage).
func convert(dst *image.RGBA, at image.Point, src []byte, w, h, stride int, f pixelFormat) {
	if f == bgrx {
		convertBGRX(dst, at, src, w, h, stride)
		return
	}
	convertGeneric(dst, at, src, w, h, stride, f)
}

// convertBGRX is the hot path: one 32-bit load, a byte swap of R and B and
// one store per pixel, with slices shaped so the compiler drops bounds checks.
func convertBGRX(dst *image.RGBA, at image.Point, src []byte, w, h, stride int) {
	n := w * 4
	for y := 0; y < h; y++ {
		s := src[y*stride : y*stride+n]
		o := dst.PixOffset(dst.Rect.Min.X+at.X, dst.Rect.Min.Y+at.Y+y)
		d := dst.Pix[o : o+n]
		for i := 0; i+4 <= len(s) && i+4 <= len(d); i += 4 {
			v := binary.LittleEndian.Uint32(s[i : i+4])
			binary.LittleEndian.PutUint32(d[i:i+4], (v>>16)&0xff|v&0xff00|(v&0xff)<<16|0xff000000)
		}
	}
}

// channel extracts one colour channel of arbitrary width and position and
// scales it to 8 bits (depth-30 visuals have 10-bit channels).
type channel struct {
	mask  uint32
	shift uint
	width int
}

func newChannel(mask uint32) channel {
	return channel{mask: mask, shift: uint(bits.TrailingZeros32(mask)), width: bits.OnesCount32(mask)}
}

func (c channel) get(v uint32) byte {
	x := (v & c.mask) >> c.shift
	switch {
	case c.width > 8:
		return byte(x >> (c.width - 8))
	case c.width < 8:
		// Replicate the high bits so full intensity stays 255.
		x <<= 8 - c.width
		return byte(x | x>>c.width)
	}
	return byte(x)
}

func convertGeneric(dst *image.RGBA, at image.Point, src []byte, w, h, stride int, f pixelFormat) {
	var order binary.ByteOrder = binary.LittleEndian
	if f.msbFirst {
		order = binary.BigEndian
	}
	r, g, b := newChannel(f.rMask), newChannel(f.gMask), newChannel(f.bMask)
	n := w * 4
	for y := 0; y < h; y++ {
		s := src[y*stride : y*stride+n]
		o := dst.PixOffset(dst.Rect.Min.X+at.X, dst.Rect.Min.Y+at.Y+y)
		d := dst.Pix[o : o+n]
		for i := 0; i+4 <= len(s); i += 4 {
			v := order.Uint32(s[i : i+4])
			d[i], d[i+1], d[i+2], d[i+3] = r.get(v), g.get(v), b.get(v), 0xff
		}
	}
}

// fillOpaqueBlack paints the parts of a frame that lie outside the X screen
// (a monitor partly off the root window) so they are not transparent.
func fillOpaqueBlack(dst *image.RGBA, r image.Rectangle) {
	r = r.Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := dst.PixOffset(r.Min.X, y)
		row := dst.Pix[o : o+r.Dx()*4]
		for i := 0; i+4 <= len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = 0, 0, 0, 0xff
		}
	}
}
