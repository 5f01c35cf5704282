package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner"
	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/corpus"
	"github.com/demoguard/demoguard/scanner/feed"
	"github.com/demoguard/demoguard/scanner/output"
	"github.com/demoguard/demoguard/scanner/xdamage"
)

var (
	cardsN  = flag.Int("cards", 20, "notification cards to draw")
	resJSON = flag.String("feed-out", "", "write the figures as JSON to this file")
)

// recorder passes frames to the output and notes when each was written.
type recorder struct {
	output.Output
	mu     sync.Mutex
	writes map[int64]time.Time // slot → wall time of the write
	fps    int
}

func (r *recorder) Write(img *image.RGBA, pts time.Duration) bool {
	slot := int64((pts + time.Second/time.Duration(2*r.fps)) * time.Duration(r.fps) / time.Second)
	r.mu.Lock()
	if _, ok := r.writes[slot]; !ok {
		r.writes[slot] = time.Now()
	}
	r.mu.Unlock()
	return r.Output.Write(img, pts)
}

type captureAdapter struct{ c *capture.X11 }

func (a captureAdapter) CaptureInto(d scanner.Display, dst *image.RGBA) (*image.RGBA, error) {
	return a.c.CaptureInto(capture.Display{Index: d.Index, Bounds: d.Bounds}, dst)
}

func (a captureAdapter) Displays() ([]scanner.Display, error) {
	ds, err := a.c.Displays()
	out := make([]scanner.Display, len(ds))
	for i, d := range ds {
		out[i] = scanner.Display{Index: d.Index, Bounds: d.Bounds}
	}
	return out, err
}

func (a captureAdapter) Capture(d scanner.Display) (*image.RGBA, error) {
	return a.c.Capture(capture.Display{Index: d.Index, Bounds: d.Bounds})
}

type nullSink struct{}

func (nullSink) Emit(scanner.Event) {}
func (nullSink) Close() error       { return nil }

// rig is a real watch with a feed into a file: Xvfb, DAMAGE, OCR workers,
// the default rules, ffmpeg.
type rig struct {
	t     *testing.T
	disp  string
	agent *scanner.Agent
	feed  *feed.Feed
	rec   *recorder
	out   output.Output
	path  string
	start time.Time
	stop  func()
	fps   int
	delay time.Duration
}

func startRig(t *testing.T, screen *image.RGBA, delay time.Duration) *rig {
	t.Helper()
	disp := xtest.StartXvfb(t, fmt.Sprintf("%dx%dx24", screen.Rect.Dx(), screen.Rect.Dy()))
	if err := xtest.SetRootImage(disp, screen); err != nil {
		t.Fatal(err)
	}
	cp, err := capture.OpenWith(capture.Options{Display: disp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Close() })
	dw, err := xdamage.Open(disp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dw.Close() })
	eng := newEngine2(t)
	rs, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, disp: disp, fps: 30, delay: delay}
	r.path = filepath.Join(t.TempDir(), "feed.mkv")
	tgt, err := output.ParseTarget(r.path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.out, err = output.Open(ctx, tgt, output.Options{Width: screen.Rect.Dx(), Height: screen.Rect.Dy(), FPS: r.fps})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r.rec = &recorder{Output: r.out, writes: map[int64]time.Time{}, fps: r.fps}
	r.start = time.Now()
	r.feed = feed.New(feed.Config{Delay: delay, FPS: r.fps, Out: r.rec, Checking: output.CheckingFrame, Start: r.start})
	r.agent = scanner.New(scanner.Config{
		Capturer: captureAdapter{cp}, Recognizer: eng, Sink: nullSink{}, Display: -1,
		Rules:   func() scanner.Matcher { return rs },
		Changes: dw, MinConf: 0.5, Workers: 2, MaxCPU: 1.5,
		Interval: time.Second / time.Duration(r.fps),
		Feed:     r.feed, FeedDisplay: 0,
	})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.agent.Run(ctx) }()
	go func() { defer wg.Done(); r.feed.Run(ctx) }()
	r.stop = sync.OnceFunc(func() {
		cancel()
		wg.Wait()
		if err := r.out.Close(); err != nil {
			t.Errorf("output: %v", err)
		}
	})
	t.Cleanup(r.stop)
	// The first complete read of the dense screen.
	deadline := time.Now().Add(3 * time.Minute)
	for r.feed.Stats().Checking || r.agent.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("screen not read after 3 minutes: %+v %+v", r.agent.Stats(), r.feed.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return r
}

func newEngine2(t *testing.T) scanner.Recognizer { return newEngineN(t, 2) }

// decode streams the file's frames (RGBA) to fn with their index.
func decode(t *testing.T, path string, w, h int, fn func(k int, img *image.RGBA)) int {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(stdout, 1<<20)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	k := 0
	for {
		if _, err := io.ReadFull(br, img.Pix); err != nil {
			break
		}
		fn(k, img)
		k++
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return k
}

// meanDiff is the mean absolute difference per channel between a's area r
// and b's area r shifted by d (b's coordinates = r.Min − d), sampling every
// step-th pixel.
func meanDiff(a *image.RGBA, r image.Rectangle, b *image.RGBA, d image.Point, step int) float64 {
	r = r.Intersect(a.Rect)
	var sum, n int
	for y := r.Min.Y; y < r.Max.Y; y += step {
		for x := r.Min.X; x < r.Max.X; x += step {
			ao := a.PixOffset(x, y)
			bo := b.PixOffset(x-d.X, y-d.Y)
			for c := 0; c < 3; c++ {
				v := int(a.Pix[ao+c]) - int(b.Pix[bo+c])
				if v < 0 {
					v = -v
				}
				sum += v
			}
			n += 3
		}
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

type shownCard struct {
	n           corpus.Notification
	at          image.Point
	rect        image.Rectangle
	drawn, gone time.Time
	firstShown  int // frame index, -1 none
	baseAgain   int
}

// Encoding noise: the mean difference of an area that shows the same
// pixels stays well under these (H.264, yuv420p, measured ~1–4).
const (
	sameTol = 9.0
)

// TestFeedNeverShowsPlantedItems is the zero-exposure test: notification
// cards with planted items appear over a dense screen, each at a new
// place with new text and theme; the feed goes to a file through ffmpeg,
// and every decoded frame is checked.
func TestFeedNeverShowsPlantedItems(t *testing.T) {
	base := denseScreen(t)
	r := startRig(t, base, feed.DefaultDelay)
	eng := newEngine(t)
	rs, _ := rules.Default()
	var cards []*shownCard
	for i := range *cardsN {
		n := corpus.NewNotification(11, i)
		w, h := n.Image.Rect.Dx(), n.Image.Rect.Dy()
		// New places: a walk over the screen, away from the edges.
		x := 40 + (i*397)%(base.Rect.Dx()-w-80)
		y := 40 + (i*263)%(base.Rect.Dy()-h-80)
		c := &shownCard{n: n, at: image.Pt(x, y), rect: image.Rect(x, y, x+w, y+h), firstShown: -1, baseAgain: -1}
		c.drawn = time.Now()
		win, err := xtest.ShowImage(r.disp, n.Image, x, y)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		c.gone = time.Now()
		win.Close()
		time.Sleep(1200 * time.Millisecond)
		cards = append(cards, c)
	}
	time.Sleep(r.delay + 200*time.Millisecond)
	fst := r.feed.Stats()
	ast := r.agent.Stats()
	r.stop()

	w, h := base.Rect.Dx(), base.Rect.Dy()
	slot := time.Second / time.Duration(r.fps)
	var leaked, unchangedBad, framesChecked int
	var worstUnchanged float64
	leakedFrames := map[int]bool{}
	decode(t, r.path, w, h, func(k int, img *image.RGBA) {
		framesChecked++
		capt := r.start.Add(time.Duration(k) * slot) // capture time of what frame k shows
		var onScreen []image.Rectangle
		for i, c := range cards {
			if capt.Before(c.drawn.Add(-200*time.Millisecond)) || capt.After(c.gone.Add(1200*time.Millisecond)) {
				continue
			}
			onScreen = append(onScreen, c.rect.Inset(-60))
			// Where the card is shown (not the base), are its items
			// covered? Compare the card's pixels outside the items.
			showsBase := meanDiff(img, c.rect, base, image.Point{}, 2) < sameTol
			for _, it := range c.n.Items {
				ib := itemRect(it).Add(c.at)
				d := meanDiff(img, ib, c.n.Image, c.at, 1)
				if d < sameTol {
					leaked++
					leakedFrames[k] = true
					t.Errorf("frame %d (t=%v): card %d's %s item shown (pixel diff %.1f)", k, time.Duration(k)*slot, i, it.Kind, d)
				}
				if !showsBase {
					lines, err := eng.RecognizeRegions(context.Background(), img, []image.Rectangle{ib.Inset(-12).Intersect(img.Rect)})
					if err != nil {
						t.Fatal(err)
					}
					if ok, why := legible(rs, lines, it, ib); ok {
						leaked++
						leakedFrames[k] = true
						t.Errorf("frame %d: card %d's %s item legible to OCR (%s)", k, i, it.Kind, why)
					}
				}
			}
			// The card as drawn, items aside: shown covered?
			if c.firstShown < 0 && !showsBase && cardShown(img, c) {
				c.firstShown = k
			}
			if c.firstShown >= 0 && c.baseAgain < 0 && capt.After(c.gone) && showsBase {
				c.baseAgain = k
			}
		}
		// Everything away from the cards is the screen, within noise.
		if !r.start.Add(time.Duration(k) * slot).Before(r.start) {
			d := meanOutside(img, base, onScreen)
			worstUnchanged = max(worstUnchanged, d)
			if d > sameTol {
				unchangedBad++
				if unchangedBad < 5 {
					t.Errorf("frame %d: the area away from cards differs from the screen (%.1f)", k, d)
				}
			}
		}
	})
	var lat []float64
	for i, c := range cards {
		if c.firstShown < 0 {
			t.Errorf("card %d (%s theme) never shown covered in the feed", i, c.n.Theme)
			continue
		}
		r.rec.mu.Lock()
		wt, ok := r.rec.writes[int64(c.firstShown)]
		r.rec.mu.Unlock()
		if ok {
			l := wt.Sub(c.drawn)
			lat = append(lat, float64(l.Milliseconds()))
			if l > time.Second {
				t.Errorf("card %d: covered card in the feed %v after it was drawn (> 1 s)", i, l)
			}
		}
		if c.baseAgain < 0 {
			t.Errorf("card %d: its region did not return to the screen after the card closed", i)
		} else if back := r.start.Add(time.Duration(c.baseAgain) * slot).Sub(c.gone); back > time.Second {
			t.Errorf("card %d: back to the screen %v after it closed", i, back)
		}
	}
	slices.Sort(lat)
	res := map[string]any{
		"cards": len(cards), "frames_checked": framesChecked, "frames_leaked": len(leakedFrames), "items_leaked": leaked,
		"frames_held": fst.HeldFrames, "frames_written": fst.Written, "frames_lost": fst.Lost,
		"card_to_covered_p50_ms": pctl(lat, 50), "card_to_covered_p95_ms": pctl(lat, 95), "card_to_covered_max_ms": pctl(lat, 100),
		"delay_ms": r.delay.Milliseconds(), "worst_unchanged_diff": worstUnchanged,
		"agent_frames": ast.Frames, "agent_changed_frames": ast.ChangedFrames,
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("feed results:\n%s", b)
	if *resJSON != "" {
		os.WriteFile(*resJSON, b, 0o644)
	}
	if framesChecked < int(time.Duration(*cardsN)*2700*time.Millisecond/slot)*8/10 {
		t.Errorf("only %d frames in the file", framesChecked)
	}
}

// cardShown reports whether frame img shows card c with the items
// covered: outside the item boxes, the card's pixels.
func cardShown(img *image.RGBA, c *shownCard) bool {
	var sum, n float64
	items := make([]image.Rectangle, len(c.n.Items))
	for i, it := range c.n.Items {
		items[i] = itemRect(it).Add(c.at).Inset(-8)
	}
	for y := c.rect.Min.Y; y < c.rect.Max.Y; y += 2 {
	px:
		for x := c.rect.Min.X; x < c.rect.Max.X; x += 2 {
			p := image.Pt(x, y)
			for _, ib := range items {
				if p.In(ib) {
					continue px
				}
			}
			a := img.PixOffset(x, y)
			b := c.n.Image.PixOffset(x-c.at.X, y-c.at.Y)
			for ch := 0; ch < 3; ch++ {
				sum += math.Abs(float64(img.Pix[a+ch]) - float64(c.n.Image.Pix[b+ch]))
				n++
			}
		}
	}
	return n > 0 && sum/n < sameTol
}

// meanOutside is the mean difference between img and base outside the
// given areas, on a coarse grid.
func meanOutside(img, base *image.RGBA, skip []image.Rectangle) float64 {
	var sum, n float64
	for y := 0; y < img.Rect.Dy(); y += 3 {
	px:
		for x := 0; x < img.Rect.Dx(); x += 3 {
			p := image.Pt(x, y)
			for _, s := range skip {
				if p.In(s) {
					continue px
				}
			}
			a, b := img.PixOffset(x, y), base.PixOffset(x, y)
			for ch := 0; ch < 3; ch++ {
				sum += math.Abs(float64(img.Pix[a+ch]) - float64(base.Pix[b+ch]))
				n++
			}
		}
	}
	return sum / max(n, 1)
}

func pctl(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}

// denseScreen is the corpus's 1080p spreadsheet: small dense text everywhere.
func denseScreen(t testing.TB) *image.RGBA {
	for _, s := range corpus.Generate(1) {
		if s.Style == "spreadsheet" && s.W == 1920 && s.H == 1080 {
			return s.Image
		}
	}
	t.Fatal("no 1920x1080 spreadsheet in the corpus")
	return nil
}
