package corpus

import (
	"image"
	"image/color"
)

// Notification is a chat notification card, the way messaging apps pop one
// up over whatever is being presented: a sender, a message with one planted
// item, on a dark or light theme. Items' boxes are relative to the card.
type Notification struct {
	Image *image.RGBA
	Items []Item
	Theme string // "dark" or "light"
}

type cardTheme struct {
	name           string
	bg, ink, muted color.RGBA
	accent         color.RGBA
}

var cardThemes = []cardTheme{
	{"dark", hex(0x24262E), hex(0xF0F0F0), hex(0xA8ABB3), hex(0x4A8CF7)},
	{"light", hex(0xFFFFFF), hex(0x1D1C1D), hex(0x616061), hex(0x0B63C5)},
	{"dark", hex(0x1E1F22), hex(0xE8E8EA), hex(0x9A9CA3), hex(0x2BAC76)},
	{"light", hex(0xF4F5F7), hex(0x202124), hex(0x5F6368), hex(0xCD2553)},
	{"dark", hex(0x3F0E40), hex(0xFFFFFF), hex(0xCFC3CF), hex(0xE8912D)},
}

// notificationKinds are the items a card carries in turn: ones the default
// rules flag on their own.
var notificationKinds = []string{KindClassification, KindAmount, KindCustomer, KindCredential, KindEmail}

// NewNotification draws card i of a sequence for seed: every i gives new
// text, theme and size.
func NewNotification(seed int64, i int) Notification {
	p := newPlanter(seed*7919 + int64(i)) // a new item of each kind every card
	p.rng = newRNG(seed, 1000+int64(i))
	r := p.rng
	th := cardThemes[i%len(cardThemes)]
	scale := []float64{1, 1.25, 1.5}[r.intn(3)]
	kind := notificationKinds[i%len(notificationKinds)]
	var msg []seg
	if kind == KindCredential {
		cr := p.shortCredential(48)
		cr.f = getFace(mono, int(13*scale))
		msg = []seg{txt(pick(r, []string{"token: ", "key: "})), cr}
	} else {
		msg = p.planted(kind, chatTemplates)
	}
	bf := getFace(regular, int(15*scale))
	nf := getFace(bold, int(14*scale))
	sender := pick(r, people)
	maxW := int(420 * scale)
	lines := wrapSegs(bf, maxW, msg)
	w := nf.width(sender)
	for _, l := range lines {
		w = max(w, segsWidth(bf, l))
	}
	pad := int(14 * scale)
	lh := bf.height() + int(5*scale)
	avatar := int(36 * scale)
	W := pad + avatar + pad + w + pad
	H := pad + nf.height() + int(6*scale) + len(lines)*lh + pad
	H = max(H, 2*pad+avatar)
	c := newCanvas(W, H, scale, th.bg)
	c.border(image.Rect(0, 0, W, H), 1, th.muted)
	c.circle(pad+avatar/2, pad+avatar/2, avatar/2, th.accent)
	c.in("notification", image.Rect(0, 0, W, H))
	x := pad + avatar + pad
	c.str(x, pad, nf, th.ink, sender)
	y := pad + nf.height() + int(6*scale)
	for _, l := range lines {
		c.text(x, y, bf, th.ink, l...)
		y += lh
	}
	return Notification{Image: c.img, Items: c.items, Theme: th.name}
}
