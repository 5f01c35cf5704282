package corpus

import (
	"fmt"
	"image"
	"image/color"

	"github.com/demoguard/demoguard/rules"
)

type slideTheme struct {
	bg, title, body, accent, muted color.RGBA
	style                          string
}

var lightSlideThemes = []slideTheme{
	{hex(0xFFFFFF), hex(0x1F2937), hex(0x374151), hex(0x2563EB), hex(0x6B7280), "slide-light"},
	{hex(0xF7F5F0), hex(0x3B2F2F), hex(0x4A4040), hex(0xC2410C), hex(0x736B66), "slide-light"},
	{hex(0xF2F6FA), hex(0x0B3954), hex(0x22313F), hex(0x087E8B), hex(0x5C6B7A), "slide-light"},
}

var darkSlideThemes = []slideTheme{
	{hex(0x0F172A), hex(0xF8FAFC), hex(0xCBD5E1), hex(0x38BDF8), hex(0x94A3B8), "slide-dark"},
	{hex(0x1E1B2E), hex(0xFFFFFF), hex(0xD4D0E6), hex(0xA78BFA), hex(0x9C97B5), "slide-dark"},
	{hex(0x111111), hex(0xF5F5F5), hex(0xD6D6D6), hex(0xF59E0B), hex(0x9A9A9A), "slide-dark"},
}

func renderSlideLight(c *canvas, p *planter, v int) {
	renderSlide(c, p, v, lightSlideThemes[v%len(lightSlideThemes)], v%4 != 3)
}

func renderSlideDark(c *canvas, p *planter, v int) {
	renderSlide(c, p, v, darkSlideThemes[v%len(darkSlideThemes)], v%4 != 1)
}

// renderSlide draws a slide either full screen (presenting) or inside a
// slides editor window, and a chat toast in a corner on most of them.
func renderSlide(c *canvas, p *planter, v int, th slideTheme, toast bool) {
	r := p.rng
	W, H := c.W(), c.H()
	slide := image.Rect(0, 0, W, H)
	if v%3 == 1 {
		slide = slidesEditorChrome(c, p)
	}
	c.fill(slide, th.bg)
	c.in(th.style, slide)

	var tr image.Rectangle
	var tw int
	if toast {
		tw = c.p(float64(r.between(360, 460)))
		top := r.chance(50)
		m := c.p(16)
		if top {
			tr = image.Rect(W-tw-m, c.p(48), W-m, c.p(48))
		} else {
			tr = image.Rect(W-tw-m, H-m, W-m, H-m)
		}
	}

	sc := float64(slide.Dx()) / float64(W)
	mx := slide.Min.X + c.p(64*sc)
	right := slide.Max.X - c.p(64*sc)
	if toast {
		right = min(right, tr.Min.X-c.p(24))
	}
	y := slide.Min.Y + c.p(56*sc)
	c.fill(image.Rect(mx, y, mx+c.p(72*sc), y+c.p(6)), th.accent)
	y += c.p(22 * sc)
	tf := c.face(bold, 44*sc)
	c.str(mx, y, tf, th.title, pick(r, slideTitles))
	y += tf.height() + c.p(10*sc)
	sf := c.face(regular, 22*sc)
	c.str(mx, y, sf, th.muted, fmt.Sprintf("%s review · %s %d", pick(r, regions), pick(r, months), 2026))
	y += sf.height() + c.p(34*sc)

	bf := c.face(regular, float64(r.between(22, 28))*sc)
	kinds := []string{KindAmount, KindCustomer, KindDecoy, "", KindAmount, KindCustomer, "", KindDecoy}
	if v%2 == 1 {
		kinds = []string{KindCustomer, "", KindAmount, KindDecoy, KindEmail, "", KindClassification}
	}
	lh := bf.height() + c.p(12*sc)
	footerY := slide.Max.Y - c.p(40*sc)
	for i, k := range kinds {
		if y+2*lh > footerY {
			break
		}
		var segs []seg
		if k == "" {
			segs = []seg{txt(bullets[(v*5+i)%len(bullets)])}
		} else {
			segs = p.planted(k, bulletTemplates)
		}
		c.circle(mx+c.p(6*sc), y+bf.ascent*2/3, max(c.p(4*sc), 3), th.accent)
		y = c.para(mx+c.p(28*sc), y, right-mx-c.p(28*sc), bf, th.body, lh, segs...) + c.p(8*sc)
	}

	ff := c.face(regular, float64(r.between(11, 14)))
	fy := slide.Max.Y - c.p(20*sc) - ff.height()
	if r.chance(60) {
		c.text(mx, fy, ff, th.muted, p.classification())
	} else {
		c.str(mx, fy, ff, th.muted, "Acme Planning · Quarterly review")
	}
	pageX := slide.Max.X - c.p(40*sc)
	if toast && tr.Min.Y > H/2 {
		pageX = min(pageX, tr.Min.X-c.p(16))
	}
	c.textRight(pageX, fy, ff, th.muted, txt(fmt.Sprint(r.between(2, 38))))

	if toast {
		light := th.style == "slide-dark"
		drawToast(c, p, tr, light, v)
	}
}

// slidesEditorChrome draws a slides editor around the slide and returns the
// slide rectangle.
func slidesEditorChrome(c *canvas, p *planter) image.Rectangle {
	r := p.rng
	W, H := c.W(), c.H()
	c.fill(image.Rect(0, 0, W, H), hex(0xF1F3F4))
	c.in("app-chrome", image.Rect(0, 0, W, c.p(96)))
	tf := c.face(regular, 18)
	c.str(c.p(56), c.p(10), tf, hex(0x202124), pick(r, slideTitles)+" – draft")
	c.roundRect(image.Rect(c.p(14), c.p(12), c.p(42), c.p(40)), c.p(4), hex(0xF4B400))
	mf := c.face(regular, 14)
	x := c.p(56)
	for _, m := range menus["slides"] {
		x = c.str(x, c.p(38), mf, hex(0x3C4043), m) + c.p(14)
	}
	c.hline(0, W, c.p(64), 1, hex(0xDADCE0))
	for i := range 18 {
		c.roundRect(image.Rect(c.p(16+float64(i)*30), c.p(70), c.p(36+float64(i)*30), c.p(90)), c.p(3), hex(0xDADCE0))
	}
	c.hline(0, W, c.p(96), 1, hex(0xDADCE0))
	// Thumbnails carry no text: anything legible would be under 10 px.
	ty := c.p(112)
	for i := 0; ty+c.p(100) < H; i++ {
		tr := image.Rect(c.p(28), ty, c.p(188), ty+c.p(90))
		if i == 2 {
			c.border(tr.Inset(-c.p(3)), c.p(2), hex(0x1A73E8))
		}
		c.fill(tr, white)
		c.border(tr, 1, hex(0xDADCE0))
		c.fill(image.Rect(tr.Min.X+c.p(10), tr.Min.Y+c.p(14), tr.Min.X+c.p(90), tr.Min.Y+c.p(20)), hex(0x9AA0A6))
		for j := range 3 {
			c.fill(image.Rect(tr.Min.X+c.p(14), tr.Min.Y+c.p(32+float64(j)*12), tr.Min.X+c.p(130-float64(j*20)), tr.Min.Y+c.p(36+float64(j)*12)), hex(0xDADCE0))
		}
		ty += c.p(110)
	}
	avail := image.Rect(c.p(212), c.p(120), W-c.p(24), H-c.p(150))
	sw := avail.Dx()
	sh := sw * 9 / 16
	if sh > avail.Dy() {
		sh = avail.Dy()
		sw = sh * 16 / 9
	}
	sx := avail.Min.X + (avail.Dx()-sw)/2
	slide := image.Rect(sx, avail.Min.Y, sx+sw, avail.Min.Y+sh)
	c.shadow(slide, 0, 40)
	notes := image.Rect(c.p(212), slide.Max.Y+c.p(18), W-c.p(24), H-c.p(12))
	c.fill(notes, white)
	c.border(notes, 1, hex(0xDADCE0))
	c.in("app-chrome", notes)
	nf := c.face(regular, 14)
	c.para(notes.Min.X+c.p(14), notes.Min.Y+c.p(12), notes.Dx()-c.p(28), nf, hex(0x5F6368), nf.height()+c.p(4),
		txt("Speaker notes: "+pick(r, sentences)+" "+pick(r, sentences)))
	return slide
}

// drawToast draws a chat notification card (Slack/Teams style) anchored at
// tr: tr.Min.Y is its top when tr is near the top, else its bottom.
func drawToast(c *canvas, p *planter, tr image.Rectangle, light bool, v int) {
	r := p.rng
	bg, border, name, msg, meta := hex(0x1A1D21), hex(0x3F4145), hex(0xF8F8F8), hex(0xD1D2D3), hex(0xABABAD)
	style := "notification-light-on-dark"
	if light {
		bg, border, name, msg, meta = hex(0xFFFFFF), hex(0xDDDDDD), hex(0x1D1C1D), hex(0x454245), hex(0x616061)
		style = "notification-dark-on-light"
	}
	app := []string{"Slack", "Teams", "Messages"}[v%3]
	nf := c.face(bold, float64(r.between(13, 14)))
	mf := c.face(regular, float64(r.between(12, 14)))
	kf := c.face(mono, 12)
	af := c.face(regular, 12)

	// Message lines: one planted item (two on some), and context filler.
	var lines [][]seg
	switch k := []string{KindCustomer, KindAmount, KindCredential, KindEmail, KindDecoy, KindClassification, KindCustomer}[(v+len(c.items))%7]; k {
	case KindCredential:
		cr := p.shortCredential(56)
		cr.f = kf
		lines = [][]seg{{txt(pick(r, []string{"here's the prod key, rotate after the demo:", "use this for the staging test:", "found this in the old wiki page:"}))}, {cr}}
	default:
		lines = [][]seg{p.planted(k, chatTemplates)}
		if r.chance(50) {
			lines = append(lines, []seg{txt(pick(r, chatFiller))})
		} else {
			lines = append(lines, p.planted(KindDecoy, chatTemplates))
		}
	}

	pad := c.p(16)
	avatar := c.p(36)
	textX := pad + avatar + c.p(12)
	w := tr.Dx()
	for _, l := range lines {
		w = max(w, textX+segsWidth(mf, l)+pad)
	}
	lh := mf.height() + c.p(4)
	h := pad + af.height() + c.p(10) + nf.height() + c.p(4) + len(lines)*lh + pad
	card := image.Rect(tr.Max.X-w, tr.Min.Y, tr.Max.X, tr.Min.Y+h)
	if tr.Min.Y > c.H()/2 {
		card = card.Sub(image.Pt(0, h))
	}
	// A toast must not hide planted items: they would turn into half-visible
	// text nobody accounts for.
	for _, it := range c.items {
		if overlapsRect(toBox(card.Inset(-c.p(12))), it.Box) {
			return
		}
	}
	c.shadow(card, c.p(10), 60)
	c.roundRect(card.Inset(-1), c.p(10), border)
	c.roundRect(card, c.p(10), bg)
	c.in(style, card)

	x0, y := card.Min.X, card.Min.Y+pad
	c.roundRect(image.Rect(x0+pad, y, x0+pad+af.height(), y+af.height()), c.p(3), []color.RGBA{hex(0x4A154B), hex(0x5B5FC7), hex(0x34C759)}[v%3])
	c.str(x0+pad+af.height()+c.p(8), y, af, meta, app)
	c.textRight(card.Max.X-pad, y, af, meta, txt("now"))
	y += af.height() + c.p(10)
	c.circle(x0+pad+avatar/2, y+avatar/2, avatar/2, []color.RGBA{hex(0xE8912D), hex(0x2BAC76), hex(0x1264A3), hex(0xCD2553)}[r.intn(4)])
	who := pick(r, people)
	ini := c.face(bold, 14)
	c.textCenter(x0+pad+avatar/2, y+(avatar-ini.height())/2, ini, white, txt(who[:1]))
	c.str(x0+textX, y, nf, name, who)
	y += nf.height() + c.p(4)
	for _, l := range lines {
		c.text(x0+textX, y, mf, msg, l...)
		y += lh
	}
}

func overlapsRect(a, b rules.Box) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}
