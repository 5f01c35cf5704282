package ocr

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/demoguard/demoguard/rules"
)

// Workers re-execute the test binary: it must become a worker before the
// testing package parses flags or runs anything.
func TestMain(m *testing.M) {
	MaybeRunWorker()
	flag.Parse()
	os.Exit(m.Run())
}

var (
	sharedOnce sync.Once
	sharedEng  *Engine
	sharedErr  error
)

// engine returns an Engine shared by the read-only tests (starting one costs
// a process start and a model load per worker).
func engine(t testing.TB) *Engine {
	t.Helper()
	sharedOnce.Do(func() { sharedEng, sharedErr = New(Options{}) })
	if sharedErr != nil {
		t.Fatalf("New: %v", sharedErr)
	}
	return sharedEng
}

func lineText(l rules.Line) string {
	ws := make([]string, len(l.Words))
	for i, w := range l.Words {
		ws[i] = w.Text
	}
	return strings.Join(ws, " ")
}

func dump(lines []rules.Line) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "\n  block %d %v %q", l.Block, l.Box, lineText(l))
	}
	return b.String()
}

// findWord returns the first word with exactly this text.
func findWord(lines []rules.Line, text string) (rules.Word, rules.Line, bool) {
	for _, l := range lines {
		for _, w := range l.Words {
			if w.Text == text {
				return w, l, true
			}
		}
	}
	return rules.Word{}, rules.Line{}, false
}

// assertWordAt checks that word was read and that its box lies where the
// scene drew it (in source pixel coordinates).
func assertWordAt(t *testing.T, s *scene, lines []rules.Line, word string) {
	t.Helper()
	w, _, ok := findWord(lines, word)
	if !ok {
		t.Errorf("word %q not read; got:%s", word, dump(lines))
		return
	}
	want, ok := s.drawn[word]
	if !ok {
		t.Fatalf("test bug: %q was not drawn as a word", word)
	}
	tol := max(5, want.Dy()/4)
	got := image.Rect(w.Box.X, w.Box.Y, w.Box.X+w.Box.W, w.Box.Y+w.Box.H)
	if abs(got.Min.X-want.Min.X) > tol || abs(got.Min.Y-want.Min.Y) > tol ||
		abs(got.Max.X-want.Max.X) > tol || abs(got.Max.Y-want.Max.Y) > tol {
		t.Errorf("word %q at %v, drawn at %v (tolerance %d px)", word, got, want, tol)
	}
	if w.Conf <= 0 || w.Conf > 1 {
		t.Errorf("word %q confidence %v outside (0,1]", word, w.Conf)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestRecognizeScenes(t *testing.T) {
	e := engine(t)
	tests := []struct {
		name  string
		scene func(testing.TB) *scene
		words []string
	}{
		{"dark card on light slide", notificationSlide,
			[]string{"Globex", "$184,500", "qx7Tz9", "Whitfield", "Quarterly", "cluster"}},
		{"white text on coloured bubbles", chatBubbles,
			[]string{"Initech", "Umbrella", "72,300", "Morgan"}},
		{"grey on grey", greyOnGrey, []string{"Hooli", "Confidential", "4417", "finance"}},
		{"11 px text", smallText, []string{"Vandelay", "12,480.00", "Soylent", "procurement"}},
		{"dark editor", darkEditor, []string{"customer:", "Wayne", "Enterprises", "production"}},
		{"hidpi 2560x1440", hidpiScreen, []string{"Oscorp", "SECRET", "Massive", "Forecast", "2.4M"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.scene(t)
			lines, err := e.Recognize(context.Background(), s.img)
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			for _, w := range tc.words {
				assertWordAt(t, s, lines, w)
			}
			for _, l := range lines {
				for _, w := range l.Words {
					if strings.TrimSpace(w.Text) == "" {
						t.Errorf("empty word in line %q", lineText(l))
					}
				}
			}
		})
	}
}

// The card and the slide are different panels: their lines must not share
// a block, and block numbers must be unique per layout block.
func TestBlocksSeparatePanels(t *testing.T) {
	s := notificationSlide(t)
	lines, err := engine(t).Recognize(context.Background(), s.img)
	if err != nil {
		t.Fatal(err)
	}
	_, card, ok1 := findWord(lines, "Globex")
	_, slide, ok2 := findWord(lines, "billing")
	if !ok1 || !ok2 {
		t.Fatalf("card or slide text missing:%s", dump(lines))
	}
	if card.Block == slide.Block {
		t.Errorf("card line %q and slide line %q share block %d", lineText(card), lineText(slide), card.Block)
	}
	for _, l := range lines {
		if l.Box.Empty() || l.Block <= 0 {
			t.Errorf("line %q has box %v block %d", lineText(l), l.Box, l.Block)
		}
	}
}

func TestRecognizeRegions(t *testing.T) {
	s := notificationSlide(t)
	card := image.Rect(1420, 40, 1880, 210)
	rects := []image.Rectangle{
		card,
		s.drawn["Latency budget for search stays under 80 ms"].Inset(-6),
		image.Rect(1900, 1000, 2100, 1200), // partly outside: clipped, blank
		{},                                 // empty: ignored
	}
	// Many small line regions, as the live agent sends them: batched.
	for _, line := range []string{"Quarterly Roadmap Review", "Hiring plan for the platform team"} {
		rects = append(rects, s.drawn[line].Inset(-4))
	}
	lines, err := engine(t).RecognizeRegions(context.Background(), s.img, rects)
	if err != nil {
		t.Fatalf("RecognizeRegions: %v", err)
	}
	for _, w := range []string{"Globex", "$184,500", "Latency", "Roadmap", "platform"} {
		assertWordAt(t, s, lines, w)
	}
	if _, _, ok := findWord(lines, "billing"); ok {
		t.Errorf("read text outside the requested regions:%s", dump(lines))
	}
}

// An offset image (a SubImage) reports boxes in its own coordinate space.
func TestRecognizeSubImage(t *testing.T) {
	s := notificationSlide(t)
	sub := s.img.SubImage(image.Rect(1400, 30, 1900, 220))
	lines, err := engine(t).Recognize(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	assertWordAt(t, s, lines, "Globex")
}

func TestRecognizeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := engine(t).Recognize(ctx, notificationSlide(t).img)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestMissingLanguage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, lang, dataPath string
		wantFile, wantPkg    string
	}{
		{"unknown language in system dir", "zzz", "", "zzz.traineddata", "tesseract-ocr-zzz"},
		{"second language missing", "eng+zzz", "", "zzz.traineddata", "tesseract-ocr-zzz"},
		{"underscore becomes hyphen", "chi_zzz", "", "chi_zzz.traineddata", "tesseract-ocr-chi-zzz"},
		{"explicit data path", "eng", dir, filepath.Join(dir, "eng.traineddata"), "tesseract-ocr-eng"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(Options{Lang: tc.lang, DataPath: tc.dataPath})
			if err == nil {
				e.Close()
				t.Fatal("New succeeded")
			}
			if !errors.Is(err, ErrMissingLanguage) {
				t.Fatalf("err = %v, want ErrMissingLanguage", err)
			}
			for _, want := range []string{tc.wantFile, tc.wantPkg, "brew"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestNewInsideWorkerRefuses(t *testing.T) {
	t.Setenv(envWorker, "1")
	if _, err := New(Options{}); !errors.Is(err, ErrNoWorkerHook) {
		t.Fatalf("err = %v, want ErrNoWorkerHook", err)
	}
}

// cardScene is the notification card alone, the live agent's typical region.
func cardScene(t testing.TB) (*scene, image.Rectangle) {
	t.Helper()
	s := notificationSlide(t)
	return s, image.Rect(1420, 40, 1880, 210)
}

func TestWorkerRecycling(t *testing.T) {
	e, err := New(Options{Workers: 1, RecycleAfter: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s, card := cardScene(t)
	for i := range 10 {
		lines, err := e.RecognizeRegions(context.Background(), s.img, []image.Rectangle{card})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if _, _, ok := findWord(lines, "Globex"); !ok {
			t.Fatalf("call %d: Globex not read:%s", i, dump(lines))
		}
	}
	e.pool.mu.Lock()
	pids := append([]int(nil), e.pool.pids...)
	e.pool.mu.Unlock()
	// 10 calls, 3 per worker: at least 4 distinct processes.
	seen := map[int]bool{}
	for _, p := range pids {
		seen[p] = true
	}
	if len(seen) < 4 {
		t.Errorf("worker PIDs %v: want at least 4 distinct after 10 calls with RecycleAfter 3", pids)
	}
}

func TestWorkerCrashIsRetried(t *testing.T) {
	e, err := New(Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s, card := cardScene(t)
	if _, err := e.RecognizeRegions(context.Background(), s.img, []image.Rectangle{card}); err != nil {
		t.Fatal(err)
	}
	before := e.WorkerPIDs()
	if len(before) != 1 {
		t.Fatalf("live workers %v, want 1", before)
	}
	proc, err := os.FindProcess(before[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	lines, err := e.RecognizeRegions(context.Background(), s.img, []image.Rectangle{card})
	if err != nil {
		t.Fatalf("call after crash: %v", err)
	}
	if _, _, ok := findWord(lines, "Globex"); !ok {
		t.Fatalf("Globex not read after crash:%s", dump(lines))
	}
	after := e.WorkerPIDs()
	if len(after) != 1 || after[0] == before[0] {
		t.Errorf("workers before %v after %v: want a new process", before, after)
	}
}

func TestCloseTwiceAndAfterClose(t *testing.T) {
	e, err := New(Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	pids := e.WorkerPIDs()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := e.Recognize(context.Background(), notificationSlide(t).img); !errors.Is(err, ErrClosed) {
		t.Errorf("Recognize after Close: %v, want ErrClosed", err)
	}
	for _, p := range pids {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", p)); err == nil {
			if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); !strings.Contains(string(st), ") Z") {
				t.Errorf("worker %d still running after Close", p)
			}
		}
	}
}

func TestMergeOverlapping(t *testing.T) {
	b := image.Rect(0, 0, 100, 100)
	tests := []struct {
		name string
		in   []image.Rectangle
		want []image.Rectangle
	}{
		{"disjoint kept", []image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(20, 20, 30, 30)},
			[]image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(20, 20, 30, 30)}},
		{"overlap merged", []image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(5, 5, 30, 30)},
			[]image.Rectangle{image.Rect(0, 0, 30, 30)}},
		{"chain merged", []image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(40, 0, 60, 10), image.Rect(8, 0, 45, 10)},
			[]image.Rectangle{image.Rect(0, 0, 60, 10)}},
		{"clipped and slivers dropped", []image.Rectangle{image.Rect(90, 90, 200, 200), image.Rect(0, 0, 2, 50), {}},
			[]image.Rectangle{image.Rect(90, 90, 100, 100)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mergeOverlapping(tc.in, b)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScaleFor(t *testing.T) {
	tests := []struct {
		glyph  int
		lo, hi float64
	}{
		{4, maxUpscale, maxUpscale}, // tiny text: capped
		{8, 1.9, 2.1},               // ~12 px UI text doubled
		{targetGlyph, 1, 1},
		{targetGlyph * 3 / 2, 1, 1},
		{48, 0.35, 0.5},   // big titles reduced towards the target
		{120, 0.34, 0.34}, // huge HiDPI titles: capped
	}
	for _, tc := range tests {
		if s := scaleFor(tc.glyph); s < tc.lo || s > tc.hi {
			t.Errorf("scaleFor(%d) = %v, want in [%v, %v]", tc.glyph, s, tc.lo, tc.hi)
		}
	}
}

// Segmentation normalises polarity: light text on a dark card and dark text
// on a light slide both come out dark on white.
func TestSegmentNormalisesPolarity(t *testing.T) {
	s := notificationSlide(t)
	seg := segment(newFrame(s.img, s.img.Rect))
	inkAt := func(r image.Rectangle) (minV, bgV uint8) {
		minV = 255
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				minV = min(minV, seg.ink[y*seg.w+x])
			}
		}
		return minV, seg.ink[(r.Min.Y-6)*seg.w+r.Min.X-6]
	}
	for _, word := range []string{"Globex", "billing"} {
		r := s.drawn[word]
		ink, bg := inkAt(r)
		if ink > 60 || bg < 240 {
			t.Errorf("%s: darkest ink %d (want ≤ 60), background %d (want ≥ 240)", word, ink, bg)
		}
	}
	card, slide := seg.unit[60*seg.w+1500], seg.unit[600*seg.w+600]
	if card == slide {
		t.Errorf("card and slide in the same unit %d", card)
	}
}

// TestWorkerEnvironmentHasNoSecrets: a worker process is started without
// the agent's tokens and secrets (read from /proc, so Linux only).
func TestWorkerEnvironmentHasNoSecrets(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/PID/environ")
	}
	t.Setenv("DEMOGUARD_TOKEN", "page-token-1")
	t.Setenv("DEMOGUARD_WEBHOOK_SECRET", "webhook-secret-1")
	t.Setenv("DEMOGUARD_OBS_PASSWORD", "obs-password-1")
	e, err := New(Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	pids := e.WorkerPIDs()
	if len(pids) != 1 {
		t.Fatalf("workers %v, want 1", pids)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pids[0]))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(string(b), "\x00")
	for _, kv := range env {
		if strings.HasPrefix(kv, "DEMOGUARD_TOKEN=") || strings.HasPrefix(kv, "DEMOGUARD_WEBHOOK_SECRET=") || strings.HasPrefix(kv, "DEMOGUARD_OBS_PASSWORD=") {
			t.Errorf("worker environment has %s", kv)
		}
	}
	if !slices.Contains(env, "OMP_THREAD_LIMIT=1") {
		t.Errorf("worker environment lacks OMP_THREAD_LIMIT=1")
	}
}
