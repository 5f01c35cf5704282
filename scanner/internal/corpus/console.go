package corpus

import (
	"fmt"
	"image"
)

// renderConsole draws an admin console in grey-on-grey: settings forms,
// disabled-looking fields and side panels whose text is readable but low in
// contrast (3:1 to 4.5:1), the case OCR binarisation handles worst.
func renderConsole(c *canvas, p *planter, v int) {
	r := p.rng
	W, H := c.W(), c.H()
	lc := lowContrast[v%len(lowContrast)]
	dark := lc.bg.R < 128
	page, ink := hex(0xFAFAFA), hex(0x212121)
	if dark {
		page, ink = hex(0x1B1D21), hex(0xE0E0E0)
	}
	c.fill(image.Rect(0, 0, W, H), page)
	c.in("app-chrome", image.Rect(0, 0, W, c.p(56)))
	c.fill(image.Rect(0, 0, W, c.p(56)), lc.bg)
	c.str(c.p(20), c.p(16), c.face(bold, 17), ink, pick(r, []string{"Tenant admin", "Billing console", "Org settings", "Integrations"}))
	c.in("low-contrast-panel", image.Rect(c.p(260), 0, W, c.p(56)))
	c.str(c.p(260), c.p(19), c.face(regular, 14), lc.fg, "Settings  /  Workspace  /  "+pick(r, []string{"Billing", "API access", "Members", "Security"}))

	nav := image.Rect(0, c.p(56), c.p(230), H)
	c.fill(nav, lc.bg)
	c.in("low-contrast-panel", nav)
	nf := c.face(regular, 14)
	y := nav.Min.Y + c.p(20)
	for _, n := range []string{"General", "Members", "Roles", "Billing", "API access", "Webhooks", "Audit log", "Data retention", "SSO", "Danger zone"} {
		c.str(c.p(24), y, nf, lc.fg, n)
		y += c.p(34)
	}

	body := image.Rect(nav.Max.X+c.p(32), c.p(80), W-c.p(32), H-c.p(24))
	colW := (body.Dx() - c.p(24)) / 2
	hf := c.face(bold, 16)
	lf := c.face(regular, 12)
	vf := c.face(regular, float64(r.between(13, 15)))
	kf := c.face(mono, 13)
	type field struct {
		label string
		val   seg
	}
	fieldsFor := func(col int) []field {
		if col == 0 {
			return []field{
				{"Organisation", p.customer()},
				{"Billing contact", p.email()},
				{"Contract value", p.amount()},
				{"Plan", txt(pick(r, []string{"Enterprise (annual)", "Business", "Scale"}))},
				{"Data classification", p.classification()},
				{"Region", txt(pick(r, []string{"eu-west-1", "us-east-2", "ap-southeast-2"}))},
			}
		}
		cr := p.shortCredential(70)
		cr.f = kf
		return []field{
			{"Secret", cr},
			{"Reseller", p.decoyCompany()},
			{"Monthly add-on", p.decoySmall()},
			{"Webhook URL", txt("https://hooks.example.test/v1/events")},
			{"Notes", p.decoyWord()},
			{"Created", txt(fmt.Sprintf("%s %d, 2026", pick(r, months), r.between(1, 28)))},
		}
	}
	for col := range 2 {
		panel := image.Rect(body.Min.X+col*(colW+c.p(24)), body.Min.Y, body.Min.X+col*(colW+c.p(24))+colW, body.Max.Y)
		c.roundRect(panel, c.p(10), lc.bg)
		c.in("low-contrast-panel", panel)
		y := panel.Min.Y + c.p(20)
		c.str(panel.Min.X+c.p(20), y, hf, lc.fg, []string{"Account details", "Integrations"}[col])
		y += hf.height() + c.p(20)
		for _, f := range fieldsFor(col) {
			if y+c.p(70) > panel.Max.Y {
				break
			}
			c.str(panel.Min.X+c.p(20), y, lf, lc.fg, f.label)
			y += lf.height() + c.p(6)
			box := image.Rect(panel.Min.X+c.p(20), y, panel.Max.X-c.p(20), y+vf.height()+c.p(16))
			c.border(box, 1, lc.fg)
			val, fit := f.val, vf
			// Long secrets get a smaller font rather than overflowing the field.
			for sz := 13.0; segsWidth(fit, []seg{val}) > box.Dx()-c.p(20) && sz >= 10; sz-- {
				val.f = c.face(mono, sz)
				fit = val.f
			}
			c.text(box.Min.X+c.p(10), y+c.p(8), vf, lc.fg, val)
			y = box.Max.Y + c.p(18)
		}
		if y+c.p(40) < panel.Max.Y {
			c.para(panel.Min.X+c.p(20), y, panel.Dx()-c.p(40), vf, lc.fg, vf.height()+c.p(4),
				txt(pick(r, sentences)+" "+pick(r, sentences)))
		}
	}
}
