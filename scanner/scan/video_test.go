package scan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/video"
)

// whiteOCR "reads" SECRET wherever an image has white pixels: the box is
// their bounding box. Recordings made with ffmpeg's drawbox give exact,
// known places and times.
var whiteOCR = fakeRecognizer{recognize: func(_ context.Context, img image.Image) ([]rules.Line, error) {
	var r image.Rectangle
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr > 0xe000 && cg > 0xe000 && cb > 0xe000 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if r.Empty() {
		return nil, nil
	}
	box := rules.Box{X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()}
	w := rules.Word{Text: "SECRET", Box: box, Conf: 0.9}
	return []rules.Line{{Words: []rules.Word{w}, Box: box}}, nil
}}

func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// glyphs draws a row of white bars at x, y while enable holds: a "word" the
// segmenter cuts as one text piece (a filled box would be a blank panel).
func glyphs(x, y int, enable string) string {
	var fs []string
	for i := range 8 {
		fs = append(fs, fmt.Sprintf("drawbox=x=%d:y=%d:w=5:h=%d:color=white:t=fill:enable='%s'", x+i*10, y, 20+4*(i%3), enable))
	}
	return strings.Join(fs, ",")
}

func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (apt-get install ffmpeg; make test-deps installs it)", tool)
		}
	}
}

// TestVideo scans a constant and a variable frame rate recording with a
// white box shown for a known span, and bad recordings beside them: the
// spans are exact to the frame, each bad file is one error, and the
// redacted copy of the VFR file keeps every frame's time and masks exactly
// the frames of the span.
func TestVideo(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	cfr := filepath.Join(in, "a-cfr.mp4")
	ffmpeg(t, "-f", "lavfi", "-i", "color=c=black:s=320x240:r=30:d=3", "-f", "lavfi", "-i", "sine=d=3",
		"-vf", glyphs(100, 100, "gte(t,1)*lt(t,2)"),
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", cfr)
	// 30 frames at 30 fps, then 10 fps: the box is on frames 40-49, from
	// 2.0 s to 3.0 s; frame numbers times 1/30 would say 1.33 s.
	vfr := filepath.Join(in, "b-vfr.mkv")
	ffmpeg(t, "-f", "lavfi", "-i", "color=c=black:s=320x240:r=30:d=2.5",
		"-vf", glyphs(40, 60, "between(n,40,49)")+",setpts='if(lt(N,30),N/30,1+(N-30)/10)/TB'",
		"-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p", vfr)
	data, _ := os.ReadFile(cfr)
	write(t, filepath.Join(in, "c-truncated.mp4"), data[:len(data)/3])
	write(t, filepath.Join(in, "d-empty.mp4"), nil)
	audio := filepath.Join(dir, "e-audio.m4a") // not walked (no video extension): given by name
	ffmpeg(t, "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", audio)
	junk := write(t, filepath.Join(dir, "f-junk.mkv"), append([]byte("\x1a\x45\xdf\xa3"), make([]byte, 4000)...))

	s := newTestScanner(t, Options{Recognizer: whiteOCR, Matcher: wordMatcher("SECRET"), RedactDir: filepath.Join(dir, "red")})
	res, err := s.Run(context.Background(), []string{in, audio, junk})
	if err != nil {
		t.Fatal(err)
	}
	got := errorSources(res)
	want := []string{"c-truncated.mp4", "d-empty.mp4", "e-audio.m4a", "f-junk.mkv"}
	if len(got) != len(want) {
		t.Fatalf("errors %v, want one each for %v", res.Errors, want)
	}
	for i, e := range res.Errors {
		if !strings.HasSuffix(e.Source, want[i]) || strings.Contains(e.Error(), "\n") {
			t.Errorf("error %d: %q, want one line for %s", i, e.Error(), want[i])
		}
	}
	if !strings.Contains(res.Errors[2].Error(), "no video stream") {
		t.Errorf("audio-only file: %v", res.Errors[2])
	}
	if res.Scanned != 2 || len(res.Findings) != 2 {
		t.Fatalf("scanned %d, findings %+v; want 2 recordings with one exposure each", res.Scanned, res.Findings)
	}
	for i, w := range []struct{ t, end float64 }{{1, 2}, {2, 3}} {
		f := res.Findings[i]
		if !f.Video || f.Time != w.t || f.End != w.end {
			t.Errorf("%s: exposure %.3f-%.3f, want %.3f-%.3f", f.Source, f.Time, f.End, w.t, w.end)
		}
	}
	if len(res.Redacted) != 2 {
		t.Fatalf("redacted %v, want two copies", res.Redacted)
	}
	checkMasked(t, vfr, res.Redacted[1], 2, 3)

	// Limits: frame size from the header, duration.
	for _, tc := range []struct {
		name string
		opt  Options
		want error
	}{
		{"pixels", Options{MaxPixels: 320*240 - 1}, video.ErrTooLarge},
		{"duration", Options{MaxDuration: 2.5}, video.ErrTooLong},
	} {
		tc.opt.Recognizer, tc.opt.Matcher = whiteOCR, wordMatcher("SECRET")
		res, err := newTestScanner(t, tc.opt).Run(context.Background(), []string{cfr})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) != 1 || !errors.Is(res.Errors[0].Err, tc.want) {
			t.Errorf("%s: errors %v, want %v", tc.name, res.Errors, tc.want)
		}
	}
}

// checkMasked decodes source and copy side by side: the same frames at the
// same times, white only outside [from, to).
func checkMasked(t *testing.T, src, red string, from, to float64) {
	t.Helper()
	ctx := context.Background()
	lim := video.Limits{MaxPixels: 1e8, MaxDuration: 60}
	si, err := video.Probe(ctx, src, lim)
	if err != nil {
		t.Fatal(err)
	}
	ri, err := video.Probe(ctx, red, lim)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := video.Decode(ctx, src, si, lim)
	dr, _ := video.Decode(ctx, red, ri, lim)
	defer ds.Close()
	defer dr.Close()
	white := func(img *image.RGBA) bool {
		for i := 0; i < len(img.Pix); i += 4 {
			if img.Pix[i] > 200 && img.Pix[i+1] > 200 && img.Pix[i+2] > 200 {
				return true
			}
		}
		return false
	}
	for n := 0; ; n++ {
		fs, e1 := ds.Next(nil)
		fr, e2 := dr.Next(nil)
		if errors.Is(e1, io.EOF) && errors.Is(e2, io.EOF) {
			return
		}
		if e1 != nil || e2 != nil {
			t.Fatalf("frame %d: %v / %v", n, e1, e2)
		}
		if d := fs.PTS - fr.PTS; d > 0.001 || d < -0.001 {
			t.Fatalf("frame %d at %.3f s in the source, %.3f s in the copy", n, fs.PTS, fr.PTS)
		}
		inSpan := fs.PTS >= from-0.0005 && fs.PTS < to-0.0005
		if white(fs.Img) != inSpan {
			t.Fatalf("source frame %d at %.3f: white %v, want %v (test recording wrong)", n, fs.PTS, white(fs.Img), inSpan)
		}
		if white(fr.Img) {
			t.Errorf("copy frame %d at %.3f s: the box is visible", n, fr.PTS)
		}
	}
}
