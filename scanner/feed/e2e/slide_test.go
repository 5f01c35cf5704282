package e2e

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"image"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/feed"
	"github.com/demoguard/demoguard/scanner/internal/corpus"
)

// TestSlideChangeNeverPartRead: one dense screen is replaced by another.
// Every frame the feed writes shows, tile by tile, either the old screen as
// shown or the new one as finally shown (findings covered): never new
// pixels that were not checked, never a third state.
func TestSlideChangeNeverPartRead(t *testing.T) {
	var a, b *image.RGBA
	for _, s := range corpus.Generate(1) {
		switch {
		case s.Style == "spreadsheet" && s.W == 1920 && s.H == 1080:
			a = crop(s.Image, image.Rect(0, 0, 1280, 720))
		case s.Style == "document" && s.W == 1920 && s.H == 1080:
			b = crop(s.Image, image.Rect(0, 0, 1280, 720))
		}
	}
	if a == nil || b == nil {
		t.Fatal("corpus screens missing")
	}
	r := startRig(t, a, feed.DefaultDelay, corpusRules(t))
	seed := maphash.MakeSeed()
	var mu sync.Mutex
	var frames [][]uint64 // tile hashes of every frame written after the change
	var changed time.Time
	store := map[uint64][]byte{} // tile pixels by hash
	// The old screen as shown: the feed's next frame.
	var old []uint64
	r.rec.mu.Lock()
	r.rec.check = func(_ string, img *image.RGBA, _ int64, _ time.Time) {
		mu.Lock()
		h := tileHashes(img, seed, store)
		if old == nil {
			old = h
		}
		if !changed.IsZero() {
			frames = append(frames, h)
		}
		mu.Unlock()
	}
	r.rec.mu.Unlock()
	waitFor(&mu, func() bool { return old != nil }, 5*time.Second)
	mu.Lock()
	changed = time.Now()
	mu.Unlock()
	if err := xtest.SetRootImage(r.disp, b); err != nil {
		t.Fatal(err)
	}
	// Until the new screen is read and shown.
	deadline := time.Now().Add(10 * time.Minute)
	time.Sleep(time.Second)
	for r.agent.Pending() > 0 || r.feed.Stats().Held > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("new screen not shown after 10 minutes: %+v", r.feed.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(r.delay + 300*time.Millisecond)
	shownAfter := time.Since(changed)
	r.stop()
	mu.Lock()
	defer mu.Unlock()
	if len(frames) < 10 {
		t.Fatalf("only %d frames after the change", len(frames))
	}
	final := frames[len(frames)-1]
	same := 0
	for i := range final {
		if final[i] == old[i] {
			same++
		}
	}
	if same*2 > len(final) {
		t.Fatalf("the new screen is not in the feed (%d of %d tiles as before)", same, len(final))
	}
	var oldFrames, newFrames, mixed, other int
	for k, f := range frames {
		nOld, nNew, boundary := 0, 0, 0
		for i := range f {
			switch {
			case f[i] == old[i] && f[i] == final[i]:
				nOld++
				nNew++
			case f[i] == old[i]:
				nOld++
			case f[i] == final[i]:
				nNew++
			default:
				// A tile where a region checked and shown meets one still
				// held: each pixel must be old or new as finally shown.
				boundary++
				tp, op, np := store[f[i]], store[old[i]], store[final[i]]
				for j := 0; j+4 <= len(tp); j += 4 {
					// A cover reaches a few pixels past its line (the
					// margin of anti-aliased glyphs): while the line waits
					// unread, those pixels show the new screen.
					if !bytes.Equal(tp[j:j+4], op[j:j+4]) && !bytes.Equal(tp[j:j+4], np[j:j+4]) && !coverLike(np[j:j+4]) {
						other++
						if other < 5 {
							t.Errorf("frame %d after the change: tile %d has pixels of neither the old screen nor the checked new one", k, i)
							if *pngDir != "" {
								for name, px := range map[string][]byte{"got": tp, "old": op, "new": np} {
									img := image.NewRGBA(image.Rect(0, 0, 32, len(px)/4/32))
									copy(img.Pix, px)
									savePNG(t, filepath.Join(*pngDir, fmt.Sprintf("slide-f%d-t%d-%s.png", k, i, name)), img)
								}
							}
						}
						break
					}
				}
			}
		}
		switch {
		case nOld == len(f):
			oldFrames++
		case nNew == len(f):
			newFrames++
		default:
			mixed++
		}
	}
	t.Logf("slide change: %d frames old, %d mixed (regions checked at different times), %d new, %d tiles with foreign pixels; new screen shown %v after the change",
		oldFrames, mixed, newFrames, other, shownAfter.Round(time.Millisecond))
	if oldFrames == 0 {
		t.Error("the new screen appeared at once: the feed cannot have read it")
	}
}

// tileHashes hashes img in 32×32 tiles (the feed's frames are exact, not
// encoded, so equal pixels give equal hashes).
func tileHashes(img *image.RGBA, seed maphash.Seed, store map[uint64][]byte) []uint64 {
	const tile = 32
	var out []uint64
	for ty := 0; ty < img.Rect.Dy(); ty += tile {
		for tx := 0; tx < img.Rect.Dx(); tx += tile {
			r := image.Rect(tx, ty, tx+tile, ty+tile).Intersect(img.Rect)
			var h maphash.Hash
			h.SetSeed(seed)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				h.Write(img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)])
			}
			k := h.Sum64()
			if _, ok := store[k]; !ok {
				var px []byte
				for y := r.Min.Y; y < r.Max.Y; y++ {
					px = append(px, img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]...)
				}
				store[k] = px
			}
			out = append(out, k)
		}
	}
	return out
}
