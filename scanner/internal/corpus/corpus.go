// Package corpus renders a deterministic set of synthetic screens with
// planted sensitive items and decoys, for end-to-end accuracy tests and
// benchmarks of the OCR pipeline. Screens imitate what is hard on real
// screens (small text, dark notification cards over light slides, dense
// tables, low contrast, white text on coloured bubbles, HiDPI) while staying
// readable by a person: no text under 10 px, contrast of at least 3:1.
//
// The committed copy lives in testdata/corpus; regenerate it with
//
//	go test ./scanner/internal/corpus -run TestCorpusGolden -update
package corpus

import (
	"fmt"
	"image"
	"slices"

	"github.com/demoguard/demoguard/rules"
)

// DefaultSeed is the seed of the committed corpus.
const DefaultSeed = 1

// Item kinds.
const (
	KindCustomer       = "customer"
	KindAmount         = "amount"
	KindClassification = "classification"
	KindCredential     = "credential"
	KindEmail          = "email"
	KindCombo          = "combo"
	KindDecoy          = "decoy"
)

// Item is one planted piece of text. Rule is the rule id that must flag it,
// "" for a decoy that no rule may flag. Box is the ink box of the drawn text.
// A combo's box spans a whole table row section (customer cell to amount
// cell); the customers and large-amount rules legitimately fire inside it.
type Item struct {
	Kind   string    `json:"kind"`
	Rule   string    `json:"rule"`
	Text   string    `json:"text"`
	Box    rules.Box `json:"box"`
	FontPx int       `json:"font_px"`
	Style  string    `json:"style"`
}

// Screen is one rendered screen. Style names the layout (slides, spreadsheet,
// ...); items carry the style of the panel they sit in. Scale is the HiDPI
// factor the screen was laid out with (2 means text twice the usual size).
type Screen struct {
	Name   string      `json:"name"`
	Style  string      `json:"style"`
	W      int         `json:"w"`
	H      int         `json:"h"`
	Scale  float64     `json:"scale"`
	Items  []Item      `json:"items"`
	Image  *image.RGBA `json:"-"`
	lines  []drawnLine
	region []region
}

// File is the PNG file name of the screen inside the corpus directory.
func (s Screen) File() string { return s.Name + ".png" }

// Manifest is the JSON written next to the PNGs.
type Manifest struct {
	Seed    int64    `json:"seed"`
	Screens []Screen `json:"screens"`
}

type resolution struct {
	w, h  int
	scale float64
}

// Each layout cycles through these so that every style is seen at every
// common size; 2560×1440 appears both at 2× (HiDPI laptop) and 1.5×.
var resolutions = []resolution{
	{1920, 1080, 1}, {1366, 768, 1}, {2560, 1440, 2}, {1440, 900, 1},
	{1920, 1080, 1}, {1600, 900, 1}, {2560, 1440, 1.5}, {1920, 1200, 1},
}

type layout struct {
	name   string
	render func(c *canvas, p *planter, variant int)
}

var layouts = []layout{
	{"slides-light", renderSlideLight},
	{"slides-dark", renderSlideDark},
	{"spreadsheet", renderSpreadsheet},
	{"code-editor", renderEditor},
	{"document", renderDocument},
	{"dashboard", renderDashboard},
	{"chat", renderChat},
	{"admin-console", renderConsole},
}

// perLayout screens of each layout: 8 layouts × 7 = 56 screens.
const perLayout = 7

// extraLayouts come after the first 56 screens, so that adding one leaves
// those pixel for pixel as they were: desktop spreadsheets with row and
// column headers (LibreOffice Calc on even variants, Gnumeric on odd).
var extraLayouts = []struct {
	layout
	res []resolution
}{
	{layout{"spreadsheet-desktop", renderDesktopSheet}, []resolution{{1920, 1080, 1}, {1920, 1080, 1}, {1366, 768, 1}, {1600, 900, 1}, {2560, 1440, 2}, {1440, 900, 1}}},
}

// Generate renders the corpus for seed. The same seed always gives the same
// screens, pixel for pixel on one platform.
func Generate(seed int64) []Screen {
	p := newPlanter(seed)
	var out []Screen
	n := 0
	// Each screen draws from its own random stream (its number), so a
	// screen added at the end changes none before it.
	render := func(l layout, res resolution, v int) Screen {
		p.rng = newRNG(seed, int64(n))
		c := newCanvas(res.w, res.h, res.scale, white)
		l.render(c, p, v)
		name := fmt.Sprintf("%02d-%s-%dx%d", n, l.name, res.w, res.h)
		if res.scale != 1 {
			name += fmt.Sprintf("@%gx", res.scale)
		}
		n++
		return Screen{Name: name, Style: l.name, W: res.w, H: res.h, Scale: res.scale,
			Items: slices.Clone(c.items), Image: c.img, lines: c.lines, region: c.regions}
	}
	for v := range perLayout {
		for li, l := range layouts {
			out = append(out, render(l, resolutions[(li+v)%len(resolutions)], v))
		}
	}
	for _, l := range extraLayouts {
		for v, res := range l.res {
			out = append(out, render(l.layout, res, v))
		}
	}
	return out
}
