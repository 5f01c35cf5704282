package video_test

import (
	"context"
	"encoding/json"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/demoguard/demoguard/scanner/video"
)

// TestRedactKeepsStreams: audio, subtitles and chapters survive the
// re-encode (MP4 with mov_text, Matroska with SRT), the size stays, and an
// existing file is never overwritten.
func TestRedactKeepsStreams(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not installed (apt-get install ffmpeg)")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v %s", args, err, out)
		}
	}
	base := filepath.Join(dir, "base.mp4")
	run("-f", "lavfi", "-i", "testsrc=s=321x240:r=30:d=3", "-f", "lavfi", "-i", "sine=d=3", "-c:v", "libx264", "-c:a", "aac", "-shortest", base)
	srt := filepath.Join(dir, "s.srt")
	os.WriteFile(srt, []byte("1\n00:00:00,500 --> 00:00:02,000\nhello\n"), 0o644)
	meta := filepath.Join(dir, "meta.txt")
	os.WriteFile(meta, []byte(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=Intro\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Demo\n"), 0o644)
	for _, tc := range []struct{ name, subCodec string }{{"talk.mp4", "mov_text"}, {"talk.mkv", "srt"}} {
		src := filepath.Join(dir, tc.name)
		run("-i", base, "-i", srt, "-i", meta, "-map", "0", "-map", "1", "-map_chapters", "2", "-c", "copy", "-c:s", tc.subCodec, src)
		lim := video.Limits{MaxPixels: 1e8, MaxDuration: 60}
		info, err := video.Probe(context.Background(), src, lim)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, video.RedactedName(src))
		masks := []video.Mask{{Start: 1, End: 2, Box: image.Rect(10, 10, 100, 40)}}
		if err := video.Redact(context.Background(), src, dst, info, masks, video.RedactOptions{}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := video.Probe(context.Background(), dst, lim)
		if err != nil {
			t.Fatal(err)
		}
		if got.Width != 321 || got.Height != 240 || got.Audio != 1 || got.Subs != 1 {
			t.Errorf("%s: copy %dx%d, %d audio, %d subtitle streams; want 321x240, 1, 1", tc.name, got.Width, got.Height, got.Audio, got.Subs)
		}
		out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_chapters", dst).Output()
		if err != nil {
			t.Fatal(err)
		}
		var ch struct{ Chapters []any }
		json.Unmarshal(out, &ch)
		if len(ch.Chapters) != 2 {
			t.Errorf("%s: %d chapters in the copy, want 2", tc.name, len(ch.Chapters))
		}
		if err := video.Redact(context.Background(), src, dst, info, masks, video.RedactOptions{}); err == nil {
			t.Errorf("%s: redacting onto an existing file succeeded", tc.name)
		}
	}
}
