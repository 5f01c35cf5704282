package corpus

import (
	"fmt"
	"image"
	"image/color"
)

// renderDocument draws a word processor page with a classification banner
// in the header and footer, paragraphs with planted items and, on wide
// screens, a low-contrast comments panel.
func renderDocument(c *canvas, p *planter, v int) {
	r := p.rng
	W, H := c.W(), c.H()
	ink, muted := hex(0x202124), hex(0x5F6368)
	c.fill(image.Rect(0, 0, W, H), hex(0xF8F9FA))
	c.in("app-chrome", image.Rect(0, 0, W, c.p(110)))
	c.roundRect(image.Rect(c.p(14), c.p(12), c.p(38), c.p(44)), c.p(3), hex(0x4285F4))
	title := pick(r, []string{"Vendor consolidation proposal", "Q3 planning notes", "Migration plan", "Partner agreement summary", "Board pre-read"})
	c.str(c.p(52), c.p(8), c.face(regular, 18), ink, title)
	mf := c.face(regular, 14)
	x := c.p(52)
	for _, m := range menus["doc"] {
		x = c.str(x, c.p(34), mf, hex(0x3C4043), m) + c.p(14)
	}
	c.roundRect(image.Rect(W-c.p(120), c.p(14), W-c.p(20), c.p(46)), c.p(16), hex(0xC2E7FF))
	c.textCenter(W-c.p(70), c.p(21), c.face(medium, 14), hex(0x001D35), txt("Share"))
	c.fill(image.Rect(c.p(12), c.p(62), W-c.p(12), c.p(96)), hex(0xEDF2FA))
	for i := range 22 {
		c.roundRect(image.Rect(c.p(24+float64(i)*30), c.p(68), c.p(44+float64(i)*30), c.p(90)), c.p(3), hex(0xC7CDD6))
	}

	pageW := min(c.p(816), W-c.p(80))
	comments := W-pageW > c.p(640)
	px := (W - pageW) / 2
	if comments {
		px = c.p(60) + (W-c.p(60)-c.p(360)-pageW)/2
	}
	page := image.Rect(px, c.p(112), px+pageW, H+c.p(10))
	c.shadow(page, 0, 30)
	c.fill(page, white)
	c.in("document", page)
	m := c.p(72)
	tx, tw := page.Min.X+m, pageW-2*m
	y := page.Min.Y + c.p(28)

	// Header banner: a red classification line, sometimes in a tinted bar.
	bf := c.face(bold, float64(r.between(12, 14)))
	red := hex(0xB3261E)
	if v%2 == 0 {
		c.fill(image.Rect(tx, y-c.p(4), tx+tw, y+bf.height()+c.p(4)), hex(0xFCE8E6))
	}
	c.textCenter(tx+tw/2, y, bf, red, p.classification())
	y += bf.height() + c.p(28)

	hf := c.face(regular, 26)
	c.str(tx, y, hf, ink, title)
	y += hf.height() + c.p(6)
	sf := c.face(regular, 13)
	c.str(tx, y, sf, muted, fmt.Sprintf("Draft %d · last edited %s %d by %s", r.between(2, 9), pick(r, months), r.between(1, 28), pick(r, people)))
	y += sf.height() + c.p(22)

	pf := c.face(regular, float64(r.between(13, 16)))
	lh := pf.height() + c.p(6)
	h2 := c.face(bold, 18)
	footerY := H - c.p(60)
	kinds := []string{KindAmount, KindCustomer, KindDecoy, KindEmail, KindAmount, KindDecoy, KindCustomer, KindClassification}
	for sec, k := range kinds {
		if y+h2.height()+4*lh > footerY {
			break
		}
		if sec%2 == 0 {
			c.str(tx, y, h2, ink, fmt.Sprintf("%d. %s", sec/2+1, pick(r, []string{"Background", "Proposal", "Commercials", "Risks", "Timeline", "Open questions"})))
			y += h2.height() + c.p(10)
		}
		var segs []seg
		segs = append(segs, txt(pick(r, sentences)+" "))
		segs = append(segs, docSentence(p, k)...)
		segs = append(segs, txt(" "+pick(r, sentences)))
		y = c.para(tx, y, tw, pf, ink, lh, segs...) + c.p(12)
	}
	// Footer: classification marker and page number, small and grey.
	ff := c.face(regular, float64(r.between(10, 12)))
	fy := H - c.p(34)
	if fy > y {
		c.hline(tx, tx+tw, fy-c.p(8), 1, hex(0xDADCE0))
		c.text(tx, fy, ff, muted, p.classification())
		c.textRight(tx+tw, fy, ff, muted, txt(fmt.Sprintf("Page %d of %d", r.between(2, 5), r.between(6, 14))))
	}
	if comments {
		drawComments(c, p, image.Rect(page.Max.X+c.p(24), page.Min.Y+c.p(40), page.Max.X+c.p(24)+c.p(300), H-c.p(40)), v)
	}
}

func docSentence(p *planter, k string) []seg {
	switch k {
	case KindAmount:
		return phrase(pick(p.rng, []string{"The agreed contract value is %s, payable in four instalments.", "Finance expects %s in annual savings once the consolidation is complete.", "The expansion adds %s to the committed spend."}), p.amount())
	case KindCustomer:
		return phrase(pick(p.rng, []string{"The reference customer for this rollout is %s.", "%s has agreed to join the early access group.", "We met the procurement lead at %s on Tuesday."}), p.customer())
	case KindEmail:
		return phrase(pick(p.rng, []string{"Send questions to %s before the review.", "The account contact is %s."}), p.email())
	case KindClassification:
		return phrase(pick(p.rng, []string{"These figures were shared %s and must not leave the team.", "Treat the appendix as %s."}), p.classification())
	}
	d := p.decoy()
	return phrase("Note: "+decoyTemplate(p.rng, d.text)+".", d)
}

// lowContrast pairs are grey text on grey panels with contrast ratios between
// about 3:1 and 4.5:1: hard for OCR, still readable for a person.
var lowContrast = []struct{ bg, fg color.RGBA }{
	{hex(0xE4E4E4), hex(0x767676)},
	{hex(0xD9D9D9), hex(0x6E6E6E)},
	{hex(0x3A3A3A), hex(0x9E9E9E)},
	{hex(0x2B2F36), hex(0x8B929C)},
	{hex(0xECEFF1), hex(0x7B8A95)},
	{hex(0xCFD4DA), hex(0x5E666E)},
}

func drawComments(c *canvas, p *planter, r image.Rectangle, v int) {
	lc := lowContrast[v%len(lowContrast)]
	c.roundRect(r, c.p(8), lc.bg)
	c.in("low-contrast-panel", r)
	nf := c.face(bold, 13)
	f := c.face(regular, 13)
	y := r.Min.Y + c.p(14)
	x := r.Min.X + c.p(14)
	w := r.Dx() - c.p(28)
	for i, k := range []string{KindCustomer, "", KindAmount, KindDecoy} {
		if y+c.p(90) > r.Max.Y {
			break
		}
		c.str(x, y, nf, lc.fg, pick(p.rng, people))
		y += nf.height() + c.p(6)
		var segs []seg
		switch k {
		case "":
			segs = []seg{txt(pick(p.rng, chatFiller))}
		default:
			segs = p.planted(k, chatTemplates)
		}
		y = c.para(x, y, w, f, lc.fg, f.height()+c.p(4), segs...) + c.p(6)
		c.str(x, y, c.face(regular, 12), lc.fg, fmt.Sprintf("%d:%02d · Reply", 9+i, p.rng.intn(60)))
		y += c.p(36)
	}
}
