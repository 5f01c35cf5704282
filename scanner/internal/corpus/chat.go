package corpus

import (
	"fmt"
	"image"
	"image/color"
)

var bubbleColours = []color.RGBA{hex(0x0B63C5), hex(0x1E7E34), hex(0x6A3FB5), hex(0x0A6ED1), hex(0x5B3CC4), hex(0x147A5C)}

// renderChat draws a messaging app: channel list, a conversation with grey
// received bubbles and white-on-colour sent bubbles, and a composer.
func renderChat(c *canvas, p *planter, v int) {
	r := p.rng
	W, H := c.W(), c.H()
	ink, muted := hex(0x1D1C1D), hex(0x616061)
	c.fill(image.Rect(0, 0, W, H), white)
	side := c.p(260)
	c.fill(image.Rect(0, 0, side, H), hex(0x3F0E40))
	c.in("app-chrome", image.Rect(0, 0, side, H))
	wf := c.face(bold, 17)
	c.str(c.p(18), c.p(16), wf, white, pick(r, []string{"Northstar Sales", "Platform Eng", "Field Team", "Launch Crew"}))
	cf := c.face(regular, 15)
	y := c.p(64)
	for i, ch := range []string{"# general", "# deals", "# launch-plan", "# customer-success", "# random", "# support-escalations", "# design", "# standup"} {
		col := hex(0xCFC3CF)
		if i == 1+v%3 {
			c.fill(image.Rect(0, y-c.p(4), side, y+cf.height()+c.p(4)), hex(0x1164A3))
			col = white
		}
		c.str(c.p(18), y, cf, col, ch)
		y += c.p(30)
	}
	y += c.p(18)
	c.str(c.p(18), y, c.face(regular, 13), hex(0xCFC3CF), "Direct messages")
	y += c.p(28)
	for range 6 {
		if y+c.p(30) > H {
			break
		}
		c.circle(c.p(26), y+cf.height()/2, c.p(5), hex(0x2BAC76))
		c.str(c.p(40), y, cf, hex(0xCFC3CF), pick(r, people))
		y += c.p(30)
	}

	c.in("app-chrome", image.Rect(side, 0, W, c.p(56)))
	c.str(side+c.p(20), c.p(16), c.face(bold, 17), ink, "# deals")
	c.hline(side, W, c.p(56), 1, hex(0xDDDDDD))
	comp := image.Rect(side+c.p(20), H-c.p(84), W-c.p(20), H-c.p(20))
	c.roundRect(comp.Inset(-1), c.p(8), hex(0xBBBBBB))
	c.roundRect(comp, c.p(8), white)
	c.in("app-chrome", comp)
	c.str(comp.Min.X+c.p(14), comp.Min.Y+c.p(14), c.face(regular, 15), hex(0x868686), "Message #deals")

	convo := image.Rect(side, c.p(57), W, comp.Min.Y-c.p(12))
	c.in("chat-received", convo)
	bf := c.face(regular, float64(r.between(14, 16)))
	nf := c.face(bold, 14)
	maxW := min(c.p(560), convo.Dx()*2/3)
	type msg struct {
		mine bool
		segs []seg
	}
	kinds := []string{KindCustomer, KindAmount, KindCredential, KindEmail, KindDecoy, KindClassification, "", KindAmount, KindCustomer, KindDecoy}
	var msgs []msg
	for i, k := range kinds {
		var segs []seg
		switch k {
		case "":
			segs = []seg{txt(pick(r, chatFiller))}
		case KindCredential:
			cr := p.shortCredential(70)
			cr.f = c.face(mono, 13)
			segs = []seg{txt(pick(r, []string{"token for the sandbox is ", "try this key: ", "prod creds, don't share: "})), cr}
		default:
			segs = p.planted(k, chatTemplates)
		}
		msgs = append(msgs, msg{mine: (i+v)%3 != 0, segs: segs})
	}
	// Lay out from the bottom up like a real chat, dropping what does not fit.
	type placed struct {
		m       msg
		h, w, y int
	}
	var out []placed
	y = convo.Max.Y
	pad := c.p(12)
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		lines := wrapSegs(bf, maxW-2*pad, m.segs)
		w := 0
		for _, l := range lines {
			w = max(w, segsWidth(bf, l))
		}
		lh := bf.height() + c.p(5)
		h := len(lines)*lh + 2*pad - c.p(5)
		if !m.mine {
			h += nf.height() + c.p(6)
		}
		top := y - h - c.p(14)
		if top < convo.Min.Y+c.p(10) {
			break
		}
		out = append(out, placed{m, h, w + 2*pad, top})
		y = top
	}
	for i := len(out) - 1; i >= 0; i-- {
		pl := out[i]
		lines := wrapSegs(bf, maxW-2*pad, pl.m.segs)
		lh := bf.height() + c.p(5)
		if pl.m.mine {
			col := bubbleColours[(v+i)%len(bubbleColours)]
			b := image.Rect(convo.Max.X-c.p(24)-pl.w, pl.y, convo.Max.X-c.p(24), pl.y+pl.h)
			c.roundRect(b, c.p(16), col)
			c.in("chat-bubble", b)
			ty := b.Min.Y + pad
			for _, l := range lines {
				c.text(b.Min.X+pad, ty, bf, white, l...)
				ty += lh
			}
			c.in("chat-received", convo)
			c.textRight(b.Min.X-c.p(8), b.Max.Y-c.p(16), c.face(regular, 11), muted, txt(fmt.Sprintf("%d:%02d", r.between(9, 17), r.intn(60))))
			continue
		}
		ax := convo.Min.X + c.p(20)
		c.circle(ax+c.p(18), pl.y+c.p(18), c.p(18), []color.RGBA{hex(0xE8912D), hex(0x2BAC76), hex(0xCD2553)}[i%3])
		bx := ax + c.p(48)
		b := image.Rect(bx, pl.y, bx+max(pl.w, nf.width("Marcus Lee")+2*pad), pl.y+pl.h)
		c.roundRect(b, c.p(16), hex(0xF0F0F0))
		c.in("chat-received", b)
		c.str(b.Min.X+pad, b.Min.Y+pad, nf, ink, pick(r, people))
		ty := b.Min.Y + pad + nf.height() + c.p(6)
		for _, l := range lines {
			c.text(b.Min.X+pad, ty, bf, ink, l...)
			ty += lh
		}
		c.in("chat-received", convo)
	}
}

// wrapSegs splits segs into lines no wider than w, keeping items whole.
func wrapSegs(f *face, w int, segs []seg) [][]seg {
	var lines [][]seg
	var line []seg
	lw := 0
	for _, t := range tokenize(segs) {
		tw := segsWidth(f, []seg{t.seg})
		sp := 0
		if t.space && len(line) > 0 {
			sp = f.width(" ")
		}
		if len(line) > 0 && t.space && lw+sp+tw > w {
			lines = append(lines, line)
			line, lw, sp = nil, 0, 0
		}
		if sp > 0 {
			line = append(line, txt(" "))
		}
		line = append(line, t.seg)
		lw += sp + tw
	}
	if len(line) > 0 {
		lines = append(lines, line)
	}
	return lines
}
