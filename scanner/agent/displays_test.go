package agent

import (
	"image"
	"testing"
)

// Displays follows monitors plugged in and out, sorted by index.
func TestAgentDisplaysFollowsHotplug(t *testing.T) {
	h := newHarness(t, Display{Index: 0, Bounds: image.Rect(0, 0, 1280, 720)})
	if ds := h.a.Displays(); len(ds) != 1 || ds[0].Index != 0 {
		t.Fatalf("displays %v, want 0", ds)
	}
	left := Display{Index: 1, Bounds: image.Rect(-1920, 0, 0, 1080)}
	h.cap.mu.Lock()
	h.cap.displays = append(h.cap.displays, left)
	h.cap.screens[1] = blank(1920, 1080)
	h.cap.mu.Unlock()
	if err := h.a.refreshDisplays(false); err != nil {
		t.Fatal(err)
	}
	if ds := h.a.Displays(); len(ds) != 2 || ds[0].Index != 0 || ds[1] != left {
		t.Fatalf("displays %v, want 0 and %v", ds, left)
	}
	h.cap.mu.Lock()
	h.cap.displays = h.cap.displays[1:]
	h.cap.mu.Unlock()
	if err := h.a.refreshDisplays(false); err != nil {
		t.Fatal(err)
	}
	if ds := h.a.Displays(); len(ds) != 1 || ds[0] != left {
		t.Fatalf("displays %v after unplugging 0, want only %v", ds, left)
	}
}
