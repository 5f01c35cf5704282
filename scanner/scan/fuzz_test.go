package scan

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/bmp"
)

// fuzzMaxPixels keeps each fuzz input cheap to decode; the property is the
// same at any limit: nothing over it is ever allocated or returned.
const fuzzMaxPixels = 1 << 16

// FuzzHeaders feeds arbitrary bytes to everything that reads an input's
// header or a tool's output before trusting it: format sniffing, the
// size-checked image decoder, the PPM reader for pdftoppm, the pdfinfo and
// pdftotext parsers. None may panic, return an image over the pixel limit
// or a page count over the page limit.
func FuzzHeaders(f *testing.F) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for _, enc := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return png.Encode(b, img) },
		func(b *bytes.Buffer) error { return jpeg.Encode(b, img, nil) },
		func(b *bytes.Buffer) error { return gif.Encode(b, img, nil) },
		func(b *bytes.Buffer) error { return bmp.Encode(b, img) },
		func(b *bytes.Buffer) error { return png.Encode(b, image.NewNRGBA(image.Rect(0, 0, 3, 3))) },
		func(b *bytes.Buffer) error { return png.Encode(b, image.NewGray(image.Rect(0, 0, 3, 3))) },
	} {
		var buf bytes.Buffer
		if err := enc(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add(hugePNG(100000, 100000))
	f.Add(hugePNG(200, 200))
	var anim bytes.Buffer
	pal := color.Palette{color.White, color.Black}
	gif.EncodeAll(&anim, &gif.GIF{
		Image:  []*image.Paletted{image.NewPaletted(image.Rect(2, 2, 5, 5), pal), image.NewPaletted(image.Rect(0, 0, 9, 9), pal)},
		Delay:  []int{0, 0},
		Config: image.Config{Width: 9, Height: 9, ColorModel: pal},
	})
	f.Add(anim.Bytes())
	f.Add([]byte("RIFF\x24\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x07\xc0\x01\x00\x07\x10\x11\xfd\x0f\x00"))
	f.Add([]byte("P6\n4 2\n255\n" + string(make([]byte, 24))))
	f.Add([]byte("P6 # comment\n100000 100000 255\n"))
	f.Add([]byte("%PDF-1.7\n"))
	f.Add([]byte("Pages:           2\nPage    1 size:  612 x 792 pts (letter)\nPage    1 rot:   90\nPage    2 size:  960 x 540 pts\nPage    2 rot:   -270\n"))
	f.Add([]byte(`<page width="612" height="792"><word xMin="1" yMin="2" xMax="3" yMax="4">Walmart</word><word xMin="1">&#8226;</word></page>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = imageFormat(data)
		if img, err := decodeLimited(bytes.NewReader(data), fuzzMaxPixels); err == nil {
			b := img.Bounds()
			if b.Empty() || int64(b.Dx())*int64(b.Dy()) > fuzzMaxPixels {
				t.Fatalf("decoded %v over the limit of %d pixels", b, fuzzMaxPixels)
			}
			if forOCR(img).Bounds() != b {
				t.Fatal("forOCR changed the bounds")
			}
			_ = pageWeight(b.Dx(), b.Dy())
		}
		if img, err := readPPM(bufio.NewReader(bytes.NewReader(data)), fuzzMaxPixels); err == nil {
			if b := img.Bounds(); b.Empty() || int64(b.Dx())*int64(b.Dy()) > fuzzMaxPixels {
				t.Fatalf("PPM %v over the limit of %d pixels", b, fuzzMaxPixels)
			}
		}
		if sizes, err := parsePDFInfo(data, 50); err == nil {
			if len(sizes) > 50 {
				t.Fatalf("%d pages over the limit of 50", len(sizes))
			}
			for _, s := range sizes {
				_ = ptToPx(s.W, DefaultPDFDPI)
				_ = ptToPx(s.H, DefaultPDFDPI)
			}
		}
		if n := countBBoxWords(data); n < 0 || n > len(data) {
			t.Fatalf("%d words in %d bytes", n, len(data))
		}
	})
}
