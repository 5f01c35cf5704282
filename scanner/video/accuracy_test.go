package video_test

import (
	"context"
	"errors"
	"image"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/internal/corpus"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/video"
	"github.com/demoguard/demoguard/scanner/video/videotest"
)

func overlaps(a, b rules.Box) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// spanBox is the exposure's box at frame n (by index: the recording is
// constant frame rate), or an empty box when it was not open then.
func boxAt(e *video.Exposure, n int, fps float64) (rules.Box, bool) {
	t := float64(n) / fps
	for _, sp := range e.Spans {
		if t >= sp.Start-0.0005 && t < sp.End-0.0005 {
			return sp.Box, true
		}
	}
	return rules.Box{}, false
}

// TestRecordingAccuracy renders the dense corpus recording (slides with
// planted items and decoys, notifications for 0.5-4 s at varied places, a
// scroll through a long document) to H.264 at a talk's bitrate, reads it
// with real OCR and checks: recall >= 0.98 with start and end within one
// frame of the truth, no decoy flagged, and in the redacted copy no planted
// item legible in any frame of its span while the rest of every frame
// matches the source within encoding noise.
func TestRecordingAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a recording and runs Tesseract")
	}
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (apt-get install ffmpeg; make test-deps installs it)", tool)
		}
	}
	ctx := context.Background()
	dir := t.TempDir()
	rec := corpus.DenseRecording(corpus.DefaultSeed)
	src := filepath.Join(dir, "talk.mp4")
	t0 := time.Now()
	if err := videotest.Render(ctx, rec, src); err != nil {
		t.Fatal(err)
	}
	t.Logf("rendered %d frames (%.1f s) in %v", rec.Frames, float64(rec.Frames)/float64(rec.FPS), time.Since(t0).Round(time.Millisecond))

	eng, err := ocr.New(ocr.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rs, err := rules.Load("../../testdata/corpus/rules.toml")
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	res, err := video.Read(ctx, src, video.Config{Recognizer: eng, Matcher: rs, MinConf: 0.5,
		Limits: video.Limits{MaxPixels: 100e6, MaxDuration: 3600}})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(t0)
	t.Logf("read in %v (%.2f× real time; shared machine): %d frames, %d changed, %d OCR calls, %d pieces, %d cache hits, %d scrolls",
		el.Round(time.Millisecond), res.Duration/el.Seconds(), res.Frames, res.Changed, res.OCRCalls, res.Pieces, res.CacheHits, res.Scrolls)
	if res.Frames != rec.Frames {
		t.Errorf("decoded %d frames, rendered %d", res.Frames, rec.Frames)
	}
	fps := float64(rec.FPS)

	// Recall: an exposure of the item's rule at its place, opening and
	// closing within one frame of the truth.
	found, total := 0, 0
	matched := map[*video.Exposure]bool{}
	for _, tr := range rec.Truth {
		if tr.Rule == "" {
			continue
		}
		total++
		ok := false
		for _, e := range res.Exposures {
			if e.Rule != tr.Rule {
				continue
			}
			b, open := boxAt(e, tr.First+1, fps)
			if !open || !overlaps(b, tr.Boxes[min(1, len(tr.Boxes)-1)]) {
				continue
			}
			matched[e] = true
			if abs(e.First-tr.First) <= 1 && abs(e.Last+1-tr.End) <= 1 {
				ok = true
			} else {
				t.Logf("late or early: %s %q frames %d-%d, found %d-%d", tr.Rule, tr.Text, tr.First, tr.End, e.First, e.Last+1)
			}
		}
		if ok {
			found++
		} else {
			t.Logf("missed: %s %q frames %d-%d", tr.Rule, tr.Text, tr.First, tr.End)
		}
	}
	recall := float64(found) / float64(total)
	t.Logf("recall %d/%d = %.3f (start and end within one frame)", found, total, recall)
	if recall < 0.98 {
		t.Errorf("recall %.3f < 0.98", recall)
	}
	// No decoy flagged: an exposure over a decoy that is not over a planted
	// item of a rule is a false alarm the test fails on.
	for _, e := range res.Exposures {
		if matched[e] {
			continue
		}
		mid := (e.First + e.Last) / 2
		b, _ := boxAt(e, mid, fps)
		for _, tr := range rec.Truth {
			if tr.Rule == "" && mid >= tr.First && mid < tr.End && overlaps(b, tr.Boxes[mid-tr.First]) {
				t.Errorf("decoy flagged: %q by rule %s (frames %d-%d)", tr.Text, e.Rule, e.First, e.Last+1)
			}
		}
		t.Logf("unmatched exposure: %s at %v frames %d-%d", e.Rule, e.Box, e.First, e.Last+1)
	}

	// The redacted copy.
	red := filepath.Join(dir, video.RedactedName(src))
	masks := video.MasksOf(res.Exposures, image.Rect(0, 0, rec.W, rec.H))
	t0 = time.Now()
	if err := video.Redact(ctx, src, red, res.Info, masks, video.RedactOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("redacted (%d masks) in %v (%.2f× real time; shared machine)", len(masks), time.Since(t0).Round(time.Millisecond), res.Duration/time.Since(t0).Seconds())
	if err := video.Redact(ctx, src, red, res.Info, masks, video.RedactOptions{}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second redaction to the same name: %v, want an error saying it exists", err)
	}
	checkRedacted(t, ctx, src, red, rec, masks, eng, rs)
}

// checkRedacted decodes the source and the redacted copy side by side.
func checkRedacted(t *testing.T, ctx context.Context, src, red string, rec *corpus.Recording, masks []video.Mask, eng *ocr.Engine, rs *rules.Ruleset) {
	t.Helper()
	lim := video.Limits{MaxPixels: 100e6, MaxDuration: 3600}
	ri, err := video.Probe(ctx, red, lim)
	if err != nil {
		t.Fatal(err)
	}
	if ri.Width != rec.W || ri.Height != rec.H || ri.Audio != 1 {
		t.Errorf("redacted copy: %dx%d with %d audio streams, want %dx%d with 1", ri.Width, ri.Height, ri.Audio, rec.W, rec.H)
	}
	si, _ := video.Probe(ctx, src, lim)
	ds, err := video.Decode(ctx, src, si, lim)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	dr, err := video.Decode(ctx, red, ri, lim)
	if err != nil {
		t.Fatal(err)
	}
	defer dr.Close()
	bounds := image.Rect(0, 0, rec.W, rec.H)
	worstRest, legible, ocrChecked := 0.0, 0, 0
	ocrDone := map[int]bool{}
	var bufS, bufR *image.RGBA // reused: no 4 MB allocation per frame
	for n := 0; ; n++ {
		fs, errS := ds.Next(bufS)
		fr, errR := dr.Next(bufR)
		bufS, bufR = fs.Img, fr.Img
		if errors.Is(errS, io.EOF) || errors.Is(errR, io.EOF) {
			if !errors.Is(errS, io.EOF) || !errors.Is(errR, io.EOF) {
				t.Fatalf("frame %d: source and copy end at different frames (%v, %v)", n, errS, errR)
			}
			if n != rec.Frames {
				t.Errorf("copy has %d frames, want %d", n, rec.Frames)
			}
			break
		}
		if errS != nil || errR != nil {
			t.Fatalf("frame %d: %v %v", n, errS, errR)
		}
		if d := fs.PTS - fr.PTS; d > 0.001 || d < -0.001 {
			t.Fatalf("frame %d at %.4f s in the source, %.4f s in the copy", n, fs.PTS, fr.PTS)
		}
		// Every planted item on screen in this frame must be unreadable:
		// its box nearly all black in the copy.
		for i, tr := range rec.Truth {
			if tr.Rule == "" || n < tr.First || n >= tr.End {
				continue
			}
			b := tr.Boxes[n-tr.First]
			r := image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H)
			if lit := litFraction(fr.Img, r); lit > 0.10 {
				legible++
				if legible < 10 {
					t.Errorf("frame %d: %s %q not masked in the copy (%.0f%% of its box lit)", n, tr.Rule, tr.Text, 100*lit)
				}
			}
			// OCR the box (with a margin) in the middle frame of each span.
			if n == (tr.First+tr.End)/2 && !ocrDone[i] {
				ocrDone[i] = true
				ocrChecked++
				lines, err := eng.RecognizeRegions(ctx, fr.Img, []image.Rectangle{r.Inset(-12).Intersect(bounds)})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range rs.Match(lines) {
					t.Errorf("frame %d: OCR of the masked box of %q still finds %s", n, tr.Text, f.Rule)
				}
				for _, l := range lines {
					for _, w := range l.Words {
						if len(w.Text) > 3 && strings.Contains(tr.Text, w.Text) {
							t.Errorf("frame %d: OCR reads %q of %q in the masked box", n, w.Text, tr.Text)
						}
					}
				}
			}
		}
		// Outside the masks the copy is the source within encoding noise.
		var sum, cnt float64
		t := fs.PTS
		var active []image.Rectangle
		for _, m := range masks {
			if t >= m.Start-0.0005 && t < m.End-0.0005 {
				active = append(active, m.Box.Inset(-4))
			}
		}
		// Every third pixel of every third row: thousands of samples a
		// frame are plenty for a mean, and keep this fast under -race.
		for y := 0; y < rec.H; y += 3 {
			for x := 0; x < rec.W; x += 3 {
				p := image.Pt(x, y)
				in := false
				for _, a := range active {
					in = in || p.In(a)
				}
				if in {
					continue
				}
				o := fs.Img.PixOffset(x, y)
				for c := 0; c < 3; c++ {
					d := int(fs.Img.Pix[o+c]) - int(fr.Img.Pix[o+c])
					sum += float64(max(d, -d))
				}
				cnt += 3
			}
		}
		worstRest = max(worstRest, sum/cnt)
	}
	t.Logf("copy vs source outside the masks: worst frame's mean difference %.2f levels; %d items OCR-checked in the copy", worstRest, ocrChecked)
	if worstRest > 3 {
		t.Errorf("outside the masks the copy differs from the source by %.2f levels on average in its worst frame, want <= 3 (encoding noise)", worstRest)
	}
	if legible > 0 {
		t.Errorf("%d item-frames legible in the copy", legible)
	}
}

// litFraction is the share of pixels in r brighter than dark grey: a
// masked box is black, a dark notification card stays dark; one word of an
// item left unmasked lights a third of its box, while the gap between two
// findings of one item (" – ", which is not sensitive) lights a few percent.
func litFraction(img *image.RGBA, r image.Rectangle) float64 {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return 0
	}
	lit := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			o := img.PixOffset(x, y)
			if int(img.Pix[o])+int(img.Pix[o+1])+int(img.Pix[o+2]) > 3*60 {
				lit++
			}
		}
	}
	return float64(lit) / float64(r.Dx()*r.Dy())
}

func abs(x int) int { return max(x, -x) }
