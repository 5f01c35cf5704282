package geom

import (
	"image"
	"testing"
)

func TestMergeRects(t *testing.T) {
	got := Merge([]image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(11, 0, 20, 10), image.Rect(100, 100, 110, 110)}, 2)
	if len(got) != 2 || got[0] != image.Rect(0, 0, 20, 10) {
		t.Fatalf("got %v", got)
	}
}
