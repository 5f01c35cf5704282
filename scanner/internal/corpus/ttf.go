package corpus

import (
	"encoding/binary"
	"errors"
	"image"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// A minimal TrueType reader for the Go fonts. x/image/font/opentype would
// do, but its sfnt package needs golang.org/x/text, which this module does
// not require; the Go fonts only need glyf outlines, hmtx advances and a
// format 4 cmap, which fit in this file.
type ttFont struct {
	unitsPerEm   float64
	ascent       float64 // font units, positive up
	descent      float64 // font units, positive down
	advances     []uint16
	glyphs       [][]byte // raw glyf records by glyph index
	runeToGlyph  map[rune]uint16
	numHMetrics  int
	locaLongForm bool
}

func parseTTF(b []byte) (*ttFont, error) {
	if len(b) < 12 {
		return nil, errors.New("short font")
	}
	tables := map[string][]byte{}
	n := int(binary.BigEndian.Uint16(b[4:]))
	for i := range n {
		rec := b[12+16*i:]
		off, ln := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if int(off+ln) > len(b) {
			return nil, errors.New("table out of range")
		}
		tables[string(rec[:4])] = b[off : off+ln]
	}
	for _, t := range []string{"head", "hhea", "hmtx", "maxp", "cmap", "loca", "glyf"} {
		if tables[t] == nil {
			return nil, errors.New("missing table " + t)
		}
	}
	u16 := func(t []byte, o int) int { return int(binary.BigEndian.Uint16(t[o:])) }
	i16 := func(t []byte, o int) int { return int(int16(binary.BigEndian.Uint16(t[o:]))) }
	f := &ttFont{runeToGlyph: map[rune]uint16{}}
	head, hhea := tables["head"], tables["hhea"]
	f.unitsPerEm = float64(u16(head, 18))
	f.locaLongForm = i16(head, 50) == 1
	f.ascent = float64(i16(hhea, 4))
	f.descent = float64(-i16(hhea, 6))
	f.numHMetrics = u16(hhea, 34)
	numGlyphs := u16(tables["maxp"], 4)
	hmtx := tables["hmtx"]
	f.advances = make([]uint16, numGlyphs)
	for g := range numGlyphs {
		f.advances[g] = uint16(u16(hmtx, 4*min(g, f.numHMetrics-1)))
	}
	loca, glyf := tables["loca"], tables["glyf"]
	f.glyphs = make([][]byte, numGlyphs)
	for g := range numGlyphs {
		var a, z int
		if f.locaLongForm {
			a, z = int(binary.BigEndian.Uint32(loca[4*g:])), int(binary.BigEndian.Uint32(loca[4*g+4:]))
		} else {
			a, z = 2*u16(loca, 2*g), 2*u16(loca, 2*g+2)
		}
		if z > a && z <= len(glyf) {
			f.glyphs[g] = glyf[a:z]
		}
	}
	cmap := tables["cmap"]
	var sub []byte
	for i := range u16(cmap, 2) {
		rec := cmap[4+8*i:]
		pid, eid, off := u16(rec, 0), u16(rec, 2), int(binary.BigEndian.Uint32(rec[4:]))
		if (pid == 3 && eid == 1 || pid == 0) && u16(cmap, off) == 4 {
			sub = cmap[off:]
			break
		}
	}
	if sub == nil {
		return nil, errors.New("no format 4 cmap")
	}
	segs := u16(sub, 6) / 2
	ends, starts, deltas, ranges := 14, 16+2*segs, 16+4*segs, 16+6*segs
	for s := range segs {
		end, start := u16(sub, ends+2*s), u16(sub, starts+2*s)
		delta, ro := u16(sub, deltas+2*s), u16(sub, ranges+2*s)
		for ch := start; ch <= end && ch != 0xFFFF; ch++ {
			var g int
			if ro == 0 {
				g = (ch + delta) & 0xFFFF
			} else {
				gi := ranges + 2*s + ro + 2*(ch-start)
				if gi+2 > len(sub) {
					continue
				}
				if g = u16(sub, gi); g != 0 {
					g = (g + delta) & 0xFFFF
				}
			}
			if g != 0 && g < numGlyphs {
				f.runeToGlyph[rune(ch)] = uint16(g)
			}
		}
	}
	return f, nil
}

type pt struct {
	x, y float64
	on   bool
}

// contours returns glyph g's outline in font units, composites flattened.
func (f *ttFont) contours(g uint16, depth int) [][]pt {
	b := f.glyphs[g]
	if len(b) < 10 || depth > 4 {
		return nil
	}
	nc := int(int16(binary.BigEndian.Uint16(b)))
	if nc < 0 {
		return f.composite(b[10:], depth)
	}
	p := 10
	ends := make([]int, nc)
	for i := range ends {
		ends[i] = int(binary.BigEndian.Uint16(b[p:]))
		p += 2
	}
	if nc == 0 {
		return nil
	}
	np := ends[nc-1] + 1
	p += 2 + int(binary.BigEndian.Uint16(b[p:]))
	flags := make([]byte, 0, np)
	for len(flags) < np {
		fl := b[p]
		p++
		flags = append(flags, fl)
		if fl&8 != 0 {
			rep := int(b[p])
			p++
			for range rep {
				flags = append(flags, fl)
			}
		}
	}
	pts := make([]pt, np)
	coord := func(short, same byte, set func(i int, v float64)) {
		v := 0
		for i, fl := range flags[:np] {
			switch {
			case fl&short != 0:
				d := int(b[p])
				p++
				if fl&same == 0 {
					d = -d
				}
				v += d
			case fl&same == 0:
				v += int(int16(binary.BigEndian.Uint16(b[p:])))
				p += 2
			}
			set(i, float64(v))
		}
	}
	coord(2, 16, func(i int, v float64) { pts[i].x = v })
	coord(4, 32, func(i int, v float64) { pts[i].y = v })
	for i := range pts {
		pts[i].on = flags[i]&1 != 0
	}
	var out [][]pt
	s := 0
	for _, e := range ends {
		out = append(out, pts[s:e+1])
		s = e + 1
	}
	return out
}

func (f *ttFont) composite(b []byte, depth int) [][]pt {
	var out [][]pt
	for {
		fl := binary.BigEndian.Uint16(b)
		g := binary.BigEndian.Uint16(b[2:])
		b = b[4:]
		var dx, dy float64
		if fl&1 != 0 {
			dx, dy = float64(int16(binary.BigEndian.Uint16(b))), float64(int16(binary.BigEndian.Uint16(b[2:])))
			b = b[4:]
		} else {
			dx, dy = float64(int8(b[0])), float64(int8(b[1]))
			b = b[2:]
		}
		f2 := func(o int) float64 { return float64(int16(binary.BigEndian.Uint16(b[o:]))) / 16384 }
		a, bb, cc, d := 1.0, 0.0, 0.0, 1.0
		switch {
		case fl&0x08 != 0:
			a, d = f2(0), f2(0)
			b = b[2:]
		case fl&0x40 != 0:
			a, d = f2(0), f2(2)
			b = b[4:]
		case fl&0x80 != 0:
			a, bb, cc, d = f2(0), f2(2), f2(4), f2(6)
			b = b[8:]
		}
		if fl&2 == 0 {
			dx, dy = 0, 0 // point matching: not used by the Go fonts
		}
		if int(g) < len(f.glyphs) {
			for _, ct := range f.contours(g, depth+1) {
				n := make([]pt, len(ct))
				for i, q := range ct {
					n[i] = pt{a*q.x + cc*q.y + dx, bb*q.x + d*q.y + dy, q.on}
				}
				out = append(out, n)
			}
		}
		if fl&0x20 == 0 {
			return out
		}
	}
}

// ttFace is a font.Face at one pixel size with whole-pixel advances and pen
// positions, like hinted text on a screen.
type ttFace struct {
	f     *ttFont
	scale float64
	cache map[rune]*glyphMask
}

type glyphMask struct {
	mask    *image.Alpha
	bounds  image.Rectangle // relative to the pen on the baseline
	advance fixed.Int26_6
}

func newTTFace(f *ttFont, px int) *ttFace {
	return &ttFace{f: f, scale: float64(px) / f.unitsPerEm, cache: map[rune]*glyphMask{}}
}

func (t *ttFace) glyph(r rune) (*glyphMask, bool) {
	if g, ok := t.cache[r]; ok {
		return g, true
	}
	gi, ok := t.f.runeToGlyph[r]
	if !ok {
		return nil, false
	}
	gm := &glyphMask{advance: fixed.I(int(math.Round(float64(t.f.advances[gi]) * t.scale)))}
	cs := t.f.contours(gi, 0)
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, ct := range cs {
		for _, q := range ct {
			x, y := q.x*t.scale, -q.y*t.scale
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
	}
	if len(cs) > 0 {
		gm.bounds = image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1)))
		w, h := gm.bounds.Dx(), gm.bounds.Dy()
		z := vector.NewRasterizer(w, h)
		ox, oy := float64(gm.bounds.Min.X), float64(gm.bounds.Min.Y)
		tp := func(q pt) (float32, float32) { return float32(q.x*t.scale - ox), float32(-q.y*t.scale - oy) }
		for _, ct := range cs {
			drawContour(z, ct, tp)
		}
		gm.mask = image.NewAlpha(image.Rect(0, 0, w, h))
		z.Draw(gm.mask, gm.mask.Bounds(), image.Opaque, image.Point{})
	}
	t.cache[r] = gm
	return gm, true
}

func drawContour(z *vector.Rasterizer, ct []pt, tp func(pt) (float32, float32)) {
	n := len(ct)
	if n == 0 {
		return
	}
	mid := func(a, b pt) pt { return pt{(a.x + b.x) / 2, (a.y + b.y) / 2, true} }
	// Start on an on-curve point (or the midpoint of two off-curve ones).
	start := -1
	for i, q := range ct {
		if q.on {
			start = i
			break
		}
	}
	var first pt
	if start < 0 {
		first, start = mid(ct[0], ct[1]), 0
	} else {
		first = ct[start]
	}
	z.MoveTo(tp(first))
	var ctrl *pt
	for k := 1; k <= n; k++ {
		q := ct[(start+k)%n]
		if k == n {
			q = first
		}
		switch {
		case q.on && ctrl == nil:
			z.LineTo(tp(q))
		case q.on:
			cx, cy := tp(*ctrl)
			x, y := tp(q)
			z.QuadTo(cx, cy, x, y)
			ctrl = nil
		case ctrl == nil:
			c := q
			ctrl = &c
		default:
			m := mid(*ctrl, q)
			cx, cy := tp(*ctrl)
			x, y := tp(m)
			z.QuadTo(cx, cy, x, y)
			c := q
			ctrl = &c
		}
	}
	if ctrl != nil {
		cx, cy := tp(*ctrl)
		x, y := tp(first)
		z.QuadTo(cx, cy, x, y)
	}
	z.ClosePath()
}

func (t *ttFace) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	g, ok := t.glyph(r)
	if !ok {
		return image.Rectangle{}, nil, image.Point{}, 0, false
	}
	if g.mask == nil {
		return image.Rectangle{}, image.Transparent, image.Point{}, g.advance, true
	}
	return g.bounds.Add(image.Pt(dot.X.Round(), dot.Y.Round())), g.mask, image.Point{}, g.advance, true
}

func (t *ttFace) GlyphBounds(r rune) (fixed.Rectangle26_6, fixed.Int26_6, bool) {
	g, ok := t.glyph(r)
	if !ok {
		return fixed.Rectangle26_6{}, 0, false
	}
	b := g.bounds
	return fixed.R(b.Min.X, b.Min.Y, b.Max.X, b.Max.Y), g.advance, true
}

func (t *ttFace) GlyphAdvance(r rune) (fixed.Int26_6, bool) {
	g, ok := t.glyph(r)
	if !ok {
		return 0, false
	}
	return g.advance, true
}

func (t *ttFace) Kern(r0, r1 rune) fixed.Int26_6 { return 0 }

func (t *ttFace) Metrics() font.Metrics {
	a := fixed.I(int(math.Ceil(t.f.ascent * t.scale)))
	d := fixed.I(int(math.Ceil(t.f.descent * t.scale)))
	return font.Metrics{Height: a + d, Ascent: a, Descent: d}
}

func (t *ttFace) Close() error { return nil }

var _ font.Face = (*ttFace)(nil)
