package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"testing"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Slots are handed out urgent waiters first, then others in arrival order;
// a waiter that gives up leaves no hole and loses no slot.
func TestPoolSlotsServeUrgentFirst(t *testing.T) {
	p := &pool{slots: 1, free: make([]*worker, 1)}
	w0 := &worker{pid: 1}
	if _, err := p.get(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 3)
	queued := [2]int{}
	wait := func(name string, urgent bool) {
		q := 1
		if urgent {
			q = 0
		}
		queued[q]++
		want := queued
		go func() {
			w, err := p.get(context.Background(), urgent)
			if err != nil {
				got <- "error " + err.Error()
				return
			}
			got <- name
			p.put(w)
		}()
		waitFor(t, func() bool {
			p.slotMu.Lock()
			defer p.slotMu.Unlock()
			return len(p.waiters[0]) == want[0] && len(p.waiters[1]) == want[1]
		})
	}
	wait("normal-1", false)
	wait("normal-2", false)
	// One that gives up while waiting: it must not swallow the slot.
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { _, err := p.get(ctx, true); gaveUp <- err }()
	waitFor(t, func() bool { p.slotMu.Lock(); defer p.slotMu.Unlock(); return len(p.waiters[0]) == 1 })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	wait("urgent", true)
	p.put(w0)
	var order []string
	for range 3 {
		select {
		case s := <-got:
			order = append(order, s)
		case <-time.After(5 * time.Second):
			t.Fatalf("slot lost: served %v", order)
		}
	}
	want := []string{"urgent", "normal-1", "normal-2"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("served %v, want %v", order, want)
		}
	}
	if w, ok := p.tryGet(); !ok || w != w0 {
		t.Fatalf("slot not back in the free queue: %v %v", w, ok)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

// A background read (an area that keeps changing) never holds every
// worker: one stays free for a notification.
func TestBackgroundReadLeavesAWorker(t *testing.T) {
	e, err := New(Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	img := textImage(t, 1200, 400)
	if _, err := e.Recognize(context.Background(), img); err != nil { // both workers started
		t.Fatal(err)
	}
	for _, bg := range []bool{true, false} {
		done := make(chan error, 1)
		go func() {
			var err error
			if bg {
				_, err = e.RecognizeRegionsBackground(context.Background(), img, []image.Rectangle{img.Bounds()})
			} else {
				_, err = e.RecognizeRegions(context.Background(), img, []image.Rectangle{img.Bounds()})
			}
			done <- err
		}()
		minFree := e.opts.Workers
	sample:
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				break sample
			default:
			}
			e.pool.slotMu.Lock()
			minFree = min(minFree, len(e.pool.free))
			e.pool.slotMu.Unlock()
			time.Sleep(time.Millisecond)
		}
		if bg && minFree < 1 {
			t.Fatal("a background read took every worker")
		}
		if !bg && minFree != 0 {
			t.Fatalf("a normal read of a full screen left %d workers idle throughout (the check cannot fail)", minFree)
		}
	}
}

// textImage is a screen of lines of text, enough for several canvases.
func textImage(t *testing.T, w, h int) *image.RGBA {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13}
	for y := 20; y < h; y += 22 {
		for x := 10; x < w-200; x += 400 {
			d.Dot = fixed.P(x, y)
			d.DrawString(fmt.Sprintf("Line %d column %d: quarterly figures", y, x))
		}
	}
	return img
}
