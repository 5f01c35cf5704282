package corpus

import (
	"image"
	"image/draw"
	"math"

	"github.com/demoguard/demoguard/rules"
)

// Recording is a synthetic screen recording for the video accuracy test and
// benchmark (scanner/video): slides with planted items and decoys, chat
// notifications shown for 0.5–4 s at varied places, and one scroll through
// a long document. Frame(n) renders frame n; Truth says when and where each
// planted item is fully on screen. The same seed gives the same frames.
type Recording struct {
	W, H, FPS int
	Frames    int
	Truth     []Exposure

	scenes []scene
	cards  []card
}

// Exposure is a planted item on screen during frames [First, End). Boxes
// holds its box for every frame of the span (it moves during the scroll).
// Rule "" marks a decoy that no rule may flag.
type Exposure struct {
	Kind, Rule, Text string
	First, End       int
	Boxes            []rules.Box
}

type scene struct {
	first, end int
	img        *image.RGBA // a slide; nil for the scroll
	items      []Item
	// scroll: a tall page shown from offset off(n)
	page             *image.RGBA
	from, to         int // scroll offsets
	moveFirst, moveN int // frames of the scroll movement
}

type card struct {
	first, end int
	at         image.Point
	img        *image.RGBA
	items      []Item // boxes relative to the card
}

// RecordingOptions shape a recording.
type RecordingOptions struct {
	W, H, FPS int
	// Slides and SlideSeconds: how many slides, each shown this long.
	Slides       int
	SlideSeconds float64
	// Notifications per minute of slides; their durations cycle through
	// 0.5–4 s.
	PerMinute float64
	// Scroll adds the document scroll after the slides.
	Scroll bool
}

// DenseRecording is the accuracy test's recording: a change every few
// seconds, many notifications, one scroll.
func DenseRecording(seed int64) *Recording {
	return NewRecording(seed, RecordingOptions{W: 1280, H: 720, FPS: 30, Slides: 6, SlideSeconds: 5, PerMinute: 24, Scroll: true})
}

// TalkRecording is talk-like: a slide change every 30 s, two notifications
// a minute.
func TalkRecording(seed int64, minutes int) *Recording {
	return NewRecording(seed, RecordingOptions{W: 1280, H: 720, FPS: 30, Slides: 2 * minutes, SlideSeconds: 30, PerMinute: 2})
}

var cardSeconds = []float64{0.5, 2, 0.7, 4, 1, 3, 1.5, 0.6, 2.5, 0.8}

// NewRecording lays out a recording.
func NewRecording(seed int64, o RecordingOptions) *Recording {
	p := newPlanter(seed)
	p.rng = newRNG(seed, 1000)
	rec := &Recording{W: o.W, H: o.H, FPS: o.FPS}
	sec := func(s float64) int { return int(math.Round(s * float64(o.FPS))) }
	n := 0
	kinds := []string{KindCustomer, KindAmount, KindClassification, KindEmail, KindCustomer, KindAmount}
	for i := range o.Slides {
		c := newCanvas(o.W, o.H, 1, hex(0xF7F7F2))
		c.style = "slides-light"
		c.fill(image.Rect(0, 0, o.W, 80), hex(0x1F3A5F))
		c.str(48, 22, c.face(bold, 32), white, pick(p.rng, []string{"Quarterly review", "Platform update", "Roadmap", "Customer stories", "Operations"}))
		f := c.face(regular, 26)
		y := 130
		for b := range 5 {
			var segs []seg
			switch {
			case b == (i % 5):
				segs = p.planted(KindDecoy, bulletTemplates)
			case (b+i)%2 == 0:
				segs = p.planted(kinds[(i+b)%len(kinds)], bulletTemplates)
			default:
				segs = []seg{txt(pick(p.rng, []string{"Latency down by a third since spring", "Two new regions in the autumn", "Support hours extended for partners", "Migration tooling is ready", "Weekly release train continues"}))}
			}
			c.text(48, y, f, hex(0x222222), append([]seg{txt("• ")}, segs...)...)
			y += 62
		}
		rec.scenes = append(rec.scenes, scene{first: n, end: n + sec(o.SlideSeconds), img: c.img, items: c.items})
		n += sec(o.SlideSeconds)
	}
	if o.Scroll {
		// A long document scrolled from top to bottom in 2 s after 1 s,
		// held 2 s at the end.
		c := newCanvas(o.W, 2*o.H, 1, white)
		c.style = "document"
		f := c.face(regular, 22)
		y := 40
		for l := 0; y < 2*o.H-60; l++ {
			var segs []seg
			if l%3 == 1 {
				segs = docSentence(p, kinds[l%len(kinds)])
			} else {
				segs = []seg{txt(pick(p.rng, []string{"The rollout follows the plan agreed in the spring review.", "Each team owns its service and its runbook.", "Results are collected weekly and shared in the digest.", "Capacity planning is revisited every quarter."}))}
			}
			c.text(80, y, f, hex(0x202124), segs...)
			y += 48
		}
		s := scene{first: n, end: n + sec(5), page: c.img, items: c.items, from: 0, to: o.H, moveFirst: n + sec(1), moveN: sec(2)}
		rec.scenes = append(rec.scenes, s)
		n += sec(5)
	}
	rec.Frames = n
	// Notifications over the slides, one at a time, at varied places on the
	// right and along the bottom (slides keep their text top left).
	slideFrames := sec(float64(o.Slides) * o.SlideSeconds)
	count := int(float64(o.Slides) * o.SlideSeconds / 60 * o.PerMinute)
	places := []image.Point{{o.W - 440, 100}, {o.W - 440, o.H - 190}, {40, o.H - 170}, {o.W - 440, 300}, {440, o.H - 170}, {o.W - 440, 480}}
	kindsN := []string{KindCustomer, KindAmount, KindCredential, KindEmail, KindClassification, KindDecoy}
	for i := range count {
		dur := sec(cardSeconds[i%len(cardSeconds)])
		slot := slideFrames / max(count, 1)
		first := i*slot + sec(0.4) + (i*7)%max(1, slot-dur-sec(0.8))
		if first+dur > slideFrames {
			continue
		}
		rec.cards = append(rec.cards, makeCard(p, places[i%len(places)], kindsN[i%len(kindsN)], first, first+dur))
	}
	rec.truth()
	return rec
}

// makeCard renders a dark notification card with one planted item.
func makeCard(p *planter, at image.Point, kind string, first, end int) card {
	c := newCanvas(400, 120, 1, hex(0x1A1D21))
	c.style = "notification-light-on-dark"
	c.str(16, 12, c.face(bold, 18), hex(0xF8F8F8), pick(p.rng, people))
	var segs []seg
	if kind == KindCredential {
		cr := p.shortCredential(30)
		cr.f = c.face(mono, 18)
		segs = []seg{cr}
	} else {
		segs = p.planted(kind, chatTemplates)
	}
	// Wrap to the card: long template sentences go on two lines.
	mf := c.face(regular, 19)
	lines := wrapSegs(mf, 370, segs)
	y := 46
	for _, l := range lines[:min(2, len(lines))] {
		c.text(16, y, mf, hex(0xD1D2D3), l...)
		y += 30
	}
	return card{first: first, end: end, at: at, img: c.img, items: c.items}
}

// Frame renders frame n.
func (r *Recording) Frame(n int) *image.RGBA {
	return r.FrameInto(n, image.NewRGBA(image.Rect(0, 0, r.W, r.H)))
}

// FrameInto renders frame n into img (W×H): rendering a whole recording
// then allocates nothing per frame.
func (r *Recording) FrameInto(n int, img *image.RGBA) *image.RGBA {
	for _, s := range r.scenes {
		if n < s.first || n >= s.end {
			continue
		}
		if s.img != nil {
			copy(img.Pix, s.img.Pix)
		} else {
			off := s.offset(n)
			draw.Draw(img, img.Rect, s.page, image.Pt(0, off), draw.Src)
		}
	}
	for _, c := range r.cards {
		if n >= c.first && n < c.end {
			draw.Draw(img, c.img.Rect.Add(c.at), c.img, image.Point{}, draw.Src)
		}
	}
	return img
}

func (s scene) offset(n int) int {
	switch {
	case n < s.moveFirst:
		return s.from
	case n >= s.moveFirst+s.moveN:
		return s.to
	}
	return s.from + (s.to-s.from)*(n-s.moveFirst)/s.moveN
}

// truth lists every item's exposure: while fully on screen and not covered
// by a card.
func (r *Recording) truth() {
	type key struct {
		scene, item int
		card        bool
	}
	open := map[key]*Exposure{}
	for n := 0; n < r.Frames; n++ {
		var cover []rules.Box
		for _, c := range r.cards {
			if n >= c.first && n < c.end {
				cover = append(cover, toBox(c.img.Rect.Add(c.at).Inset(-2)))
			}
		}
		visible := map[key]rules.Box{}
		for si, s := range r.scenes {
			if n < s.first || n >= s.end {
				continue
			}
			off := 0
			if s.page != nil {
				off = s.offset(n)
			}
			for ii, it := range s.items {
				b := it.Box
				b.Y -= off
				if b.Y < 0 || b.Y+b.H > r.H {
					continue
				}
				hidden := false
				for _, cv := range cover {
					hidden = hidden || overlapsRect(cv, b)
				}
				if !hidden {
					visible[key{si, ii, false}] = b
				}
			}
		}
		for ci, c := range r.cards {
			if n >= c.first && n < c.end {
				for ii, it := range c.items {
					b := it.Box
					b.X += c.at.X
					b.Y += c.at.Y
					visible[key{ci, ii, true}] = b
				}
			}
		}
		for k, e := range open {
			if _, ok := visible[k]; !ok {
				e.End = n
				r.Truth = append(r.Truth, *e)
				delete(open, k)
			}
		}
		for k, b := range visible {
			e := open[k]
			if e == nil {
				var it Item
				if k.card {
					it = r.cards[k.scene].items[k.item]
				} else {
					it = r.scenes[k.scene].items[k.item]
				}
				e = &Exposure{Kind: it.Kind, Rule: it.Rule, Text: it.Text, First: n}
				open[k] = e
			}
			e.Boxes = append(e.Boxes, b)
		}
	}
	for _, e := range open {
		e.End = r.Frames
		r.Truth = append(r.Truth, *e)
	}
}
