package corpus

import (
	"fmt"
	"image"
	"image/color"
)

// gridTheme is the look of a desktop spreadsheet's cell grid.
type gridTheme struct {
	name      string
	header    color.RGBA // row-number column and column-letter row
	headerSep color.RGBA // lines between header cells
	headerInk color.RGBA
	grid      color.RGBA // cell grid lines
	selFrame  color.RGBA // frame of the selected cell
	selFrameW float64
	selHeader color.RGBA // highlighted header cells of the selection
	selHdrInk color.RGBA
	fontPx    float64
	pad       float64 // text to cell border
	rowPad    float64 // row height beyond the font's height
}

var (
	// LibreOffice Calc (as rendered by make-calc-grid.sh): grid lines in the
	// header's grey, black header separators, a navy selection frame with
	// navy row and column headers.
	calcTheme = gridTheme{name: "calc", header: hex(0xC0C0C0), headerSep: hex(0x000000), headerInk: hex(0x000000),
		grid: hex(0xC0C0C0), selFrame: hex(0x000080), selFrameW: 3, selHeader: hex(0x000080), selHdrInk: white,
		fontPx: 13, pad: 2, rowPad: 1}
	// Gnumeric: light grey headers with grey separators, pale grid lines, a
	// black two-pixel selection frame and darker headers for the selection.
	gnumericTheme = gridTheme{name: "gnumeric", header: hex(0xEDEDED), headerSep: hex(0xA0A0A0), headerInk: hex(0x2E3436),
		grid: hex(0xD3D3D3), selFrame: hex(0x000000), selFrameW: 2, selHeader: hex(0xC6C6C6), selHdrInk: hex(0x000000),
		fontPx: 12, pad: 1, rowPad: 3}
)

// renderDesktopSheet draws a desktop spreadsheet (Calc on even variants,
// Gnumeric on odd ones): row numbers and column letters in grey headers,
// thin grid lines, columns sized to fit their longest text (as after
// "optimal width"), so the longest names touch the cell's right border and
// every name starts a pixel or two right of the row-number column. The
// selected cell, in column A on a planted customer, has a thick frame.
func renderDesktopSheet(c *canvas, p *planter, v int) {
	th := calcTheme
	if v%2 == 1 {
		th = gnumericTheme
	}
	r := p.rng
	W, H := c.W(), c.H()
	ink := hex(0x000000)
	c.fill(image.Rect(0, 0, W, H), white)
	// Window chrome: menu, toolbar, formula bar.
	top := c.p(96)
	c.in("app-chrome", image.Rect(0, 0, W, top))
	c.fill(image.Rect(0, 0, W, top), hex(0xEFEFEF))
	mf := c.face(regular, 13)
	x := c.p(8)
	for _, m := range []string{"File", "Edit", "View", "Insert", "Format", "Sheet", "Data", "Tools", "Window", "Help"} {
		x = c.str(x, c.p(5), mf, hex(0x202020), m) + c.p(14)
	}
	for i := range 24 {
		c.roundRect(image.Rect(c.p(8+float64(i)*28), c.p(28), c.p(30+float64(i)*28), c.p(50)), c.p(3), hex(0xCFCFCF))
	}
	c.fill(image.Rect(c.p(6), c.p(62), c.p(120), c.p(86)), white)
	c.border(image.Rect(c.p(6), c.p(62), c.p(120), c.p(86)), 1, hex(0xA0A0A0))
	f := c.face(regular, th.fontPx)
	rowH := f.height() + c.p(th.rowPad)

	// Sheet content first: column widths follow the content.
	type row struct {
		cells [6]seg
		combo bool
	}
	nrows := (H - top - c.p(40)) / rowH
	rows := make([]row, nrows)
	sel := 1 + r.intn(4) // selected row (1-based data row under the header)
	for i := range rows {
		kind := []string{KindCombo, KindDecoy, KindCustomer, KindDecoy, KindAmount, KindCustomer, KindDecoy, KindCombo}[(i+v)%8]
		if i == sel-1 {
			kind = KindCustomer
		}
		var name seg
		if kind == KindCombo || kind == KindCustomer {
			name = p.customer()
		} else {
			name = p.decoyCompany()
		}
		spend := txt("$" + commas(int64(r.between(2, 990))*100))
		if kind == KindCombo || kind == KindAmount {
			a := p.amount()
			for len(a.text) > 15 {
				a = p.amount()
			}
			spend = a
		} else if r.chance(20) {
			spend = p.decoySmall()
		}
		mail := txt("")
		if r.chance(25) {
			mail = p.email()
		}
		if kind == KindCombo {
			name.kind, spend.kind = "", ""
			name.part, spend.part = true, true
		}
		rows[i] = row{cells: [6]seg{name, txt(pick(r, regions)), spend, txt(pick(r, people)), txt(commas(int64(r.between(5, 4800)))), mail}, combo: kind == KindCombo}
	}
	rowNumW := c.p(36)
	xs := []int{rowNumW + 1}
	for col := range 6 {
		wmax := c.p(40)
		for _, rw := range rows {
			wmax = max(wmax, f.width(rw.cells[col].text))
		}
		xs = append(xs, xs[len(xs)-1]+wmax+c.p(2*th.pad)+1)
	}
	for xs[len(xs)-1] < W {
		xs = append(xs, xs[len(xs)-1]+c.p(90))
	}

	sheet := image.Rect(0, top, W, top+rowH*(nrows+1)+1)
	c.in("spreadsheet-desktop", sheet)
	hf := c.face(regular, 11)
	// Headers.
	c.fill(image.Rect(0, top, W, top+rowH), th.header)
	c.fill(image.Rect(0, top, rowNumW, sheet.Max.Y), th.header)
	selY := top + rowH*sel
	c.fill(image.Rect(0, selY, rowNumW, selY+rowH), th.selHeader)
	c.fill(image.Rect(xs[0], top, xs[1], top+rowH), th.selHeader)
	for i := 0; i+1 < len(xs) && xs[i] < W; i++ {
		col := th.headerInk
		if i == 0 {
			col = th.selHdrInk
		}
		c.textCenter((xs[i]+min(xs[i+1], W))/2, top+(rowH-hf.height())/2, hf, col, txt(string(rune('A'+i))))
		c.vline(xs[i+1]-1, top, top+rowH, 1, th.headerSep)
	}
	for i := 1; i <= nrows; i++ {
		col := th.headerInk
		if i == sel {
			col = th.selHdrInk
		}
		y := top + rowH*i
		c.textCenter(rowNumW/2, y+(rowH-hf.height())/2, hf, col, txt(fmt.Sprint(i)))
		c.hline(0, rowNumW, y-1, 1, th.headerSep)
	}
	c.hline(0, rowNumW, sheet.Max.Y-1, 1, th.headerSep)
	c.vline(rowNumW, top, sheet.Max.Y, 1, th.headerSep)
	c.hline(0, W, top+rowH-1, 1, th.headerSep)
	// Grid lines, then the text (which may touch them).
	for i := 2; i <= nrows+1; i++ {
		c.hline(rowNumW+1, W, top+rowH*i-1, 1, th.grid)
	}
	for _, xx := range xs[1:] {
		c.vline(xx-1, top+rowH, sheet.Max.Y, 1, th.grid)
	}
	for i, rw := range rows {
		y := top + rowH*(i+1)
		ty := y + (rowH-1-f.height())/2
		var boxes [6]image.Rectangle
		for col, s := range rw.cells {
			if s.text == "" {
				continue
			}
			tx := xs[col] + c.p(th.pad)
			if col == 4 { // numbers are right-aligned
				tx = xs[col+1] - 1 - c.p(th.pad) - f.width(s.text)
			}
			c.text(tx, ty, f, ink, s)
			lb := c.lastInk
			boxes[col] = image.Rect(lb.X, lb.Y, lb.X+lb.W, lb.Y+lb.H)
		}
		if rw.combo {
			b := boxes[0].Union(boxes[2])
			c.items = append(c.items, Item{Kind: KindCombo, Rule: "customer-spend", Text: rw.cells[0].text + " … " + rw.cells[2].text,
				Box: toBox(b), FontPx: f.px, Style: c.style})
		}
	}
	// The selected cell's frame, drawn over the cell's own grid lines
	// (inside the header borders, as both applications draw it) around
	// A<sel>.
	fw := max(1, c.p(th.selFrameW))
	c.border(image.Rect(xs[0], selY, xs[1]-1+fw-1, selY+rowH-1+fw-1), fw, th.selFrame)
	c.fill(image.Rect(xs[1]-1-fw, selY+rowH-2, xs[1]-1+fw+1, selY+rowH+fw+1), th.selFrame) // fill handle

	c.fill(image.Rect(0, H-c.p(30), W, H), hex(0xEFEFEF))
	c.in("app-chrome", image.Rect(0, H-c.p(30), W, H))
	c.str(c.p(10), H-c.p(24), c.face(regular, 12), hex(0x303030), fmt.Sprintf("Sheet 1 of 1    %s", th.name))
}
