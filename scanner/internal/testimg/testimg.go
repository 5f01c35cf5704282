// Package testimg draws the synthetic screens the pipeline's unit tests
// use: a white screen, and text stand-ins textured like glyphs (a solid
// block would look like background to change detection's blank tests).
package testimg

import (
	"image"
	"image/color"
	"image/draw"
)

// Blank is a white w×h screen.
func Blank(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	return img
}

// Clone is a copy of img.
func Clone(img *image.RGBA) *image.RGBA {
	c := image.NewRGBA(img.Rect)
	copy(c.Pix, img.Pix)
	return c
}

// Ink fills r with c, every third pixel diagonally left as bg.
func Ink(img *image.RGBA, r image.Rectangle, c, bg color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if (x+y)%3 == 0 {
				img.SetRGBA(x, y, bg)
			} else {
				img.SetRGBA(x, y, c)
			}
		}
	}
}
