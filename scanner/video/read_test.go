package video_test

import (
	"context"
	"errors"
	"image"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/video"
)

type failOCR struct{ calls int }

func (f *failOCR) RecognizeRegions(context.Context, image.Image, []image.Rectangle) ([]rules.Line, error) {
	f.calls++
	return nil, errors.New("worker died")
}

type noMatch struct{}

func (noMatch) Match([]rules.Line) []rules.Finding { return nil }

// TestReadStopsOnError: an OCR failure ends the read at that frame, with
// ffmpeg stopped (not left decoding the rest), and names the frame.
func TestReadStopsOnError(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not installed (apt-get install ffmpeg)")
	}
	path := filepath.Join(t.TempDir(), "t.mkv")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=s=320x240:r=30:d=120",
		"-c:v", "libx264", "-preset", "ultrafast", "-t", "120", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	ocr := &failOCR{}
	_, err := video.Read(context.Background(), path, video.Config{Recognizer: ocr, Matcher: noMatch{}, Limits: video.Limits{MaxDuration: 3600}})
	if err == nil || !strings.Contains(err.Error(), "frame 0 (00:00:00.000): ocr: worker died") || ocr.calls != 1 {
		t.Errorf("error %v after %d OCR calls, want frame 0's OCR error after one", err, ocr.calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := video.Read(ctx, path, video.Config{Recognizer: ocr, Matcher: noMatch{}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
}
