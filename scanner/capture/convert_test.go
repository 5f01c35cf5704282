package capture

import (
	"encoding/binary"
	"image"
	"image/color"
	"testing"
)

// encode packs c as a 32-bit pixel the way a server with format f sends it.
func encode(f pixelFormat, c color.RGBA) []byte {
	put := func(mask uint32, v byte) uint32 {
		ch := newChannel(mask)
		x := uint32(v)
		if ch.width > 8 {
			x = x<<(ch.width-8) | x>>(16-ch.width)
		} else {
			x >>= 8 - ch.width
		}
		return x << ch.shift
	}
	v := put(f.rMask, c.R) | put(f.gMask, c.G) | put(f.bMask, c.B)
	b := make([]byte, 4)
	if f.msbFirst {
		binary.BigEndian.PutUint32(b, v)
	} else {
		binary.LittleEndian.PutUint32(b, v)
	}
	return b
}

func TestConvertFormats(t *testing.T) {
	colours := []color.RGBA{{0, 0, 0, 255}, {255, 255, 255, 255}, {0x12, 0x34, 0x56, 255}, {255, 0, 128, 255}}
	tests := []struct {
		name string
		f    pixelFormat
	}{
		{"BGRX little-endian (fast path)", bgrx},
		{"BGRX big-endian", pixelFormat{msbFirst: true, rMask: 0xff0000, gMask: 0xff00, bMask: 0xff}},
		{"RGBX little-endian", pixelFormat{rMask: 0xff, gMask: 0xff00, bMask: 0xff0000}},
		{"depth 30, 10 bits per channel", pixelFormat{rMask: 0x3ff00000, gMask: 0xffc00, bMask: 0x3ff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Helper()
			var src []byte
			for _, c := range colours {
				src = append(src, encode(tt.f, c)...)
			}
			// Garbage in the padding byte must not leak into alpha.
			if tt.f == bgrx {
				for i := 3; i < len(src); i += 4 {
					src[i] = 0x5a
				}
			}
			dst := image.NewRGBA(image.Rect(0, 0, len(colours)+2, 2))
			convert(dst, image.Pt(1, 1), src, len(colours), 1, len(src), tt.f)
			for i, want := range colours {
				if got := dst.RGBAAt(1+i, 1); got != want {
					t.Errorf("pixel %d = %v, want %v", i, got, want)
				}
			}
			if got := dst.RGBAAt(0, 1); got != (color.RGBA{}) {
				t.Errorf("wrote outside the target: %v", got)
			}
		})
	}
}

func TestFillOpaqueBlack(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	fillOpaqueBlack(img, image.Rect(-2, 1, 2, 9))
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			want := color.RGBA{}
			if x < 2 && y >= 1 {
				want = color.RGBA{0, 0, 0, 255}
			}
			if got := img.RGBAAt(x, y); got != want {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
}

func BenchmarkConvertBGRX1080p(b *testing.B) {
	src := make([]byte, 1920*1080*4)
	dst := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		convert(dst, image.Point{}, src, 1920, 1080, 1920*4, bgrx)
	}
}
