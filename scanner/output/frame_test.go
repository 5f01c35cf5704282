package output

import (
	"fmt"
	"image"
	"image/color"
	"testing"
)

func TestFit(t *testing.T) {
	src := testFrame(5, 3, 2)
	src.SetRGBA(4, 2, color.RGBA{1, 2, 3, 255}) // bottom-right corner

	// Same size: a copy.
	dst := image.NewRGBA(image.Rect(0, 0, 5, 3))
	fit(dst, src)
	if n, p := samePixelsAll(dst, src); n != 0 {
		t.Errorf("same size: %d pixels differ, first %v", n, p)
	}

	// One wider and taller (odd → even): the last column and row repeat.
	dst = image.NewRGBA(image.Rect(0, 0, 6, 4))
	fit(dst, src)
	for y := 0; y < 4; y++ {
		for x := 0; x < 6; x++ {
			want := src.RGBAAt(min(x, 4), min(y, 2))
			if got := dst.RGBAAt(x, y); got != want {
				t.Errorf("padded (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}

	// A sub-image source (non-zero Min, stride of the parent).
	big := testFrame(40, 30, 4)
	sub := big.SubImage(image.Rect(10, 5, 30, 25)).(*image.RGBA)
	dst = image.NewRGBA(image.Rect(0, 0, 20, 20))
	fit(dst, sub)
	if dst.RGBAAt(0, 0) != big.RGBAAt(10, 5) || dst.RGBAAt(19, 19) != big.RGBAAt(29, 24) {
		t.Errorf("sub-image copied wrong")
	}

	// Other sizes: scaled, aspect kept, black bars. 4×2 into 8×8: 8×4 in
	// the middle rows 2–5.
	src = image.NewRGBA(image.Rect(0, 0, 4, 2))
	for x := 0; x < 4; x++ {
		src.SetRGBA(x, 0, color.RGBA{uint8(10 * (x + 1)), 0, 0, 255})
		src.SetRGBA(x, 1, color.RGBA{0, uint8(10 * (x + 1)), 0, 255})
	}
	dst = image.NewRGBA(image.Rect(0, 0, 8, 8))
	fit(dst, src)
	black := color.RGBA{0, 0, 0, 255}
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			want := black
			if y >= 2 && y < 6 {
				want = src.RGBAAt(x/2, (y-2)/2)
			}
			if got := dst.RGBAAt(x, y); got != want {
				t.Errorf("scaled (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
}

func samePixelsAll(a, b *image.RGBA) (int, image.Point) {
	n, first := 0, image.Pt(-1, -1)
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				if n == 0 {
					first = image.Pt(x, y)
				}
				n++
			}
		}
	}
	return n, first
}

// TestCheckingFrame: neutral grey with a small mark, and nothing else (no
// text: only the two colours).
func TestCheckingFrame(t *testing.T) {
	img := CheckingFrame(1920, 1080)
	counts := map[color.RGBA]int{}
	for y := 0; y < 1080; y++ {
		for x := 0; x < 1920; x++ {
			counts[img.RGBAAt(x, y)]++
		}
	}
	if len(counts) != 2 || counts[checkingBG] == 0 || counts[checkingMark] == 0 {
		t.Fatalf("colours %v, want background and mark only", counts)
	}
	if m := counts[checkingMark]; m > 1920*1080/100 {
		t.Errorf("mark covers %d pixels: not small", m)
	}
	if img.RGBAAt(960, 540-54+2) != checkingMark || img.RGBAAt(0, 0) != checkingBG {
		t.Errorf("mark not centred")
	}
	if c := CheckingFrame(3, 1); c.Rect.Dx() != 3 || c.RGBAAt(1, 0) != checkingBG {
		t.Errorf("tiny checking frame wrong")
	}
}

// BenchmarkToBGRX: the window's per-frame conversion, 1080p at 1:1 and
// scaled to a 1280×720 window.
func BenchmarkToBGRX(b *testing.B) {
	src := testFrame(1920, 1080, 3)
	for _, sz := range []image.Point{{1920, 1080}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			dst := make([]byte, sz.X*sz.Y*4)
			for b.Loop() {
				toBGRX(dst, sz.X, sz.Y, src)
			}
		})
	}
	b.Run("Write-copy", func(b *testing.B) {
		dst := image.NewRGBA(src.Rect)
		for b.Loop() {
			fit(dst, src)
		}
	})
}
