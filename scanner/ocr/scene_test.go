package ocr

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math/rand"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Scenes are drawn in the test with the Go fonts so that the expected text
// and its position are known exactly.

var (
	fontOnce  sync.Once
	fontsByID map[string]*opentype.Font
	faceMu    sync.Mutex
	faceCache = map[string]font.Face{}
)

func face(t testing.TB, name string, px float64) font.Face {
	t.Helper()
	fontOnce.Do(func() {
		fontsByID = map[string]*opentype.Font{}
		for n, ttf := range map[string][]byte{"regular": goregular.TTF, "bold": gobold.TTF, "mono": gomono.TTF} {
			f, err := opentype.Parse(ttf)
			if err != nil {
				panic(err)
			}
			fontsByID[n] = f
		}
	})
	faceMu.Lock()
	defer faceMu.Unlock()
	k := fmt.Sprintf("%s/%v", name, px)
	if f, ok := faceCache[k]; ok {
		return f
	}
	f, err := opentype.NewFace(fontsByID[name], &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		t.Fatalf("face %s %v: %v", name, px, err)
	}
	faceCache[k] = f
	return f
}

// canvasImg is an RGBA image being drawn, with the ink boxes of what was
// drawn remembered by text.
type scene struct {
	img   *image.RGBA
	drawn map[string]image.Rectangle
}

func newScene(w, h int, bg color.RGBA) *scene {
	s := &scene{img: image.NewRGBA(image.Rect(0, 0, w, h)), drawn: map[string]image.Rectangle{}}
	draw.Draw(s.img, s.img.Rect, &image.Uniform{bg}, image.Point{}, draw.Src)
	return s
}

func (s *scene) rect(r image.Rectangle, c color.RGBA) {
	draw.Draw(s.img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

// roundRect fills r with rounded corners of radius rad.
func (s *scene) roundRect(r image.Rectangle, rad int, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			dx, dy := 0, 0
			if x < r.Min.X+rad {
				dx = r.Min.X + rad - x
			} else if x >= r.Max.X-rad {
				dx = x - (r.Max.X - rad - 1)
			}
			if y < r.Min.Y+rad {
				dy = r.Min.Y + rad - y
			} else if y >= r.Max.Y-rad {
				dy = y - (r.Max.Y - rad - 1)
			}
			if dx*dx+dy*dy <= rad*rad {
				s.img.SetRGBA(x, y, c)
			}
		}
	}
}

// text draws str with its baseline's left end at (x, y) and records the
// bounding box of the glyphs under str (and under each of its words).
func (s *scene) text(t testing.TB, fontName string, px float64, x, y int, c color.RGBA, str string) image.Rectangle {
	t.Helper()
	f := face(t, fontName, px)
	d := &font.Drawer{Dst: s.img, Src: &image.Uniform{c}, Face: f, Dot: fixed.P(x, y)}
	var all image.Rectangle
	word, wordBox := "", image.Rectangle{}
	flush := func() {
		if word != "" {
			s.drawn[word] = wordBox
		}
		word, wordBox = "", image.Rectangle{}
	}
	for _, r := range str {
		if r == ' ' {
			flush()
			d.DrawString(" ")
			continue
		}
		b, _ := font.BoundString(f, string(r))
		gb := image.Rect(b.Min.X.Floor(), b.Min.Y.Floor(), b.Max.X.Ceil(), b.Max.Y.Ceil()).Add(image.Pt(d.Dot.X.Floor(), d.Dot.Y.Floor()))
		d.DrawString(string(r))
		word += string(r)
		wordBox = wordBox.Union(gb)
		all = all.Union(gb)
	}
	flush()
	s.drawn[str] = all
	return all
}

var (
	white     = color.RGBA{255, 255, 255, 255}
	slideBg   = color.RGBA{246, 246, 243, 255}
	black     = color.RGBA{20, 20, 20, 255}
	darkCard  = color.RGBA{38, 40, 46, 255}
	lightText = color.RGBA{236, 236, 240, 255}
	dimText   = color.RGBA{160, 164, 172, 255}
	blueBub   = color.RGBA{10, 132, 255, 255}
	greenBub  = color.RGBA{52, 168, 83, 255}
	greyBg    = color.RGBA{168, 168, 168, 255}
	greyText  = color.RGBA{98, 98, 98, 255}
	editorBg  = color.RGBA{30, 30, 30, 255}
)

// notificationSlide is a light slide with body text and a dark notification
// card (light text) in its top right corner: the case full-frame OCR misses.
func notificationSlide(t testing.TB) *scene {
	t.Helper()
	s := newScene(1920, 1080, slideBg)
	s.text(t, "bold", 48, 120, 160, black, "Quarterly Roadmap Review")
	s.text(t, "regular", 28, 120, 260, black, "Migration of billing services to the new cluster")
	s.text(t, "regular", 28, 120, 320, black, "Latency budget for search stays under 80 ms")
	s.text(t, "regular", 28, 120, 380, black, "Hiring plan for the platform team")
	card := image.Rect(1420, 40, 1880, 210)
	s.roundRect(card, 12, darkCard)
	s.text(t, "bold", 16, 1444, 80, lightText, "Slack")
	s.text(t, "regular", 13, 1800, 80, dimText, "now")
	s.text(t, "bold", 15, 1444, 118, lightText, "Dana Whitfield")
	s.text(t, "regular", 15, 1444, 146, lightText, "Globex renewal signed at $184,500")
	s.text(t, "regular", 15, 1444, 174, lightText, "password reset token qx7Tz9")
	return s
}

// chatBubbles draws white text on coloured bubbles over a white chat pane.
func chatBubbles(t testing.TB) *scene {
	t.Helper()
	s := newScene(900, 400, white)
	s.roundRect(image.Rect(40, 40, 520, 86), 16, blueBub)
	s.text(t, "regular", 16, 58, 69, white, "Invoice for Initech is ready")
	s.roundRect(image.Rect(300, 120, 860, 166), 16, greenBub)
	s.text(t, "regular", 16, 318, 149, white, "Wire 72,300 USD to Umbrella today")
	s.roundRect(image.Rect(40, 200, 470, 246), 16, color.RGBA{235, 235, 238, 255})
	s.text(t, "regular", 16, 58, 229, black, "Sounds good, thanks Morgan")
	return s
}

// greyOnGrey draws low-contrast text.
func greyOnGrey(t testing.TB) *scene {
	t.Helper()
	s := newScene(800, 240, white)
	s.rect(image.Rect(20, 20, 780, 220), greyBg)
	s.text(t, "regular", 18, 50, 80, greyText, "Confidential draft for Hooli board")
	s.text(t, "regular", 14, 50, 130, greyText, "Budget line 4417 approved by finance")
	return s
}

// smallText draws 11 px UI text, black on white and light on dark.
func smallText(t testing.TB) *scene {
	t.Helper()
	s := newScene(700, 200, white)
	s.text(t, "regular", 11, 20, 40, black, "Account owner Vandelay Industries renewal pending")
	s.text(t, "regular", 11, 20, 60, black, "Balance 12,480.00 due March")
	s.rect(image.Rect(0, 100, 700, 200), editorBg)
	s.text(t, "regular", 11, 20, 140, lightText, "Contact Soylent procurement for quote")
	return s
}

// denseSheet is a 1080p spreadsheet with 13 px rows and grid lines.
func denseSheet(t testing.TB) *scene {
	t.Helper()
	s := newScene(1920, 1080, white)
	rng := rand.New(rand.NewSource(7))
	names := []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Vandelay"}
	cols := []int{0, 60, 260, 420, 560, 720, 880, 1040, 1200, 1360, 1520, 1680, 1920}
	rowH := 17
	s.rect(image.Rect(0, 0, 1920, 40), color.RGBA{240, 240, 240, 255})
	for y := 40; y < 1080; y += rowH {
		s.rect(image.Rect(0, y, 1920, y+1), color.RGBA{212, 212, 212, 255})
	}
	for _, x := range cols[1:] {
		s.rect(image.Rect(x, 40, x+1, 1080), color.RGBA{212, 212, 212, 255})
	}
	row := 0
	for y := 40; y+rowH <= 1080; y += rowH {
		base := y + 13
		s.text(t, "regular", 12, 6, base, black, fmt.Sprint(row+1))
		s.text(t, "regular", 12, 66, base, black, fmt.Sprintf("%s %s", names[rng.Intn(len(names))], []string{"Corp", "Ltd", "GmbH", "Inc"}[rng.Intn(4)]))
		for c := 2; c+1 < len(cols); c++ {
			s.text(t, "regular", 12, cols[c]+6, base, black, fmt.Sprintf("$%d,%03d", rng.Intn(900)+1, rng.Intn(1000)))
		}
		row++
	}
	return s
}

// darkEditor is a dark-theme code editor with syntax colours.
func darkEditor(t testing.TB) *scene {
	t.Helper()
	s := newScene(1280, 720, editorBg)
	s.rect(image.Rect(0, 0, 220, 720), color.RGBA{37, 37, 38, 255})
	s.text(t, "regular", 13, 16, 40, color.RGBA{204, 204, 204, 255}, "config.yaml")
	lines := []struct {
		c color.RGBA
		s string
	}{
		{color.RGBA{106, 153, 85, 255}, "# production settings"},
		{color.RGBA{156, 220, 254, 255}, "database_url: postgres://admin@db.internal"},
		{color.RGBA{206, 145, 120, 255}, "api_key: AKIAIOSFODNN7EXAMPLE"},
		{color.RGBA{212, 212, 212, 255}, "customer: Wayne Enterprises"},
	}
	for i, l := range lines {
		s.text(t, "mono", 14, 260, 60+i*22, l.c, l.s)
	}
	return s
}

// hidpiScreen is a 2560×1440 screen with text drawn at twice the usual size
// and a notification card.
func hidpiScreen(t testing.TB) *scene {
	t.Helper()
	s := newScene(2560, 1440, white)
	s.text(t, "bold", 64, 160, 200, black, "Pipeline Forecast")
	s.text(t, "regular", 30, 160, 320, black, "Renewal with Massive Dynamic closes next week")
	s.text(t, "regular", 30, 160, 380, black, "Expected bookings 2.4M across the region")
	card := image.Rect(1880, 60, 2500, 280)
	s.roundRect(card, 20, darkCard)
	s.text(t, "bold", 26, 1916, 124, lightText, "Priya Raman")
	s.text(t, "regular", 26, 1916, 174, lightText, "Oscorp asked for the SECRET pricing")
	return s
}
