package corpus

import (
	"fmt"
	"image"
	"image/color"
)

// renderSpreadsheet draws a dense sheet: 12–14 px rows with gridlines, where
// customers and large amounts share rows (the customer-spend combination).
func renderSpreadsheet(c *canvas, p *planter, v int) {
	r := p.rng
	W, H := c.W(), c.H()
	grid, head, ink, muted := hex(0xE2E3E3), hex(0xF8F9FA), hex(0x202124), hex(0x5F6368)
	c.fill(image.Rect(0, 0, W, H), white)
	c.in("app-chrome", image.Rect(0, 0, W, c.p(120)))
	tf := c.face(regular, 18)
	c.roundRect(image.Rect(c.p(14), c.p(12), c.p(40), c.p(44)), c.p(3), hex(0x0F9D58))
	c.str(c.p(52), c.p(8), tf, ink, pick(r, []string{"FY26 Accounts", "Pipeline tracker", "Renewals Q3", "Top accounts by spend"}))
	mf := c.face(regular, 14)
	x := c.p(52)
	for _, m := range menus["sheet"] {
		x = c.str(x, c.p(34), mf, hex(0x3C4043), m) + c.p(14)
	}
	c.fill(image.Rect(0, c.p(60), W, c.p(92)), hex(0xEDF2FA))
	for i := range 26 {
		c.roundRect(image.Rect(c.p(16+float64(i)*32), c.p(66), c.p(38+float64(i)*32), c.p(86)), c.p(3), hex(0xC7CDD6))
	}
	ff := c.face(italic, 13)
	c.str(c.p(16), c.p(98), ff, muted, "fx")
	c.vline(c.p(40), c.p(94), c.p(118), 1, grid)
	c.str(c.p(50), c.p(98), c.face(regular, 13), ink, "=SUMIFS(Spend, Region, \"EMEA\")")
	c.hline(0, W, c.p(120), 1, grid)

	fs := float64(12 + v%3)
	f := c.face(regular, fs)
	hf := c.face(bold, fs)
	rowH := f.height() + c.p(7)
	top := c.p(121)
	rowNumW := c.p(44)
	cols := []struct {
		name string
		w    float64
	}{{"Account", 230}, {"Region", 90}, {"Owner", 130}, {"Segment", 110}, {"Spend (FY26)", 140}, {"Seats", 70}, {"Renewal", 100}, {"Status", 90}, {"Notes", 320}}
	xs := []int{rowNumW}
	for _, col := range cols {
		xs = append(xs, xs[len(xs)-1]+c.p(col.w))
	}
	sheet := image.Rect(0, top, W, H-c.p(34))
	c.in("spreadsheet", sheet)
	// Column letters, header row, row numbers.
	c.fill(image.Rect(0, top, W, top+rowH), head)
	c.fill(image.Rect(0, top, rowNumW, sheet.Max.Y), head)
	lf := c.face(regular, 11)
	for i := range xs {
		end := W
		if i+1 < len(xs) {
			end = xs[i+1]
		}
		if xs[i] < W {
			c.textCenter((xs[i]+min(end, W))/2, top+(rowH-lf.height())/2, lf, muted, txt(string(rune('A'+i))))
		}
	}
	y := top + rowH
	for row := 1; y+rowH <= sheet.Max.Y; row++ {
		if row > 1 {
			c.textRight(rowNumW-c.p(6), y+(rowH-lf.height())/2, lf, muted, txt(fmt.Sprint(row)))
		}
		ty := y + (rowH-f.height())/2
		cell := func(i int, fc *face, col color.RGBA, s seg) {
			if xs[i]+c.p(6) < W {
				c.text(xs[i]+c.p(6), ty, fc, col, s)
			}
		}
		if row == 1 {
			c.fill(image.Rect(rowNumW, y, W, y+rowH), hex(0xE8F0FE))
			for i, col := range cols {
				cell(i, hf, ink, txt(col.name))
			}
			y += rowH
			continue
		}
		// One row in three carries a planted combination or customer; the
		// rest are decoy companies and small numbers.
		kind := []string{KindCombo, KindDecoy, KindCustomer, KindDecoy, KindAmount, KindDecoy, KindCombo, KindCustomer, KindDecoy}[(row+v)%9]
		spend := txt("$" + commas(int64(r.between(8, 950))*1000))
		if r.chance(15) {
			spend = p.decoySmall()
		}
		var name seg
		switch kind {
		case KindCombo, KindCustomer:
			name = p.customer()
		default:
			name = p.decoyCompany()
		}
		if kind == KindCombo || kind == KindAmount {
			a := p.amount()
			for len(a.text) > 14 {
				a = p.amount()
			}
			spend = a
		}
		if kind == KindCombo {
			name.kind, spend.kind = "", ""
			name.part, spend.part = true, true
			cell(0, f, ink, name)
			nb := c.lastInk
			cell(4, f, ink, spend)
			sb := c.lastInk
			c.items = append(c.items, Item{Kind: KindCombo, Rule: "customer-spend", Text: name.text + " … " + spend.text,
				Box: nb.Union(sb), FontPx: f.px, Style: c.style})
		} else {
			cell(0, f, ink, name)
			cell(4, f, ink, spend)
		}
		cell(1, f, ink, txt(pick(r, regions)))
		cell(2, f, ink, txt(pick(r, people)))
		cell(3, f, ink, txt(pick(r, segments)))
		cell(5, f, ink, txt(commas(int64(r.between(5, 4800)))))
		cell(6, f, ink, txt(fmt.Sprintf("2027-%02d-%02d", r.between(1, 12), r.between(1, 28))))
		st := pick(r, statuses)
		stc := ink
		if st == "At risk" || st == "Churned" {
			stc = hex(0xC5221F)
		}
		cell(7, f, stc, txt(st))
		if r.chance(30) {
			cell(8, f, muted, txt(pick(r, chatFiller)))
		}
		y += rowH
	}
	for yy := top; yy <= y; yy += rowH {
		c.hline(0, W, yy, 1, grid)
	}
	for _, xx := range xs {
		c.vline(xx, top, y, 1, grid)
	}
	// Selected cell, as on a real screen.
	sel := image.Rect(xs[4], top+rowH*3, xs[5], top+rowH*4)
	c.border(sel, 2, hex(0x1A73E8))

	c.fill(image.Rect(0, H-c.p(34), W, H), hex(0xF1F3F4))
	c.in("app-chrome", image.Rect(0, H-c.p(34), W, H))
	tx := c.p(60)
	for i, tab := range []string{"Accounts", "Pipeline", "Renewals", "Notes"} {
		tf := c.face(regular, 13)
		col := muted
		if i == 0 {
			c.fill(image.Rect(tx-c.p(12), H-c.p(34), tx+tf.width(tab)+c.p(12), H), white)
			col = hex(0x188038)
		}
		tx = c.str(tx, H-c.p(26), tf, col, tab) + c.p(28)
	}
	c.textRight(W-c.p(20), H-c.p(26), c.face(regular, 13), muted, txt(fmt.Sprintf("Count: %d", r.between(40, 90))))
	// A dark chat toast over the light sheet: the case full-frame OCR misses.
	if v%2 == 0 {
		tw, m := c.p(float64(r.between(360, 440))), c.p(16)
		drawToast(c, p, image.Rect(W-tw-m, H-c.p(50), W-m, H-c.p(50)), false, v)
	}
}
