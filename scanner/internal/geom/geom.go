// Package geom converts between rules.Box (what OCR and rules report) and
// image.Rectangle (what frames are cut by), and merges rectangles; shared by
// the pipeline's stages so each does not keep its own copy.
package geom

import (
	"image"

	"github.com/demoguard/demoguard/rules"
)

// Rect is b as a rectangle.
func Rect(b rules.Box) image.Rectangle { return image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H) }

// Box is r as a box.
func Box(r image.Rectangle) rules.Box {
	return rules.Box{X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()}
}

// Area is the number of pixels of r (0 when empty).
func Area(r image.Rectangle) int {
	if r.Empty() {
		return 0
	}
	return r.Dx() * r.Dy()
}

// Merge merges rectangles that overlap or lie within slack pixels of each
// other until none do. It reuses rs.
func Merge(rs []image.Rectangle, slack int) []image.Rectangle {
	for {
		merged := false
		for i := 0; i < len(rs); i++ {
			for j := i + 1; j < len(rs); j++ {
				if rs[i].Inset(-slack).Overlaps(rs[j]) {
					rs[i] = rs[i].Union(rs[j])
					rs = append(rs[:j], rs[j+1:]...)
					merged = true
					j--
				}
			}
		}
		if !merged {
			return rs
		}
	}
}

// OverlapsAny reports whether r overlaps any of rs.
func OverlapsAny(r image.Rectangle, rs []image.Rectangle) bool {
	for _, o := range rs {
		if r.Overlaps(o) {
			return true
		}
	}
	return false
}
