package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testFrame is frame i of a sequence: a colour per frame and a white
// square whose position moves with i, so neighbouring frames differ in
// both colour and layout.
func testFrame(w, h, i int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	c := color.RGBA{uint8(40 + 37*i%200), uint8(200 - 23*i%180), uint8(60 + 71*i%190), 255}
	fillRGBA(img, img.Rect, c, image.Rectangle{})
	s := min(w, h) / 4
	x := (i * s / 2) % (w - s)
	fillRGBA(img, image.Rect(x, h/2-s/2, x+s, h/2+s/2), color.RGBA{255, 255, 255, 255}, image.Rectangle{})
	return img
}

// meanDiff is the mean absolute difference per channel between an RGBA
// frame and rgb24 bytes of the same size.
func meanDiff(a *image.RGBA, rgb []byte) float64 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var sum int
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := a.PixOffset(x, y)
			p := (y*w + x) * 3
			for c := 0; c < 3; c++ {
				d := int(a.Pix[o+c]) - int(rgb[p+c])
				if d < 0 {
					d = -d
				}
				sum += d
			}
		}
	}
	return float64(sum) / float64(w*h*3)
}

// probe returns the frame timestamps (seconds) and the codec of a file.
func probe(t *testing.T, path string) ([]float64, string) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
		"frame=pts_time:stream=codec_name", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v: %s", path, err, out)
	}
	var ts []float64
	codec := ""
	for _, l := range strings.Fields(string(out)) {
		l = strings.TrimSuffix(l, ",")
		if v, err := strconv.ParseFloat(l, 64); err == nil {
			ts = append(ts, v)
		} else if l != "" {
			codec = l
		}
	}
	return ts, codec
}

// decode returns the frames of a file as rgb24, w×h each.
func decode(t *testing.T, path string, w, h int) [][]byte {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-vsync", "passthrough", "pipe:1").Output()
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	n := w * h * 3
	if len(out)%n != 0 {
		t.Fatalf("decode %s: %d bytes is not a whole number of %dx%d frames", path, len(out), w, h)
	}
	var fs [][]byte
	for i := 0; i+n <= len(out); i += n {
		fs = append(fs, out[i:i+n])
	}
	return fs
}

// TestFileTarget writes distinct frames in real time, with a still gap in
// the middle, and checks the decoded file: one frame per slot (constant
// rate, timestamps n/fps), the gap filled by repeats, each slot showing
// the frame written for it.
func TestFileTarget(t *testing.T) {
	for _, c := range []struct {
		name string
		w, h int
	}{
		{"talk.mkv", 320, 240},
		{"talk.mp4", 321, 239}, // odd: encoded as 322×240
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.name)
			tg, err := ParseTarget(path)
			if err != nil {
				t.Fatal(err)
			}
			const fps = 10
			out, err := Open(context.Background(), tg, Options{Width: c.w, Height: c.h, FPS: fps})
			if err != nil {
				t.Fatal(err)
			}
			// ffmpeg takes a moment to start (up to a second on a loaded
			// machine); frames meanwhile would be shown late or dropped
			// (the writer never waits), which TestStreamBehind covers.
			time.Sleep(time.Second)
			// Slots 0–9: frames 0–9; 10–19: nothing written (still
			// screen); 20–29: frames 20–29.
			start := time.Now()
			want := map[int]int{} // slot → frame index shown
			last := 0
			for slot := 0; slot < 30; slot++ {
				time.Sleep(time.Until(start.Add(time.Duration(slot) * time.Second / fps)))
				if slot >= 10 && slot < 20 {
					want[slot] = last
					continue
				}
				if !out.Write(testFrame(c.w, c.h, slot), time.Duration(slot)*time.Second/fps) {
					t.Fatalf("Write(slot %d) refused: %+v", slot, out.Stats())
				}
				want[slot], last = slot, slot
			}
			if err := out.Close(); err != nil {
				t.Fatal(err)
			}
			st := out.Stats()
			t.Logf("stats %+v", st)

			ts, codec := probe(t, path)
			if codec != "h264" {
				t.Errorf("codec %q, want h264", codec)
			}
			// 30 slots, less those skipped when ffmpeg fell over a second
			// behind (a machine so loaded it is starved; the writer says
			// so). ±1: a frame delayed past its slot lands in the next.
			if n := 30 - int(st.Skipped); len(ts) < n-1 || len(ts) > n+1 {
				t.Fatalf("%d frames, want %d (3 s at %d fps, %d skipped): %v", len(ts), n, fps, st.Skipped, ts)
			}
			for i, v := range ts {
				if math.Abs(v-float64(i)/fps) > 0.002 {
					t.Fatalf("frame %d at %.4fs, want %.4fs (constant rate from 0): %v", i, v, float64(i)/fps, ts)
				}
			}
			ew, eh := c.w+c.w%2, c.h+c.h%2
			frames := decode(t, path, ew, eh)
			refs := make([]*image.RGBA, 30)
			for k := range refs {
				refs[k] = image.NewRGBA(image.Rect(0, 0, ew, eh))
				fit(refs[k], testFrame(c.w, c.h, k))
			}
			// Each slot shows the frame written for it, or — when frames
			// were dropped (ffmpeg still starting on a loaded machine) or
			// arrived late — an earlier one, never a later one, in order.
			// Every frame written is in the file or counted.
			exact, prev := 0, -1
			present := map[int]bool{}
			for slot, f := range frames {
				best, bd := -1, 1e9
				for k, ref := range refs {
					if d := meanDiff(ref, f); d < bd {
						best, bd = k, d
					}
				}
				// Encoding noise is a few levels; neighbouring frames differ
				// by tens.
				if bd > 6 {
					t.Errorf("slot %d matches no frame written (closest %d, mean difference %.1f)", slot, best, bd)
					continue
				}
				// A later frame only when the writer was behind and says so.
				if w, ok := want[slot]; ok && best > w && st.Early == 0 && st.Skipped == 0 {
					t.Errorf("slot %d shows frame %d, written for a later time than %d", slot, best, w)
				}
				if best < prev {
					t.Errorf("slot %d shows frame %d after frame %d", slot, best, prev)
				}
				if best == want[slot] {
					exact++
				}
				prev = best
				present[best] = true
			}
			if int64(len(present))+st.Dropped+st.Merged != 20 {
				t.Errorf("%d distinct frames in the file + %d dropped + %d merged ≠ 20 written", len(present), st.Dropped, st.Merged)
			}
			t.Logf("%d of %d slots show exactly the frame written for them", exact, len(frames))
			if st.Early == 0 && st.Dropped == 0 && st.Skipped == 0 && exact < 27 {
				t.Errorf("only %d of 30 slots show the frame written for them (%d dropped)", exact, st.Dropped)
			}
			if (st.Skipped == 0 && st.Repeated < 9) || st.Written != int64(len(ts)) {
				t.Errorf("stats %+v: want ≥9 repeats (the still gap), Written = %d frames in the file", st, len(ts))
			}
		})
	}
}

func TestOutputArgsOverride(t *testing.T) {
	path := filepath.Join(t.TempDir(), "args.mkv")
	tg, _ := ParseTarget(path)
	out, err := Open(context.Background(), tg, Options{Width: 64, Height: 48, FPS: 10, Args: []string{"-c:v", "mpeg4", "-q:v", "3"}})
	if err != nil {
		t.Fatal(err)
	}
	out.Write(testFrame(64, 48, 1), 0)
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if _, codec := probe(t, path); codec != "mpeg4" {
		t.Errorf("codec %q with --output-args -c:v mpeg4", codec)
	}
}

func TestFFmpegArgs(t *testing.T) {
	cases := []struct {
		t            Target
		args         []string
		want, absent []string
	}{
		{Target{Kind: KindFile, Path: "a.mkv"}, nil, []string{"-n", "libx264", "-tune zerolatency", "-pix_fmt yuv420p", "-f matroska a.mkv"}, nil},
		{Target{Kind: KindFile, Path: "a.mp4"}, nil, []string{"+frag_keyframe+empty_moov", "-f mp4 a.mp4"}, []string{"faststart"}},
		{Target{Kind: KindStream, URL: "srt://h:1"}, nil, []string{"-tune zerolatency", "-maxrate", "-f mpegts srt://h:1"}, []string{" -n "}},
		{Target{Kind: KindStream, URL: "rtmp://h/app"}, nil, []string{"-i pipe:0 -f lavfi -i anullsrc", "-c:a aac", "-f flv rtmp://h/app"}, nil},
		{Target{Kind: KindStream, URL: "rtmp://h/app"}, []string{"-c:v", "libx264"}, []string{"-c:v libx264 -f flv rtmp://h/app"}, []string{"anullsrc"}},
		{Target{Kind: KindDevice, Path: "/dev/video3"}, nil, []string{"-pix_fmt yuv420p -f v4l2 /dev/video3"}, []string{"libx264"}},
		{Target{Kind: KindFile, Path: "a.mkv"}, []string{"-c:v", "libx265"}, []string{"-c:v libx265 -f matroska"}, []string{"libx264", "zerolatency"}},
		{Target{Kind: KindStream, URL: "udp://h:1"}, []string{"-c:v", "mpeg2video", "-f", "mpegts"}, []string{"-c:v mpeg2video -f mpegts udp://h:1"}, []string{"-f mpegts -f"}},
	}
	for _, c := range cases {
		f := &ffmpegOut{t: c.t, o: Options{FPS: 25, Args: c.args}, w: 1920, h: 1080}
		got := " " + strings.Join(f.args(), " ") + " "
		if !strings.Contains(got, "-f rawvideo -pix_fmt rgba -video_size 1920x1080 -framerate 25 -i pipe:0") {
			t.Errorf("%v: input spec missing: %s", c.t, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%v args %v: %q missing in%s", c.t, c.args, w, got)
			}
		}
		for _, a := range c.absent {
			if strings.Contains(got, a) {
				t.Errorf("%v args %v: %q present in%s", c.t, c.args, a, got)
			}
		}
	}
}

// TestRTMPArgsRun runs the RTMP defaults for real, into an FLV file in
// place of the server: ffmpeg accepts them and the result has H.264 video
// and an AAC (silent) audio track.
func TestRTMPArgsRun(t *testing.T) {
	f := &ffmpegOut{t: Target{Kind: KindStream, URL: "rtmp://127.0.0.1/live/key"}, o: Options{FPS: 10}, w: 64, h: 48}
	args := f.args()
	path := filepath.Join(t.TempDir(), "rtmp.flv")
	args[len(args)-1] = path
	cmd := exec.Command("ffmpeg", args...)
	var raw bytes.Buffer
	for i := range 10 {
		raw.Write(testFrame(64, 48, i).Pix)
	}
	cmd.Stdin = &raw
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v: %s", args, err, out)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, []string{"h264", "aac"}) {
		t.Errorf("streams %q, want h264 and aac", got)
	}
}

// TestFileAppeared: a file created between ParseTarget and Open is not
// overwritten.
func TestFileAppeared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "late.mkv")
	tg, err := ParseTarget(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("someone else's"), 0o600)
	if _, err := Open(context.Background(), tg, Options{Width: 64, Height: 48}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("Open = %v, want an error: the file exists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "someone else's" {
		t.Errorf("file overwritten")
	}
}

func TestMissingFFmpeg(t *testing.T) {
	tg := Target{Kind: KindFile, Path: filepath.Join(t.TempDir(), "x.mkv")}
	_, err := Open(context.Background(), tg, Options{Width: 64, Height: 48, FFmpeg: "/nonexistent/ffmpeg"})
	if !errors.Is(err, ErrNoFFmpeg) || !strings.Contains(err.Error(), "apt-get install ffmpeg") {
		t.Fatalf("err = %v, want ErrNoFFmpeg naming the Debian package", err)
	}
	if _, err := os.Stat(tg.Path); err == nil {
		t.Errorf("a file was created")
	}
}

// fakeFFmpeg writes a shell script standing in for ffmpeg.
func fakeFFmpeg(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ffmpeg")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func setVar[T any](t *testing.T, p *T, v T) {
	old := *p
	*p = v
	t.Cleanup(func() { *p = old })
}

// TestStalledConsumer: an "ffmpeg" that never reads. Write must keep
// returning (frames dropped and counted, memory bounded to the queue) and
// Close must end it.
func TestStalledConsumer(t *testing.T) {
	setVar(t, &closeTimeout, 500*time.Millisecond)
	bin := fakeFFmpeg(t, "exec sleep 60")
	tg := Target{Kind: KindStream, URL: "udp://127.0.0.1:9", Monitor: -1}
	out, err := Open(context.Background(), tg, Options{Width: 640, Height: 480, FPS: 30, FFmpeg: bin})
	if err != nil {
		t.Fatal(err)
	}
	img := testFrame(640, 480, 1)
	const n = 60
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			out.Write(img, time.Duration(i)*time.Second/30)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("Write blocked on a consumer that does not read: %+v", out.Stats())
	}
	st := out.Stats()
	// At most the pipe's 1 MB (one 1.2 MB frame does not fit), the frame
	// being written, the pending one and the queue get through.
	if st.Dropped < n-6 {
		t.Errorf("stats %+v: want at least %d of %d frames dropped", st, n-6, n)
	}
	if st.Written > 1 {
		t.Errorf("stats %+v: frames counted written to a consumer that reads nothing", st)
	}
	f := out.(*ffmpegOut)
	if f.q.n > maxBuffers {
		t.Errorf("%d buffers allocated, bound is %d", f.q.n, maxBuffers)
	}
	err = out.Close()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Close = %v, want an error saying ffmpeg was killed", err)
	}
}

// TestRestartStream: an "ffmpeg" that fails at once: streams and devices
// are restarted with backoff, the error and its stderr reported; a file is
// not restarted.
func TestRestartStream(t *testing.T) {
	setVar(t, &minBackoff, 20*time.Millisecond)
	setVar(t, &maxBackoff, 80*time.Millisecond)
	bin := fakeFFmpeg(t, `echo "udp://x: Connection refused" >&2; exit 1`)
	for _, tg := range []Target{
		{Kind: KindStream, URL: "udp://127.0.0.1:9", Monitor: -1},
		{Kind: KindDevice, Path: "/dev/video7", Monitor: -1},
		{Kind: KindFile, Path: filepath.Join(t.TempDir(), "x.mkv"), Monitor: -1},
	} {
		t.Run(tg.Kind.String(), func(t *testing.T) {
			var mu sync.Mutex
			var errs []error
			var restarting []bool
			var logs []string
			o := Options{Width: 64, Height: 48, FPS: 30, FFmpeg: bin,
				OnError: func(err error, r bool) {
					mu.Lock()
					errs, restarting = append(errs, err), append(restarting, r)
					mu.Unlock()
				},
				Logf: func(f string, a ...any) {
					mu.Lock()
					logs = append(logs, fmt.Sprintf(f, a...))
					mu.Unlock()
				}}
			out, err := Open(context.Background(), tg, o)
			if err != nil {
				t.Fatal(err)
			}
			img := testFrame(64, 48, 0)
			deadline := time.Now().Add(20 * time.Second)
			for i := 0; time.Now().Before(deadline); i++ {
				out.Write(img, time.Duration(i)*10*time.Millisecond)
				time.Sleep(10 * time.Millisecond)
				mu.Lock()
				n := len(errs)
				mu.Unlock()
				if (tg.Kind == KindFile && n >= 1 && i > 30) || n >= 3 {
					break
				}
			}
			out.Close()
			st := out.Stats()
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(st.Err, "Connection refused") || !strings.Contains(st.Err, tg.String()) {
				t.Errorf("Stats.Err = %q, want ffmpeg's message and the target", st.Err)
			}
			if tg.Kind == KindFile {
				if len(errs) != 1 || restarting[0] || st.Restarts != 0 {
					t.Errorf("file: %d errors (restarting %v), %d restarts: want 1 error and no restart", len(errs), restarting, st.Restarts)
				}
				if out.Write(img, time.Hour) {
					t.Errorf("Write accepted a frame after the recording ended")
				}
				return
			}
			if len(errs) < 3 || !restarting[0] || st.Restarts < 2 {
				t.Errorf("%d errors (restarting %v), %d restarts: want ≥3 errors, restarts", len(errs), restarting, st.Restarts)
			}
			if !slices.ContainsFunc(logs, func(l string) bool { return strings.Contains(l, "restarting ffmpeg in") }) {
				t.Errorf("no restart logged: %q", logs)
			}
		})
	}
}

// TestRestartRealStream kills a real ffmpeg streaming to UDP: it is
// restarted and the stream flows again.
func TestRestartRealStream(t *testing.T) {
	setVar(t, &minBackoff, 50*time.Millisecond)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var mu sync.Mutex
	received := 0
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			mu.Lock()
			received += n
			mu.Unlock()
		}
	}()
	got := func() int { mu.Lock(); defer mu.Unlock(); return received }
	tg, err := ParseTarget("udp://" + pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	out, err := Open(context.Background(), tg, Options{Width: 160, Height: 120, FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	f := out.(*ffmpegOut)
	start := time.Now()
	i := 0
	feedUntil := func(cond func() bool) bool {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			out.Write(testFrame(160, 120, i%30), time.Since(start))
			i++
			time.Sleep(time.Second / 15)
			if cond() {
				return true
			}
		}
		return false
	}
	if !feedUntil(func() bool { return got() > 10000 }) {
		t.Fatalf("no stream received: %d bytes, %+v", got(), out.Stats())
	}
	pid := int(f.pid.Load())
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !feedUntil(func() bool { return out.Stats().Restarts == 1 && f.pid.Load() != 0 }) {
		t.Fatalf("not restarted: %+v", out.Stats())
	}
	if np := int(f.pid.Load()); np == pid {
		t.Fatalf("same pid %d after restart", pid)
	}
	before := got()
	if !feedUntil(func() bool { return got() > before+10000 }) {
		t.Fatalf("stream did not resume: %d bytes after restart, %+v", got()-before, out.Stats())
	}
	st := out.Stats()
	if !strings.Contains(st.Err, "ffmpeg") || !strings.Contains(st.Err, "killed") {
		t.Errorf("Stats.Err = %q, want ffmpeg's death (signal: killed)", st.Err)
	}
}

func TestTail(t *testing.T) {
	var tl tail
	for i := range 20 {
		fmt.Fprintf(&tl, "line %d\r\n", i)
	}
	tl.Write(bytes.Repeat([]byte("x"), 1000))
	s := tl.String()
	if strings.Contains(s, "line 11") || !strings.Contains(s, "line 19") || strings.Count(s, "x") != 300 {
		t.Errorf("tail = %q", s)
	}
}

// TestStreamBehind: an "ffmpeg" that reads 5 frames a second while frames
// come at 30. Write never waits; the written slots show new frames (not
// one stale frame repeated); a stream's backlog is cut at a second
// (Skipped), so its latency stays bounded and Close does not write it out.
func TestStreamBehind(t *testing.T) {
	const w, h = 640, 480 // 1.2 MB a frame: more than the pipe holds
	bin := fakeFFmpeg(t, fmt.Sprintf(`while :; do n=$(head -c %d | wc -c); [ "$n" -eq 0 ] && exit 0; sleep 0.2; done`, w*h*4))
	tg := Target{Kind: KindStream, URL: "udp://127.0.0.1:9", Monitor: -1}
	out, err := Open(context.Background(), tg, Options{Width: w, Height: h, FPS: 30, FFmpeg: bin})
	if err != nil {
		t.Fatal(err)
	}
	frames := []*image.RGBA{testFrame(w, h, 0), testFrame(w, h, 1)}
	start := time.Now()
	for i := 0; time.Since(start) < 4*time.Second; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / 30)))
		out.Write(frames[i%2], time.Duration(i)*time.Second/30)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	st := out.Stats()
	t.Logf("stats %+v", st)
	if st.Skipped == 0 || st.Dropped == 0 {
		t.Errorf("stats %+v: want slots skipped and frames dropped with a consumer at 5 of 30 fps", st)
	}
	if st.Written > 40 || st.Written < 5 {
		t.Errorf("stats %+v: %d frames written to a consumer taking ~5 a second for 4 s", st, st.Written)
	}
	// Showing the newest frame when behind: most writes are new frames,
	// not repeats of an old one.
	if st.Repeated*2 > st.Written {
		t.Errorf("stats %+v: more than half of the written frames are repeats", st)
	}
}

// TestContextEndsFile: cancelling Open's context (watch stopping) writes
// what was handed over, like Close, and finishes the file.
func TestContextEndsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctx.mkv")
	tg, _ := ParseTarget(path)
	ctx, cancel := context.WithCancel(context.Background())
	out, err := Open(ctx, tg, Options{Width: 64, Height: 48, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 4 {
		time.Sleep(time.Until(start.Add(time.Duration(i) * 100 * time.Millisecond)))
		out.Write(testFrame(64, 48, i), time.Duration(i)*100*time.Millisecond)
	}
	cancel()
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	frames := decode(t, path, 64, 48)
	if len(frames) != 4 {
		t.Fatalf("%d frames, want 4", len(frames))
	}
	if d := meanDiff(testFrame(64, 48, 3), frames[3]); d > 6 {
		t.Errorf("last frame differs by %.1f from the last written", d)
	}
}

// TestFileCatchesUp: an "ffmpeg" that stalls 1.5 s (a slow start) and then
// reads at full speed. The file's slots are caught up (no skip: the time
// mapping holds again), the stall shows the newest frames early, counted.
func TestFileCatchesUp(t *testing.T) {
	const w, h = 640, 480
	bin := fakeFFmpeg(t, "sleep 1.5; exec cat >/dev/null")
	tg := Target{Kind: KindFile, Path: filepath.Join(t.TempDir(), "stall.mkv"), Monitor: -1}
	out, err := Open(context.Background(), tg, Options{Width: w, Height: h, FPS: 30, FFmpeg: bin})
	if err != nil {
		t.Fatal(err)
	}
	frames := []*image.RGBA{testFrame(w, h, 0), testFrame(w, h, 1)}
	start := time.Now()
	const n = 90
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / 30)))
		out.Write(frames[i%2], time.Duration(i)*time.Second/30)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	st := out.Stats()
	t.Logf("stats %+v", st)
	if st.Skipped != 0 || st.Early == 0 {
		t.Errorf("stats %+v: want no skip and frames shown early during the stall", st)
	}
	// Slots 0…89: all written once caught up (±1 for the last frame's
	// rounding).
	if st.Written < n-1 || st.Written > n+1 {
		t.Errorf("stats %+v: %d slots written, want %d", st, st.Written, n)
	}
}
