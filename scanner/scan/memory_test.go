package scan

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
)

func TestTiles(t *testing.T) {
	for _, sz := range []image.Point{
		{1920, 1080}, {3840, 2160}, {5120, 2880}, // read whole
		{10000, 10000}, {9000, 9000}, {4000, 25000}, // bands
		{100000, 1000}, {30000, 3000}, {10300, 2000}, {10001, 10000}, {1024, 97656}, // columns too
	} {
		t.Run(fmt.Sprint(sz), func(t *testing.T) {
			b := image.Rectangle{Min: image.Pt(7, 3)}
			b.Max = b.Min.Add(sz)
			ts := tiles(b)
			if int64(sz.X)*int64(sz.Y) <= bandPixels {
				if ts != nil {
					t.Fatalf("%v: %d tiles; want it read whole", sz, len(ts))
				}
				return
			}
			var area int64
			for i, ti := range ts {
				if !ti.own.In(ti.read) || !ti.read.In(b) {
					t.Errorf("tile %d: own %v read %v bounds %v", i, ti.own, ti.read, b)
				}
				if a := int64(ti.read.Dx()) * int64(ti.read.Dy()); a > maxAnalysed {
					t.Errorf("tile %d reads %d pixels at once; the bound is %d", i, a, maxAnalysed)
				}
				for _, o := range ts[:i] {
					if o.own.Overlaps(ti.own) {
						t.Errorf("tiles own %v and %v overlap", o.own, ti.own)
					}
				}
				area += int64(ti.own.Dx()) * int64(ti.own.Dy())
			}
			if area != int64(sz.X)*int64(sz.Y) {
				t.Errorf("tiles own %d pixels of %d", area, int64(sz.X)*int64(sz.Y))
			}
			if w := pageWeight(sz.X, sz.Y); w > int64(sz.X)*int64(sz.Y)+3*maxAnalysed {
				t.Errorf("weight %d over pixels + 3*maxAnalysed", w)
			}
		})
	}
}

// boundsImage is an image of a size without pixels: tiling only needs
// bounds and sub-images.
type boundsImage struct{ r image.Rectangle }

func (b boundsImage) ColorModel() color.Model                { return color.RGBAModel }
func (b boundsImage) Bounds() image.Rectangle                { return b.r }
func (b boundsImage) At(x, y int) color.Color                { return color.White }
func (b boundsImage) SubImage(r image.Rectangle) image.Image { return boundsImage{r.Intersect(b.r)} }

// plantedOCR "reads" the planted lines in the part of the page it is
// given: words wholly inside come back as they are, words cut by the edge
// as garbage (as real OCR reads half a word), lines cut top or bottom too.
func plantedOCR(planted []rules.Line) fakeRecognizer {
	return fakeRecognizer{recognize: func(_ context.Context, img image.Image) ([]rules.Line, error) {
		r := img.Bounds()
		in := func(b rules.Box) image.Rectangle { return image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H) }
		var out []rules.Line
		for bi, l := range planted {
			var got rules.Line
			for _, w := range l.Words {
				wr := in(w.Box)
				switch {
				case wr.In(r):
					got.Words = append(got.Words, w)
				case wr.Overlaps(r):
					cut := w
					cut.Text = "~cut~"
					c := wr.Intersect(r)
					cut.Box = rules.Box{X: c.Min.X, Y: c.Min.Y, W: c.Dx(), H: c.Dy()}
					got.Words = append(got.Words, cut)
				}
			}
			if len(got.Words) > 0 {
				got.Block = bi + 1
				out = append(out, got)
			}
		}
		return out, nil
	}}
}

// TestRecognizeInTiles: a page read in tiles gives every line once, whole,
// in page coordinates, whether a line sits on a band edge or crosses a
// column edge.
func TestRecognizeInTiles(t *testing.T) {
	page := image.Rect(0, 0, 30000, 6000) // 3 columns, several bands
	ts := tiles(page)
	if len(ts) < 6 {
		t.Fatalf("%d tiles; the test wants bands and columns", len(ts))
	}
	var planted []rules.Line
	add := func(x, y, h int, words ...string) {
		var l rules.Line
		for _, w := range words {
			b := rules.Box{X: x, Y: y, W: 20 * len(w), H: h}
			l.Words = append(l.Words, rules.Word{Text: w, Box: b, Conf: 0.9})
			l.Box = l.Box.Union(b)
			x += b.W + h/2
		}
		planted = append(planted, l)
	}
	add(100, 100, 30, "plain", "line")
	edgeY := ts[0].own.Max.Y
	add(500, edgeY-15, 30, "on", "the", "band", "edge")            // centre on the edge
	add(500, edgeY-200, 300, "tall", "title")                      // 300 px tall across the edge
	add(9800, 1500, 30, "Walmart", "renewal", "$580.4", "million") // across the first column edge
	add(19900, edgeY-10, 24, "corner", "of", "four", "tiles")
	add(29000, 5900, 30, "bottom", "right")

	s := newTestScanner(t, Options{Recognizer: plantedOCR(planted), Matcher: wordMatcher()})
	got, err := s.recognize(context.Background(), boundsImage{page})
	if err != nil {
		t.Fatal(err)
	}
	text := func(ls []rules.Line) []string {
		var out []string
		for _, l := range ls {
			var ws []string
			for _, w := range l.Words {
				ws = append(ws, fmt.Sprintf("%s@%d,%d", w.Text, w.Box.X, w.Box.Y))
			}
			out = append(out, fmt.Sprint(ws))
		}
		slices.Sort(out)
		return out
	}
	if g, w := text(got), text(planted); !slices.Equal(g, w) {
		t.Errorf("lines read in tiles:\n%q\nwant\n%q", g, w)
	}
	blocks := map[int]bool{}
	for _, l := range got {
		if blocks[l.Block] {
			t.Errorf("block %d used by two lines of different tiles' blocks", l.Block)
		}
		blocks[l.Block] = true
	}
}

// TestPixelBudget: the weight in flight never exceeds the budget, a page
// heavier than the budget runs alone, and everything finishes.
func TestPixelBudget(t *testing.T) {
	b := newPixelBudget(100)
	var inFlight, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		n := int64(rand.IntN(60) + 1)
		if i%10 == 0 {
			n = 250 // clamped to the budget: alone
		}
		wg.Go(func() {
			held, err := b.acquire(context.Background(), n)
			if err != nil {
				t.Error(err)
				return
			}
			cur := inFlight.Add(min(n, 100))
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inFlight.Add(-min(n, 100))
			b.release(held)
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 100 {
		t.Errorf("peak weight in flight %d; budget 100", p)
	}
	// A waiter cancelled while waiting gives nothing back it did not hold.
	held, _ := b.acquire(context.Background(), 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := b.acquire(ctx, 10); done <- err }()
	time.Sleep(5 * time.Millisecond)
	cancel()
	if err := <-done; err == nil {
		t.Error("acquire on a full budget returned without error after cancel")
	}
	b.release(held)
	if b.used != 0 || len(b.waiters) != 0 {
		t.Errorf("budget used %d waiters %d after all released", b.used, len(b.waiters))
	}
}

func TestForOCR(t *testing.T) {
	// Opaque NRGBA: the same pixels, as RGBA, colours kept.
	n := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range n.Pix {
		n.Pix[i] = byte(i * 9)
		if i%4 == 3 {
			n.Pix[i] = 255
		}
	}
	want := slices.Clone(n.Pix)
	got, ok := forOCR(n).(*image.RGBA)
	if !ok || &got.Pix[0] != &n.Pix[0] || got.Rect != n.Rect {
		t.Fatalf("forOCR(NRGBA) = %T; want an RGBA on the same pixels", forOCR(n))
	}
	if !slices.Equal(got.Pix, want) {
		t.Errorf("opaque pixels changed: %v; want %v", got.Pix, want)
	}

	// Text on a transparent background whose stored colour is black, as
	// encoders leave it: dark text gets a white background, light text a
	// black one, so OCR sees the text either way.
	transparentText := func(ink uint8) *image.NRGBA {
		m := image.NewNRGBA(image.Rect(0, 0, 10, 10)) // all (0,0,0,0)
		for x := 2; x < 8; x++ {
			m.SetNRGBA(x, 5, color.NRGBA{ink, ink, ink, 255})
		}
		m.SetNRGBA(1, 1, color.NRGBA{0, 0, 0, 128}) // half transparent
		return m
	}
	tests := []struct {
		name     string
		ink, bg  uint8
		halfGrey uint8
	}{
		{"dark text", 0, 255, 127},
		{"light text", 255, 0, 0},
	}
	for _, tc := range tests {
		m := forOCR(transparentText(tc.ink)).(*image.RGBA)
		if c := m.RGBAAt(5, 5); c != (color.RGBA{tc.ink, tc.ink, tc.ink, 255}) {
			t.Errorf("%s: text pixel %v", tc.name, c)
		}
		if c := m.RGBAAt(0, 0); c != (color.RGBA{tc.bg, tc.bg, tc.bg, 255}) {
			t.Errorf("%s: background %v; want %d", tc.name, c, tc.bg)
		}
		if c := m.RGBAAt(1, 1); c.R != tc.halfGrey || c.A != 255 {
			t.Errorf("%s: half-transparent black on the background %v; want %d", tc.name, c, tc.halfGrey)
		}
	}

	// A GIF's transparent index: the palette entry is flattened, in a copy.
	pal := color.Palette{color.RGBA{}, color.Black}
	p := image.NewPaletted(image.Rect(0, 0, 4, 4), pal)
	p.SetColorIndex(1, 1, 1)
	if forOCR(p) != image.Image(p) {
		t.Error("a paletted image was converted; it is cheaper as it is")
	}
	if c := color.RGBAModel.Convert(p.At(0, 0)).(color.RGBA); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("transparent GIF background %v; want white under black text", c)
	}
	if pal[0] != (color.RGBA{}) {
		t.Error("the decoder's palette was changed in place")
	}

	g := image.NewGray(image.Rect(0, 0, 2, 2))
	if forOCR(g) != image.Image(g) {
		t.Error("a grey image was converted; it is cheaper as it is")
	}
}

// TestGIFFirstFrameOnly: a GIF is its first frame, which may be smaller than
// the logical screen; the frames after it are not even read (a corrupt
// second frame does not matter).
func TestGIFFirstFrameOnly(t *testing.T) {
	pal := color.Palette{color.White, color.Black}
	g := &gif.GIF{
		Image:  []*image.Paletted{image.NewPaletted(image.Rect(10, 20, 60, 50), pal), image.NewPaletted(image.Rect(0, 0, 100, 80), pal)},
		Delay:  []int{0, 0},
		Config: image.Config{Width: 100, Height: 80, ColorModel: pal},
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	// Corrupt the second frame's image data (its descriptor is the last
	// 0x2C; the LZW data after it is garbage now).
	last := bytes.LastIndexByte(data, 0x2c)
	for i := last + 12; i < len(data)-2; i++ {
		data[i] = 0xff
	}
	img, err := decodeLimited(bytes.NewReader(data), DefaultMaxPixels)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if img.Bounds() != image.Rect(10, 20, 60, 50) {
		t.Errorf("bounds %v; want the first frame's", img.Bounds())
	}
	if _, err := gif.DecodeAll(bytes.NewReader(data)); err == nil {
		t.Error("the corrupted second frame decodes: the test proves nothing")
	}
}

// TestPageWeights holds the figures the README gives: a 100 MP page weighs
// about 148 M and runs alone in the default budget, a 4K screen 33 M, and
// the evidence copy adds the page's pixels once more.
func TestPageWeights(t *testing.T) {
	tests := []struct {
		w, h     int
		lo, hi   int64
		evidence bool
	}{
		{10000, 10000, 148_000_000, 149_000_000, false},
		{3840, 2160, 33_000_000, 33_500_000, false},
		{3840, 2160, 41_000_000, 42_000_000, true},
		{100000, 1000, 100_000_000, 100_000_000 + 3*maxAnalysed, false},
	}
	for _, tc := range tests {
		opt := Options{Recognizer: sizeOCR(nil), Matcher: wordMatcher()}
		if tc.evidence {
			opt.EvidenceDir = t.TempDir()
		}
		s := newTestScanner(t, opt)
		src := &source{kind: kindPDF, sizes: []PageSize{{W: float64(tc.w) * 72 / DefaultPDFDPI, H: float64(tc.h) * 72 / DefaultPDFDPI}}}
		if w := s.pageWeightOf(src, 0); w < tc.lo || w > tc.hi {
			t.Errorf("%dx%d (evidence %v): weight %d; want %d..%d", tc.w, tc.h, tc.evidence, w, tc.lo, tc.hi)
		}
	}
	if w := pageWeight(10000, 10000); 2*w <= DefaultMaxInFlightPixels {
		t.Errorf("two 100 MP pages (%d each) fit the default budget together", w)
	}
}
