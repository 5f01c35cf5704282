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
	if w.Take() {
		t.Fatal("nothing drawn, yet a change reported")
	}
	win, err := xtest.ShowImage(disp, image.NewRGBA(image.Rect(0, 0, 50, 40)), 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer win.Close()
	select {
	case <-w.Changed():
	case <-time.After(10 * time.Second):
		t.Fatal("no damage notification for a new window")
	}
	if !w.Take() {
		t.Fatal("a window was drawn, Take says nothing changed")
	}
	w.Close()
	if !w.Take() {
		t.Fatal("a closed watcher must report changes (fall back to comparing frames)")
	}
}
