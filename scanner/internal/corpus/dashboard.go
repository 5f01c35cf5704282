package corpus

import (
	"fmt"
	"image"
	"image/color"
)

type dashTheme struct {
	bg, card, border, ink, muted, accent, good, bad color.RGBA
	style                                           string
}

var dashThemes = []dashTheme{
	{hex(0xF4F5F7), white, hex(0xE1E4E8), hex(0x172B4D), hex(0x5E6C84), hex(0x0052CC), hex(0x006644), hex(0xBF2600), "dashboard-light"},
	{hex(0x111217), hex(0x181B1F), hex(0x2C3235), hex(0xE8E9EA), hex(0x9FA7B3), hex(0x6E9FFF), hex(0x73BF69), hex(0xF2495C), "dashboard-dark"},
}

// renderDashboard draws KPI tiles (big figures, small labels), a chart with
// small axis labels and a table of top accounts.
func renderDashboard(c *canvas, p *planter, v int) {
	r := p.rng
	th := dashThemes[v%2]
	W, H := c.W(), c.H()
	c.fill(image.Rect(0, 0, W, H), th.bg)
	c.in("app-chrome", image.Rect(0, 0, W, c.p(52)))
	c.fill(image.Rect(0, 0, W, c.p(52)), th.card)
	c.hline(0, W, c.p(52), 1, th.border)
	c.roundRect(image.Rect(c.p(16), c.p(14), c.p(40), c.p(38)), c.p(5), th.accent)
	nf := c.face(bold, 16)
	x := c.str(c.p(52), c.p(16), nf, th.ink, pick(r, []string{"Revenue Overview", "Sales Analytics", "Exec Summary", "Growth Metrics"}))
	tf := c.face(regular, 14)
	x += c.p(40)
	for _, n := range []string{"Overview", "Accounts", "Pipeline", "Forecast", "Reports"} {
		x = c.str(x, c.p(18), tf, th.muted, n) + c.p(22)
	}
	c.textRight(W-c.p(20), c.p(18), tf, th.muted, txt(fmt.Sprintf("Last 90 days · updated %d:%02d", r.between(8, 17), r.intn(60))))

	side := c.p(200)
	c.fill(image.Rect(0, c.p(53), side, H), th.card)
	c.in("app-chrome", image.Rect(0, c.p(53), side, H))
	sy := c.p(76)
	for i, n := range []string{"Home", "Dashboards", "Explore", "Alerts", "Data sources", "Admin"} {
		if i == 1 {
			c.fill(image.Rect(0, sy-c.p(6), side, sy+tf.height()+c.p(6)), th.bg)
			c.fill(image.Rect(0, sy-c.p(6), c.p(3), sy+tf.height()+c.p(6)), th.accent)
		}
		c.str(c.p(24), sy, tf, th.ink, n)
		sy += c.p(36)
	}

	area := image.Rect(side+c.p(24), c.p(76), W-c.p(24), H-c.p(24))
	gap := c.p(16)
	cols := 4
	tileW := (area.Dx() - gap*(cols-1)) / cols
	tileH := c.p(130)
	for i := range cols {
		t := image.Rect(area.Min.X+i*(tileW+gap), area.Min.Y, area.Min.X+i*(tileW+gap)+tileW, area.Min.Y+tileH)
		c.roundRect(t.Inset(-1), c.p(8), th.border)
		c.roundRect(t, c.p(8), th.card)
		c.in(th.style, t)
		lf := c.face(medium, float64(r.between(11, 12)))
		bigF := c.face(bold, float64(r.between(30, 44)))
		// Labels match the figure so that a decoy stays harmless to a reader.
		var fig seg
		var label string
		switch (i + v) % 4 {
		case 0:
			fig = p.amount()
			for len(fig.text) > 10 {
				fig = p.amount()
			}
			label = pick(r, []string{"ANNUAL RECURRING REVENUE", "NET NEW BOOKINGS", "PIPELINE"})
		case 1:
			if r.chance(40) {
				fig, label = seg{text: pick(r, []string{"3.5M", "2.4M", "1.2M"}), kind: KindDecoy}, "APP DOWNLOADS"
			} else {
				fig, label = pick(r, []seg{{text: "$250K", kind: KindDecoy}, {text: "$0.9M", kind: KindDecoy}, {text: "$480K", kind: KindDecoy}, {text: "$999,999", kind: KindDecoy}}), "AVG DEAL SIZE"
			}
		case 2:
			fig, label = txt(fmt.Sprintf("%d.%d%%", r.between(40, 99), r.intn(10))), pick(r, []string{"GROSS MARGIN", "WIN RATE"})
		default:
			fig, label = txt(commas(int64(r.between(120, 9800)))), pick(r, []string{"ACTIVE CUSTOMERS", "OPEN TICKETS"})
		}
		c.str(t.Min.X+c.p(18), t.Min.Y+c.p(16), lf, th.muted, label)
		if bigF.width(fig.text) > t.Dx()-c.p(36) {
			bigF = c.face(bold, 28)
		}
		c.text(t.Min.X+c.p(18), t.Min.Y+c.p(40), bigF, th.ink, fig)
		up := r.chance(70)
		dc, sign := th.good, "▲"
		if !up {
			dc, sign = th.bad, "▼"
		}
		c.str(t.Min.X+c.p(18), t.Max.Y-c.p(30), c.face(regular, 12), dc, fmt.Sprintf("%s %d.%d%% vs last quarter", sign, r.between(1, 30), r.intn(10)))
	}

	// Chart card.
	top := area.Min.Y + tileH + gap
	chartW := area.Dx() * 3 / 5
	ch := image.Rect(area.Min.X, top, area.Min.X+chartW, area.Max.Y)
	c.roundRect(ch.Inset(-1), c.p(8), th.border)
	c.roundRect(ch, c.p(8), th.card)
	c.in(th.style, ch)
	hf := c.face(bold, 15)
	c.str(ch.Min.X+c.p(18), ch.Min.Y+c.p(16), hf, th.ink, "Bookings by month")
	af := c.face(regular, float64(r.between(10, 12)))
	plot := image.Rect(ch.Min.X+c.p(60), ch.Min.Y+c.p(56), ch.Max.X-c.p(24), ch.Max.Y-c.p(40))
	for i := range 5 {
		yy := plot.Max.Y - i*plot.Dy()/4
		c.hline(plot.Min.X, plot.Max.X, yy, 1, th.border)
		c.textRight(plot.Min.X-c.p(8), yy-af.height()/2, af, th.muted, txt(fmt.Sprintf("%dk", i*250)))
	}
	n := 12
	var pts, pts2 []image.Point
	for i := range n {
		xx := plot.Min.X + i*plot.Dx()/(n-1)
		pts = append(pts, image.Pt(xx, plot.Max.Y-plot.Dy()*(30+r.intn(60))/100))
		pts2 = append(pts2, image.Pt(xx, plot.Max.Y-plot.Dy()*(10+r.intn(40))/100))
		if i%2 == 0 || plot.Dx() > c.p(700) {
			c.textCenter(xx, plot.Max.Y+c.p(10), af, th.muted, txt(months[i]))
		}
	}
	c.polyline(pts2, float64(c.p(2)), th.muted)
	c.polyline(pts, float64(c.p(3)), th.accent)

	// Top accounts table.
	tb := image.Rect(ch.Max.X+gap, top, area.Max.X, area.Max.Y)
	c.roundRect(tb.Inset(-1), c.p(8), th.border)
	c.roundRect(tb, c.p(8), th.card)
	c.in(th.style, tb)
	c.str(tb.Min.X+c.p(18), tb.Min.Y+c.p(16), hf, th.ink, "Top accounts")
	rf := c.face(regular, float64(r.between(12, 14)))
	y := tb.Min.Y + c.p(52)
	amtX := tb.Max.X - c.p(18)
	c.str(tb.Min.X+c.p(18), y, af, th.muted, "ACCOUNT")
	c.textRight(amtX, y, af, th.muted, txt("BOOKINGS"))
	y += af.height() + c.p(10)
	for row := 0; y+rf.height()+c.p(14) < tb.Max.Y; row++ {
		c.hline(tb.Min.X+c.p(18), tb.Max.X-c.p(18), y-c.p(6), 1, th.border)
		switch (row + v) % 4 {
		case 0:
			name, amt := p.customer(), p.amount()
			for len(amt.text) > 14 {
				amt = p.amount()
			}
			name.kind, amt.kind, name.part, amt.part = "", "", true, true
			c.text(tb.Min.X+c.p(18), y, rf, th.ink, name)
			nb := c.lastInk
			c.textRight(amtX, y, rf, th.ink, amt)
			c.items = append(c.items, Item{Kind: KindCombo, Rule: "customer-spend", Text: name.text + " … " + amt.text, Box: nb.Union(c.lastInk), FontPx: rf.px, Style: c.style})
		case 1:
			c.text(tb.Min.X+c.p(18), y, rf, th.ink, p.decoyCompany())
			c.textRight(amtX, y, rf, th.ink, txt("$"+commas(int64(r.between(20, 900))*1000)))
		case 2:
			c.text(tb.Min.X+c.p(18), y, rf, th.ink, p.customer())
			c.textRight(amtX, y, rf, th.ink, p.decoySmall())
		default:
			c.text(tb.Min.X+c.p(18), y, rf, th.ink, p.decoyCompany())
			c.textRight(amtX, y, rf, th.ink, txt("$"+commas(int64(r.between(20, 900))*1000)))
		}
		y += rf.height() + c.p(16)
	}
}
