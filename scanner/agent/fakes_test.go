package agent

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"sync"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/internal/geom"
)

// A test scene is a white screen with items drawn as filled rectangles whose
// colour encodes the item's word, so the fake recognizer reads words from
// pixels (like OCR does) and not from test state.
var (
	wordsMu sync.Mutex
	words   = map[uint8]string{}
	nextID  uint8
)

func wordColor(w string) color.RGBA {
	wordsMu.Lock()
	defer wordsMu.Unlock()
	for id, s := range words {
		if s == w {
			return color.RGBA{id, 0, 0, 255}
		}
	}
	nextID++
	words[nextID] = w
	return color.RGBA{nextID, 0, 0, 255}
}

func blank(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	return img
}

func clone(img *image.RGBA) *image.RGBA {
	c := image.NewRGBA(img.Rect)
	copy(c.Pix, img.Pix)
	return c
}

// put draws word at r, textured like glyphs (a solid block would look like
// background to the blank-row/column tests).
func put(img *image.RGBA, r image.Rectangle, word string) {
	ink(img, r, wordColor(word), color.RGBA{255, 255, 255, 255})
}

// ink fills r with c, every third pixel diagonally left as bg.
func ink(img *image.RGBA, r image.Rectangle, c, bg color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if (x+y)%3 == 0 {
				img.SetRGBA(x, y, bg)
			} else {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

func erase(img *image.RGBA, r image.Rectangle) {
	draw.Draw(img, r, image.NewUniform(color.White), image.Point{}, draw.Src)
}

// fakeRecognizer reads the words whose colour appears in each rect.
type fakeRecognizer struct {
	mu    sync.Mutex
	calls [][]image.Rectangle
	conf  float64
	fn    func(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error)
}

func (f *fakeRecognizer) RecognizeRegions(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error) {
	f.mu.Lock()
	f.calls = append(f.calls, append([]image.Rectangle(nil), rects...))
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(ctx, img, rects)
	}
	conf := f.conf
	if conf == 0 {
		conf = 0.9
	}
	rgba := img.(*image.RGBA)
	var out []rules.Line
	for _, r := range rects {
		found := map[uint8]image.Rectangle{}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := rgba.RGBAAt(x, y)
				if c.G == 0 && c.B == 0 && c.R != 0 && c.R != 255 {
					found[c.R] = found[c.R].Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		for id, b := range found {
			wordsMu.Lock()
			w := words[id]
			wordsMu.Unlock()
			box := geom.Box(b)
			out = append(out, rules.Line{Box: box, Words: []rules.Word{{Text: w, Box: box, Conf: conf}}})
		}
	}
	return out, nil
}

func (f *fakeRecognizer) nCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// fakeMatcher flags words in terms (rule = the word lowercased).
type fakeMatcher struct{ terms map[string]string }

func (m *fakeMatcher) Match(lines []rules.Line) []rules.Finding {
	var fs []rules.Finding
	for i, l := range lines {
		for _, w := range l.Words {
			if rule, ok := m.terms[w.Text]; ok {
				fs = append(fs, rules.Finding{Rule: rule, Severity: rules.High, Text: w.Text, Box: w.Box, Confidence: w.Conf, Line: i})
			}
		}
	}
	return fs
}

// fakeCapturer returns whatever the test set as the current screen.
type fakeCapturer struct {
	mu       sync.Mutex
	displays []Display
	screens  map[int]*image.RGBA
	onCap    func(Display)
	fail     func() error // when set and returning an error, captures fail with it
}

func (f *fakeCapturer) failure() error {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail == nil {
		return nil
	}
	return fail()
}

func (f *fakeCapturer) Displays() ([]Display, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Display(nil), f.displays...), nil
}

func (f *fakeCapturer) Capture(d Display) (*image.RGBA, error) {
	if err := f.failure(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	img := clone(f.screens[d.Index])
	cb := f.onCap
	f.mu.Unlock()
	if cb != nil {
		cb(d)
	}
	return img, nil
}

// CaptureInto reuses dst like the X11 capturer does, so the agent's buffer
// recycling is exercised by every agent test.
func (f *fakeCapturer) CaptureInto(d Display, dst *image.RGBA) (*image.RGBA, error) {
	if err := f.failure(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	src := f.screens[d.Index]
	if dst == nil || dst.Rect != src.Rect {
		dst = image.NewRGBA(src.Rect)
	}
	copy(dst.Pix, src.Pix)
	cb := f.onCap
	f.mu.Unlock()
	if cb != nil {
		cb(d)
	}
	return dst, nil
}

func (f *fakeCapturer) set(i int, img *image.RGBA) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.screens[i] = clone(img)
}

// recordSink keeps events.
type recordSink struct {
	mu  sync.Mutex
	evs []event.Event
}

func (r *recordSink) Emit(e event.Event) { r.mu.Lock(); r.evs = append(r.evs, e); r.mu.Unlock() }
func (r *recordSink) Close() error       { return nil }

func (r *recordSink) kinds() []event.Kind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var k []event.Kind
	for _, e := range r.evs {
		k = append(k, e.Event)
	}
	return k
}

func (r *recordSink) last() event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.evs[len(r.evs)-1]
}

// clock is a manual clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
