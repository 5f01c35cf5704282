package linecache

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/demoguard/demoguard/rules"
)

func TestCacheKeyIsPixelsNotPlace(t *testing.T) {
	img := blank(400, 200)
	put(img, image.Rect(10, 10, 60, 24), "Walmart")
	put(img, image.Rect(10, 112, 60, 126), "Walmart")
	a := Key(img, image.Rect(5, 5, 100, 30))
	b := Key(img, image.Rect(5, 107, 100, 132))
	if a != b {
		t.Fatal("same pixels at another place give another key")
	}
	if c := Key(img, image.Rect(5, 5, 101, 30)); c == a {
		t.Fatal("different size, same key")
	}
	put(img, image.Rect(70, 112, 80, 126), "x")
	if c := Key(img, image.Rect(5, 107, 100, 132)); c == a {
		t.Fatal("different pixels, same key")
	}
}

func TestCacheTranslatesAndCopies(t *testing.T) {
	c := New(2)
	lines := []rules.Line{{Box: rules.Box{X: 110, Y: 220, W: 50, H: 10}, Words: []rules.Word{{Text: "a", Box: rules.Box{X: 110, Y: 220, W: 50, H: 10}}}}}
	c.Put(1, image.Pt(100, 200), lines)
	got, ok := c.Get(1, image.Pt(0, 500))
	if !ok {
		t.Fatal("miss")
	}
	if b := got[0].Words[0].Box; b.X != 10 || b.Y != 520 {
		t.Fatalf("word box %v, want at 10,520", b)
	}
	got[0].Words[0].Text = "changed"
	again, _ := c.Get(1, image.Pt(0, 0))
	if again[0].Words[0].Text != "a" {
		t.Fatal("cache shares word slices with callers")
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := New(2)
	c.Put(1, image.Point{}, nil)
	c.Put(2, image.Point{}, nil)
	c.Get(1, image.Point{})
	c.Put(3, image.Point{}, nil)
	if _, ok := c.Get(2, image.Point{}); ok {
		t.Fatal("2 should have been evicted")
	}
	if _, ok := c.Get(1, image.Point{}); !ok {
		t.Fatal("1 was used recently and evicted")
	}
	if _, _, n := c.Stats(); n != 2 {
		t.Fatalf("%d entries, want 2", n)
	}
}

func blank(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	return img
}

// put draws a textured block at r whose colour stands for word.
func put(img *image.RGBA, r image.Rectangle, word string) {
	c := color.RGBA{uint8(len(word)), uint8(word[0]), 0, 255}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if (x+y)%3 != 0 {
				img.SetRGBA(x, y, c)
			}
		}
	}
}
