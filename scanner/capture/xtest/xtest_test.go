package xtest_test

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/capture/xtest"
)

func grab(t *testing.T, display string) *image.RGBA {
	t.Helper()
	c, err := capture.OpenWith(capture.Options{Display: display})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ds, err := c.Displays()
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.Capture(ds[0])
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func fill(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

func sameAt(t *testing.T, got *image.RGBA, at image.Point, want image.Image) {
	t.Helper()
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := want.At(x, y).RGBA()
			w := color.RGBA{byte(r >> 8), byte(g >> 8), byte(bl >> 8), 0xff}
			if p := got.RGBAAt(at.X+x-b.Min.X, at.Y+y-b.Min.Y); p != w {
				t.Fatalf("pixel (%d,%d) of the image = %v on screen, want %v", x, y, p, w)
			}
		}
	}
}

func TestServersGetDistinctDisplays(t *testing.T) {
	a, b := xtest.StartXvfb(t), xtest.StartXvfb(t)
	if a == b {
		t.Fatalf("both servers on %s", a)
	}
	for _, d := range []string{a, b} {
		if img := grab(t, d); img.Rect != image.Rect(0, 0, 1920, 1080) {
			t.Fatalf("%s: screen %v", d, img.Rect)
		}
	}
}

// Images of any size and type land pixel-exact; the tall one needs dozens
// of PutImage requests, a Paletted one goes through the generic path.
func TestShowImageSizesAndTypes(t *testing.T) {
	display := xtest.StartXvfb(t)
	if err := xtest.SetRootImage(display, fill(1920, 1080, color.Black)); err != nil {
		t.Fatal(err)
	}
	tall := image.NewRGBA(image.Rect(0, 0, 333, 1000))
	for i := range tall.Pix {
		tall.Pix[i] = byte(i * 7)
		if i%4 == 3 {
			tall.Pix[i] = 0xff
		}
	}
	pal := image.NewPaletted(image.Rect(10, 10, 60, 30), color.Palette{color.RGBA{200, 10, 10, 255}, color.RGBA{10, 200, 10, 255}})
	for i := range pal.Pix {
		pal.Pix[i] = byte(i % 2)
	}
	tests := []struct {
		name string
		img  image.Image
		at   image.Point
	}{
		{"1x1", fill(1, 1, color.RGBA{1, 2, 3, 255}), image.Pt(0, 0)},
		{"tall odd width", tall, image.Pt(1587, 80)},
		{"paletted with offset bounds", pal, image.Pt(700, 500)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := xtest.ShowImage(display, tt.img, tt.at.X, tt.at.Y)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			sameAt(t, grab(t, display), tt.at, tt.img)
		})
	}
}

// The slide stays after the client that set it has gone, and a new one
// replaces it.
func TestSetRootImagePersistsAndReplaces(t *testing.T) {
	display := xtest.StartXvfb(t)
	for _, c := range []color.RGBA{{255, 0, 0, 255}, {0, 0, 255, 255}} {
		slide := fill(1920, 1080, c)
		if err := xtest.SetRootImage(display, slide); err != nil {
			t.Fatal(err)
		}
		sameAt(t, grab(t, display), image.Point{}, slide)
	}
	// Smaller than the screen: top-left, black elsewhere.
	small := fill(100, 50, color.RGBA{0, 255, 0, 255})
	if err := xtest.SetRootImage(display, small); err != nil {
		t.Fatal(err)
	}
	img := grab(t, display)
	sameAt(t, img, image.Point{}, small)
	sameAt(t, img, image.Pt(100, 0), fill(1820, 1080, color.Black))
}

func TestRestartKeepsDisplay(t *testing.T) {
	srv := xtest.StartServer(t)
	before := srv.Display
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if srv.Display != before {
		t.Fatalf("restarted on %s, was %s", srv.Display, before)
	}
	grab(t, srv.Display)
}

// Several Xvfb screens are separate X screens, each with its own root at
// 0,0 (NOTES): ":N.1" reaches the second one.
func TestMultiScreenXvfb(t *testing.T) {
	display := xtest.StartXvfb(t, "1920x1080x24", "1280x720x24")
	for _, tt := range []struct {
		screen string
		want   image.Rectangle
	}{
		{display + ".0", image.Rect(0, 0, 1920, 1080)},
		{display + ".1", image.Rect(0, 0, 1280, 720)},
	} {
		if got := grab(t, tt.screen).Rect; got != tt.want {
			t.Errorf("%s: %v, want %v", tt.screen, got, tt.want)
		}
	}
}

// With +xinerama Xvfb joins its screens into one root, but places every
// screen at 0,0 (no layout) and RandR describes only screen 0. The capturer
// then takes Xinerama's list: two heads, both at the origin.
func TestXineramaScreens(t *testing.T) {
	display := xtest.StartXvfb(t, "1920x1080x24", "1280x720x24", "+xinerama")
	c, err := capture.OpenWith(capture.Options{Display: display})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ds, err := c.Displays()
	if err != nil {
		t.Fatal(err)
	}
	want := []image.Rectangle{image.Rect(0, 0, 1920, 1080), image.Rect(0, 0, 1280, 720)}
	if len(ds) != len(want) {
		t.Fatalf("displays %+v, want bounds %v", ds, want)
	}
	for i, d := range ds {
		if d.Bounds != want[i] {
			t.Errorf("display %d bounds %v, want %v", i, d.Bounds, want[i])
		}
		img, err := c.Capture(d)
		if err != nil {
			t.Fatal(err)
		}
		if img.Rect.Size() != d.Bounds.Size() {
			t.Fatalf("display %d: image %v for bounds %v", d.Index, img.Rect, d.Bounds)
		}
	}
}

// A window redrawn with Draw shows the new image (a video frame).
func TestWindowDraw(t *testing.T) {
	display := xtest.StartXvfb(t)
	w, err := xtest.ShowImage(display, fill(64, 48, color.RGBA{200, 0, 0, 255}), 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	next := fill(64, 48, color.RGBA{0, 0, 200, 255})
	next.Set(5, 7, color.RGBA{0, 255, 0, 255})
	if err := w.Draw(next); err != nil {
		t.Fatal(err)
	}
	sameAt(t, grab(t, display), image.Pt(100, 50), next)
}
