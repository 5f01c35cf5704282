package xdamage

import (
	"image"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/capture/xtest"
)

func TestDamageReportsDrawing(t *testing.T) {
	disp := xtest.StartXvfb(t, "640x480x24")
	w, err := Open(disp)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if !w.Take() {
		t.Fatal("the first Take must report a change (nothing was read yet)")
	}
	// A fresh server may still paint its root for a moment: wait until
	// nothing more is reported.
	for i := 0; w.Take(); i++ {
		if i > 100 {
			t.Fatal("changes reported while nothing is drawn")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select { // a notification left over from the settling above
	case <-w.Changed():
	default:
	}
	win, err := xtest.ShowImage(disp, image.NewRGBA(image.Rect(0, 0, 50, 40)), 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer win.Close()
	// Where it was drawn is known before Take (the agent decides with it
	// how soon to capture).
	deadline := time.Now().Add(10 * time.Second)
	for !overlapsAny(w.Damaged(), image.Rect(10, 10, 60, 50)) {
		if time.Now().After(deadline) {
			t.Fatalf("window drawn at (10,10)-(60,50); damaged %v", w.Damaged())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Notifications are coalesced hints; Take is the truth.
	deadline = time.Now().Add(10 * time.Second)
	for !w.Take() {
		if time.Now().After(deadline) {
			t.Fatal("a window was drawn, Take says nothing changed")
		}
		select {
		case <-w.Changed():
		case <-time.After(100 * time.Millisecond):
		}
	}
	if w.Take(); len(w.Damaged()) != 0 {
		t.Fatalf("Take did not reset where: %v", w.Damaged())
	}
	w.Close()
	if !w.Take() {
		t.Fatal("a closed watcher must report changes (fall back to comparing frames)")
	}
}

// The X server restarts: changes are reported on every Take meanwhile (the
// agent compares frames), then the watcher reconnects.
func TestDamageReconnects(t *testing.T) {
	srv := xtest.StartServer(t, "640x480x24")
	w, err := Open(srv.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Take()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for w.broken.Load() || !w.Take() || w.Take() {
		// broken: Take is always true; once reconnected, the first Take is
		// true (re-read everything) and the next false.
		if time.Now().After(deadline) {
			t.Fatal("no reconnect within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func overlapsAny(rs []image.Rectangle, r image.Rectangle) bool {
	for _, q := range rs {
		if q.Overlaps(r) {
			return true
		}
	}
	return false
}
