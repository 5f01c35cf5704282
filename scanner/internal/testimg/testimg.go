// Package testimg draws the synthetic screens the pipeline's unit tests
// use: a white screen, and text stand-ins textured like glyphs (a solid
// block would look like background to change detection's blank tests).
package testimg

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
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

// Terminal is a terminal's scrollback, w×h: numbered log lines in a
// 7×13 bitmap font every 18 px, light on dark, with no planted item.
// Benchmarks scroll a window showing it to make an area that keeps
// changing.
func Terminal(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{24, 26, 30, 255}), image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.RGBA{210, 215, 205, 255}), Face: basicfont.Face7x13}
	words := []string{"GET", "/api/v2/orders", "200", "latency", "ms", "cache", "hit", "worker", "queue", "flush", "ok", "retry"}
	for i := 0; (i+1)*18 < h; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "%05d 12:%02d:%02d ", i, i/60%60, i%60)
		for j := range 8 {
			b.WriteString(words[(i*7+j*3)%len(words)] + " ")
		}
		d.Dot = fixed.P(8, (i+1)*18)
		d.DrawString(b.String())
	}
	return img
}
