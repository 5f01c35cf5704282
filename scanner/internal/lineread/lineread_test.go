package lineread

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/linecache"
)

// page draws n dark text-like bars (lines) of h px, gap px apart, on white.
func page(w, ht, n, h, gap int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, ht))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	for i := range n {
		y := 20 + i*(h+gap)
		// Glyph-like shapes (a stem and a lower bowl: no column of a line is
		// one colour from top to bottom) with small gaps: one piece.
		for x := 20; x < 20+9*(12+i); x += 9 { // lines differ: distinct keys
			draw.Draw(img, image.Rect(x, y, x+3, y+h), image.NewUniform(color.Black), image.Point{}, draw.Src)
			draw.Draw(img, image.Rect(x+3, y+h/2, x+6, y+h), image.NewUniform(color.Black), image.Point{}, draw.Src)
		}
	}
	return img
}

// fakeOCR returns one line per rectangle asked, covering it minus the
// margin, and records the calls.
type fakeOCR struct {
	calls [][]image.Rectangle
	err   error
}

func (f *fakeOCR) RecognizeRegions(_ context.Context, _ image.Image, rects []image.Rectangle) ([]rules.Line, error) {
	f.calls = append(f.calls, rects)
	if f.err != nil {
		return nil, f.err
	}
	var out []rules.Line
	for _, r := range rects {
		in := r.Inset(Margin)
		b := rules.Box{X: in.Min.X, Y: in.Min.Y, W: in.Dx(), H: in.Dy()}
		out = append(out, rules.Line{Box: b, Block: 99, Words: []rules.Word{{Text: "x", Box: b, Conf: 0.9}}})
	}
	return out, nil
}

func TestPlanCutsRuns(t *testing.T) {
	img := page(1600, 1200, 6, 12, 20)
	tests := []struct {
		name     string
		known    func(Piece) bool
		wantRuns []int // pieces per run
	}{
		{"nothing known: one run", nil, []int{6}},
		{"a known piece splits the run", func(p Piece) bool { return p.Rect.Min.Y > 80 && p.Rect.Min.Y < 110 }, []int{2, 3}},
		{"all known: nothing to read", func(Piece) bool { return true }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jobs := Plan(img, img.Rect, tc.known)
			var got []int
			for _, j := range jobs {
				got = append(got, len(j.Pieces))
				var u image.Rectangle
				for _, p := range j.Pieces {
					u = u.Union(p.Rect)
					if p.Key != Key(img, p.Rect) {
						t.Errorf("piece %v: key is not the pixels' key", p.Rect)
					}
				}
				if want := u.Inset(-Margin).Intersect(img.Rect); j.Rect != want {
					t.Errorf("run rect %v, want the pieces' union with the margin %v", j.Rect, want)
				}
			}
			if len(got) != len(tc.wantRuns) {
				t.Fatalf("runs of %v pieces, want %v", got, tc.wantRuns)
			}
			for i := range got {
				if got[i] != tc.wantRuns[i] {
					t.Fatalf("runs of %v pieces, want %v", got, tc.wantRuns)
				}
			}
		})
	}
}

func TestPlanBoundsRunArea(t *testing.T) {
	// 30 lines on a small page: no run may cover more than 1/RunShare of it
	// (bar a single piece, which is never split).
	img := page(300, 1200, 30, 12, 20)
	jobs := Plan(img, img.Rect, nil)
	if len(jobs) < 2 {
		t.Fatalf("%d runs; a dense page must be read in several", len(jobs))
	}
	limit := img.Rect.Dx() * img.Rect.Dy() / RunShare
	n := 0
	for _, j := range jobs {
		var u image.Rectangle
		for _, p := range j.Pieces {
			u = u.Union(p.Rect)
		}
		if len(j.Pieces) > 1 && u.Dx()*u.Dy() > limit {
			t.Errorf("run %v covers %d px, over %d", u, u.Dx()*u.Dy(), limit)
		}
		n += len(j.Pieces)
	}
	if n != 30 {
		t.Errorf("%d pieces in runs, want 30", n)
	}
}

func TestBatches(t *testing.T) {
	frame := image.NewRGBA(image.Rect(0, 0, 800, 600)) // blank: no run is likelier; a batch holds 60,000 px
	job := func(w, h int) Job { return Job{Rect: image.Rect(0, 0, w, h)} }
	tests := []struct {
		name string
		jobs []Job
		want []int // jobs per batch
	}{
		{"small jobs share a batch", []Job{job(100, 100), job(100, 100), job(100, 100)}, []int{3}},
		{"area bound; a later small job joins an earlier batch", []Job{job(200, 200), job(200, 200), job(10, 10)}, []int{2, 1}},
		{"an oversized job goes alone", []Job{job(800, 600), job(10, 10)}, []int{1, 1}},
		{"count bound", make([]Job, MaxBatchJobs+2), []int{MaxBatchJobs, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			total := 0
			for _, b := range Batches(frame, tc.jobs) {
				got = append(got, len(b))
				total += len(b)
			}
			if len(got) != len(tc.want) || total != len(tc.jobs) {
				t.Fatalf("batches of %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("batches of %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestSplit(t *testing.T) {
	rects := []image.Rectangle{image.Rect(0, 0, 100, 20), image.Rect(0, 20, 100, 40)}
	lines := []rules.Line{
		{Box: rules.Box{X: 5, Y: 2, W: 50, H: 12}},   // first
		{Box: rules.Box{X: 5, Y: 15, W: 50, H: 12}},  // mostly second
		{Box: rules.Box{X: 500, Y: 500, W: 5, H: 5}}, // neither: dropped
	}
	per := Split(rects, lines)
	if len(per[0]) != 1 || len(per[1]) != 1 || per[1][0].Box.Y != 15 {
		t.Errorf("split %v", per)
	}
}

func TestReadUsesAndFillsCache(t *testing.T) {
	img := page(1600, 1200, 6, 12, 20)
	cache := linecache.New(100)
	rec := &fakeOCR{}
	block := 0
	var st Stats
	lines, err := Read(context.Background(), rec, img, []image.Rectangle{img.Rect}, cache, &block, &st)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pieces != 6 || st.CacheHits != 0 || st.OCRCalls != 1 || len(lines) != 1 {
		t.Fatalf("first read: %+v, %d lines", st, len(lines))
	}
	if block != 1 || lines[0].Block != 1 {
		t.Errorf("block %d, line block %d: want the region's block 1", block, lines[0].Block)
	}
	// The fake's one line spans all pieces: nothing may be cached.
	if _, _, n := cache.Stats(); n != 0 {
		t.Errorf("%d entries cached from a line spanning pieces", n)
	}
	// One region per line: each run is one piece and its line is cached.
	var regions []image.Rectangle
	for _, p := range Plan(img, img.Rect, nil)[0].Pieces {
		regions = append(regions, p.Rect.Inset(-1))
	}
	st = Stats{}
	if _, err := Read(context.Background(), rec, img, regions, cache, &block, &st); err != nil {
		t.Fatal(err)
	}
	if _, _, n := cache.Stats(); n != 6 || st.OCRCalls != 1 {
		t.Fatalf("%d entries cached, %+v; want 6 in one call", n, st)
	}
	st = Stats{}
	calls := len(rec.calls)
	lines, err = Read(context.Background(), rec, img, regions, cache, &block, &st)
	if err != nil {
		t.Fatal(err)
	}
	if st.CacheHits != 6 || len(rec.calls) != calls || len(lines) != 6 {
		t.Errorf("second read: %+v, %d lines, %d new OCR calls; want all from the cache", st, len(lines), len(rec.calls)-calls)
	}
	rec.err = errors.New("boom")
	if _, err := Read(context.Background(), rec, img, []image.Rectangle{img.Rect}, nil, &block, nil); err == nil {
		t.Error("OCR error not returned")
	}
}

func TestBatchesLikeliestFirst(t *testing.T) {
	// Prose (x-height glyphs) above a line of figures (cap-height glyphs):
	// a big read takes the figures first, as the agent's bulk lane does.
	img := image.NewRGBA(image.Rect(0, 0, 400, 400))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	ink := func(r image.Rectangle) {
		draw.Draw(img, r, image.NewUniform(color.Black), image.Point{}, draw.Src)
	}
	for x := 20; x < 200; x += 9 {
		ink(image.Rect(x, 26, x+5, 32)) // prose: the lower part of the body only
		if x%27 == 2 {
			ink(image.Rect(x, 20, x+2, 32)) // an ascender now and then
		}
		ink(image.Rect(x, 120, x+2, 132)) // figures: every glyph reaches the cap height
		ink(image.Rect(x+2, 126, x+5, 132))
	}
	// One run per line, each too big to share a batch with the other.
	var runs []Job
	for _, j := range Plan(img, img.Rect, nil) {
		for _, p := range j.Pieces {
			runs = append(runs, Job{Rect: image.Rect(0, p.Rect.Min.Y, 400, p.Rect.Min.Y+60), Pieces: []Piece{p}})
		}
	}
	if len(runs) != 2 {
		t.Fatalf("%d lines; want 2", len(runs))
	}
	bs := Batches(img, runs)
	if len(bs) != 2 || bs[0][0].Rect.Min.Y < 100 {
		t.Fatalf("batches %v; want the figures' line (y≈120) first", bs)
	}
}

// TestKeyIsTheInkOnly: a line that scrolls past something else (a line
// clipped at a terminal's edge has the document beside it in its margin)
// keeps its key; another line does not share it.
func TestKeyIsTheInkOnly(t *testing.T) {
	img := page(400, 200, 3, 12, 20)
	var pieces []Piece
	for _, j := range Plan(img, img.Rect, nil) {
		pieces = append(pieces, j.Pieces...)
	}
	if len(pieces) < 2 {
		t.Fatalf("pieces %v", pieces)
	}
	p := pieces[0].Rect
	k := Key(img, p)
	// Something drawn in the piece's 2 px margin only.
	draw.Draw(img, image.Rect(p.Min.X, p.Min.Y, p.Min.X+1, p.Max.Y), image.NewUniform(color.RGBA{200, 0, 0, 255}), image.Point{}, draw.Src)
	if Key(img, p) != k {
		t.Error("the margin changed the key")
	}
	if Key(img, pieces[1].Rect) == k {
		t.Error("two different lines share a key")
	}
}
