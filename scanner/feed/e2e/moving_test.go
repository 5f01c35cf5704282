package e2e

import (
	"image"
	"image/color"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/internal/testimg"
)

// movers are windows that never stop changing beside the cards: a terminal
// scrolling a line every 100 ms and a playing video without text (15 fps).
// Before the feed read lines on their own, either one held every change
// near it: the cards were never shown.
type movers struct {
	term, video image.Rectangle
	stop        func()
}

// startMovers maps the two windows at term and video (root coordinates)
// and keeps them moving until stop.
func startMovers(t *testing.T, disp string, term, video image.Rectangle) *movers {
	t.Helper()
	log := testimg.Terminal(term.Dx(), 60*18+term.Dy())
	crop := func(y int) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, term.Dx(), term.Dy()))
		for row := range term.Dy() {
			copy(img.Pix[row*img.Stride:(row+1)*img.Stride], log.Pix[(y+row)*log.Stride:])
		}
		return img
	}
	tw, err := xtest.ShowImage(disp, crop(0), term.Min.X, term.Min.Y)
	if err != nil {
		t.Fatal(err)
	}
	frame := image.NewRGBA(image.Rect(0, 0, video.Dx(), video.Dy()))
	smoothVideo(frame, 0)
	vw, err := xtest.ShowImage(disp, frame, video.Min.X, video.Min.Y)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for i := 1; ; i++ {
			select {
			case <-done:
				return
			case <-tk.C:
			}
			if err := tw.Draw(crop(i % 60 * 18)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		tk := time.NewTicker(66 * time.Millisecond)
		defer tk.Stop()
		for i := 1; ; i++ {
			select {
			case <-done:
				return
			case <-tk.C:
			}
			smoothVideo(frame, i)
			if err := vw.Draw(frame); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	m := &movers{term: term, video: video}
	m.stop = sync.OnceFunc(func() {
		close(done)
		wg.Wait()
		tw.Close()
		vw.Close()
	})
	t.Cleanup(m.stop)
	return m
}

// smoothVideo draws frame i of a picture without text: soft rings of
// colour drifting across, as camera footage looks to the pixel test (no
// sharp strokes).
func smoothVideo(img *image.RGBA, i int) {
	b := img.Rect
	cx := float64(b.Dx()) * (0.5 + 0.3*math.Sin(float64(i)/20))
	cy := float64(b.Dy()) * (0.5 + 0.3*math.Cos(float64(i)/27))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			d := math.Hypot(float64(x)-cx, float64(y)-cy)
			v := 128 + 90*math.Sin(d/22-float64(i)/4)
			img.SetRGBA(x, y, color.RGBA{uint8(v), uint8(200 - v/3), uint8(60 + v/2), 255})
		}
	}
}

// overlapsAny reports whether r (grown by a margin) touches any of rs.
func overlapsAny(r image.Rectangle, rs ...image.Rectangle) bool {
	for _, o := range rs {
		if r.Inset(-16).Overlaps(o) {
			return true
		}
	}
	return false
}
