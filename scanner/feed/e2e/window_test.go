package e2e

import (
	"image"
	"sync"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/feed"
)

// TestWindowOnSecondMonitor: on a two-monitor X screen the feed of monitor
// 0 goes to a full-screen window on monitor 1 (the projector); grabbing
// monitor 1 gives what the feed wrote.
func TestWindowOnSecondMonitor(t *testing.T) {
	base := crop(denseScreen(t), image.Rect(0, 0, 1280, 720))
	mon := []image.Rectangle{image.Rect(0, 0, 1280, 720), image.Rect(1280, 0, 2560, 720)}
	r := startRigWith(t, base, feed.DefaultDelay, corpusRules(t), rigOpts{xscreen: image.Pt(2560, 720), monitors: mon, target: "window:1"})
	// The recorder calls check outside its lock (from the feed's
	// goroutine): last has its own.
	var (
		lastMu sync.Mutex
		last   *image.RGBA
	)
	r.rec.mu.Lock()
	r.rec.check = func(_ string, img *image.RGBA, _ int64, _ time.Time) {
		c := image.NewRGBA(img.Rect)
		copy(c.Pix, img.Pix)
		lastMu.Lock()
		last = c
		lastMu.Unlock()
	}
	r.rec.mu.Unlock()
	time.Sleep(time.Second) // the screen is still: every frame is the same
	cp, err := capture.OpenWith(capture.Options{Display: r.disp})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	got, err := cp.Capture(capture.Display{Index: 1, Bounds: mon[1]})
	if err != nil {
		t.Fatal(err)
	}
	lastMu.Lock()
	want := last
	lastMu.Unlock()
	if want == nil {
		t.Fatal("the feed wrote nothing")
	}
	got = &image.RGBA{Pix: got.Pix, Stride: got.Stride, Rect: image.Rect(0, 0, got.Rect.Dx(), got.Rect.Dy())}
	if d, _ := meanOutside(got, want, []image.Rectangle{stampRect}); d > 1 {
		t.Errorf("monitor 1 does not show the feed of monitor 0 (worst tile differs by %.1f)", d)
	}
	if d, _ := meanOutside(got, base, []image.Rectangle{stampRect}); d > sameTol {
		t.Errorf("monitor 1 does not show monitor 0's screen (worst tile differs by %.1f, covers aside)", d)
	}
	if bw := r.out.Bounds(); bw != mon[1] {
		t.Errorf("window bounds %v, want monitor 1 %v", bw, mon[1])
	}
}
