package corpus

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/demoguard/demoguard/rules"
)

type fontID int

const (
	regular fontID = iota
	bold
	medium
	italic
	mono
	monoBold
	numFonts
)

// Sizes are clamped so that nothing is drawn below what a person can read and
// nothing grows past the largest size the accuracy report buckets.
const (
	minPx = 10
	maxPx = 48
)

var (
	fontsOnce sync.Once
	fonts     [numFonts]*ttFont
	facesMu   sync.Mutex
	faces     = map[[2]int]*face{}
)

func loadFonts() {
	for id, ttf := range map[fontID][]byte{
		regular: goregular.TTF, bold: gobold.TTF, medium: gomedium.TTF,
		italic: goitalic.TTF, mono: gomono.TTF, monoBold: gomonobold.TTF,
	} {
		f, err := parseTTF(ttf)
		if err != nil {
			panic("corpus: embedded Go font does not parse: " + err.Error())
		}
		fonts[id] = f
	}
}

type face struct {
	font.Face
	px      int
	ascent  int
	descent int
}

// getFace shares faces between screens; faces cache glyphs without locks,
// which is why Generate renders screens one at a time.
func getFace(id fontID, px int) *face {
	fontsOnce.Do(loadFonts)
	facesMu.Lock()
	defer facesMu.Unlock()
	k := [2]int{int(id), px}
	if f, ok := faces[k]; ok {
		return f
	}
	ff := newTTFace(fonts[id], px)
	m := ff.Metrics()
	f := &face{Face: ff, px: px, ascent: m.Ascent.Ceil(), descent: m.Descent.Ceil()}
	faces[k] = f
	return f
}

func (f *face) height() int { return f.ascent + f.descent }

func (f *face) width(s string) int { return font.MeasureString(f, s).Ceil() }

// seg is a run of text on one line; a seg with a kind is a planted item whose
// box is recorded where it lands.
type seg struct {
	text string
	col  color.RGBA // zero: the line's colour
	f    *face      // nil: the line's face
	kind string
	rule string
	part bool // drawn as part of a composite item recorded by the caller
}

func (s seg) isItem() bool { return s.kind != "" }

func txt(s string) seg                   { return seg{text: s} }
func colored(s string, c color.RGBA) seg { return seg{text: s, col: c} }

// region is a panel of uniform background that items are planted in; tests
// use it to check every item sits inside a region of its own style.
type region struct {
	box   rules.Box
	style string
}

type canvas struct {
	img     *image.RGBA
	scale   float64
	style   string
	items   []Item
	regions []region
	lines   []drawnLine
	lastInk rules.Box // ink box of the last text call
}

// drawnLine keeps what was written so tests can check that filler text does
// not accidentally contain something a rule should flag.
type drawnLine struct {
	text   string
	filler string // text with item runs cut out
	style  string
}

func newCanvas(w, h int, scale float64, bg color.RGBA) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h)), scale: scale}
	c.fill(image.Rect(0, 0, w, h), bg)
	return c
}

func (c *canvas) W() int { return c.img.Bounds().Dx() }
func (c *canvas) H() int { return c.img.Bounds().Dy() }

// p converts layout units (CSS-like logical pixels) to device pixels.
func (c *canvas) p(v float64) int { return int(math.Round(v * c.scale)) }

func (c *canvas) face(id fontID, logical float64) *face {
	px := int(math.Round(logical * c.scale))
	return getFace(id, min(max(px, minPx), maxPx))
}

// in switches the style items are labelled with and records the panel.
func (c *canvas) in(style string, r image.Rectangle) {
	c.style = style
	c.regions = append(c.regions, region{box: toBox(r), style: style})
}

func toBox(r image.Rectangle) rules.Box {
	return rules.Box{X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()}
}

func (c *canvas) fill(r image.Rectangle, col color.RGBA) {
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Over)
}

func (c *canvas) hline(x0, x1, y, t int, col color.RGBA) {
	c.fill(image.Rect(x0, y, x1, y+max(t, 1)), col)
}

func (c *canvas) vline(x, y0, y1, t int, col color.RGBA) {
	c.fill(image.Rect(x, y0, x+max(t, 1), y1), col)
}

func (c *canvas) border(r image.Rectangle, t int, col color.RGBA) {
	c.hline(r.Min.X, r.Max.X, r.Min.Y, t, col)
	c.hline(r.Min.X, r.Max.X, r.Max.Y-t, t, col)
	c.vline(r.Min.X, r.Min.Y, r.Max.Y, t, col)
	c.vline(r.Max.X-t, r.Min.Y, r.Max.Y, t, col)
}

// roundRect draws an anti-aliased rounded rectangle (cards, bubbles, buttons).
func (c *canvas) roundRect(r image.Rectangle, rad int, col color.RGBA) {
	if r.Empty() {
		return
	}
	w, h := float32(r.Dx()), float32(r.Dy())
	k := float32(min(rad, r.Dx()/2, r.Dy()/2))
	const kappa = 0.5523
	z := vector.NewRasterizer(r.Dx(), r.Dy())
	z.MoveTo(k, 0)
	z.LineTo(w-k, 0)
	z.CubeTo(w-k+k*kappa, 0, w, k-k*kappa, w, k)
	z.LineTo(w, h-k)
	z.CubeTo(w, h-k+k*kappa, w-k+k*kappa, h, w-k, h)
	z.LineTo(k, h)
	z.CubeTo(k-k*kappa, h, 0, h-k+k*kappa, 0, h-k)
	z.LineTo(0, k)
	z.CubeTo(0, k-k*kappa, k-k*kappa, 0, k, 0)
	z.ClosePath()
	// Rasterize to a mask first: vector does not clip to the destination.
	m := image.NewAlpha(image.Rect(0, 0, r.Dx(), r.Dy()))
	z.Draw(m, m.Bounds(), image.Opaque, image.Point{})
	draw.DrawMask(c.img, r, image.NewUniform(col), image.Point{}, m, image.Point{}, draw.Over)
}

func (c *canvas) circle(cx, cy, rad int, col color.RGBA) {
	c.roundRect(image.Rect(cx-rad, cy-rad, cx+rad, cy+rad), rad, col)
}

// shadow fakes a soft drop shadow with a few translucent rounded rectangles.
func (c *canvas) shadow(r image.Rectangle, rad int, alpha uint8) {
	for i := 3; i >= 1; i-- {
		d := c.p(float64(i) * 2)
		a := alpha / uint8(i+1)
		c.roundRect(r.Inset(-d).Add(image.Pt(0, d/2)), rad+d, color.RGBA{0, 0, 0, a})
	}
}

// polyline draws a polyline of thickness t as quads (chart lines).
func (c *canvas) polyline(pts []image.Point, t float64, col color.RGBA) {
	b := c.img.Bounds()
	z := vector.NewRasterizer(b.Dx(), b.Dy())
	for i := 1; i < len(pts); i++ {
		x0, y0 := float64(pts[i-1].X), float64(pts[i-1].Y)
		x1, y1 := float64(pts[i].X), float64(pts[i].Y)
		dx, dy := x1-x0, y1-y0
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		nx, ny := -dy/l*t/2, dx/l*t/2
		z.MoveTo(float32(x0+nx), float32(y0+ny))
		z.LineTo(float32(x1+nx), float32(y1+ny))
		z.LineTo(float32(x1-nx), float32(y1-ny))
		z.LineTo(float32(x0-nx), float32(y0-ny))
		z.ClosePath()
	}
	z.Draw(c.img, b, image.NewUniform(col), image.Point{})
}

// text draws one line whose box top is y and returns the x where it ends.
func (c *canvas) text(x, y int, f *face, col color.RGBA, segs ...seg) int {
	d := font.Drawer{Dst: c.img, Dot: fixed.P(x, y+f.ascent)}
	var all, filler strings.Builder
	c.lastInk = rules.Box{}
	for _, s := range segs {
		sf := f
		if s.f != nil {
			sf = s.f
		}
		sc := col
		if s.col != (color.RGBA{}) {
			sc = s.col
		}
		for _, ch := range s.text {
			if _, ok := sf.GlyphAdvance(ch); !ok {
				panic(fmt.Sprintf("corpus: no glyph for %q in %q", ch, s.text))
			}
		}
		d.Face = sf
		d.Src = image.NewUniform(sc)
		all.WriteString(s.text)
		b, _ := d.BoundString(s.text)
		box := rules.Box{X: b.Min.X.Floor(), Y: b.Min.Y.Floor()}
		box.W = b.Max.X.Ceil() - box.X
		box.H = b.Max.Y.Ceil() - box.Y
		c.lastInk = c.lastInk.Union(box)
		switch {
		case s.part:
			filler.WriteString(" \x00 ")
		case s.isItem():
			c.items = append(c.items, Item{Kind: s.kind, Rule: s.rule, Text: s.text, Box: box, FontPx: sf.px, Style: c.style})
			filler.WriteString(" \x00 ")
		default:
			filler.WriteString(s.text)
		}
		d.DrawString(s.text)
	}
	c.lines = append(c.lines, drawnLine{text: all.String(), filler: filler.String(), style: c.style})
	return d.Dot.X.Ceil()
}

func (c *canvas) str(x, y int, f *face, col color.RGBA, s string) int {
	return c.text(x, y, f, col, txt(s))
}

// textRight draws a line that ends at x.
func (c *canvas) textRight(x, y int, f *face, col color.RGBA, segs ...seg) {
	c.text(x-segsWidth(f, segs), y, f, col, segs...)
}

func (c *canvas) textCenter(cx, y int, f *face, col color.RGBA, segs ...seg) {
	c.text(cx-segsWidth(f, segs)/2, y, f, col, segs...)
}

func segsWidth(f *face, segs []seg) int {
	var w fixed.Int26_6
	for _, s := range segs {
		sf := f
		if s.f != nil {
			sf = s.f
		}
		w += font.MeasureString(sf, s.text)
	}
	return w.Ceil()
}

// token is a unit of word wrapping; items are never split across lines.
type token struct {
	seg
	space bool
}

func tokenize(segs []seg) []token {
	var out []token
	space := false
	for _, s := range segs {
		if s.isItem() {
			out = append(out, token{s, space})
			space = false
			continue
		}
		t := s.text
		for len(t) > 0 {
			if t[0] == ' ' {
				space = true
				t = t[1:]
				continue
			}
			i := strings.IndexByte(t, ' ')
			if i < 0 {
				i = len(t)
			}
			w := s
			w.text = t[:i]
			out = append(out, token{w, space})
			space = false
			t = t[i:]
		}
	}
	return out
}

// para word-wraps segs into width w starting at top y and returns the y
// below the last line.
func (c *canvas) para(x, y, w int, f *face, col color.RGBA, lineH int, segs ...seg) int {
	toks := tokenize(segs)
	var line []seg
	lw := 0
	flush := func() {
		if len(line) > 0 {
			c.text(x, y, f, col, line...)
			y += lineH
		}
		line, lw = nil, 0
	}
	for _, t := range toks {
		tw := segsWidth(f, []seg{t.seg})
		sp := 0
		if t.space && len(line) > 0 {
			sp = f.width(" ")
		}
		if len(line) > 0 && t.space && lw+sp+tw > w {
			flush()
			sp = 0
		}
		if sp > 0 {
			line = append(line, txt(" "))
		}
		line = append(line, t.seg)
		lw += sp + tw
	}
	flush()
	return y
}
