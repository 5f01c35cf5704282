package ocr

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/scanner/corpus"
)

func TestDumpItem(t *testing.T) {
	want := os.Getenv("OCR_ITEM") // screen-prefix:text-substring
	if want == "" {
		t.Skip()
	}
	sp, tx, _ := strings.Cut(want, ":")
	for _, s := range corpus.Generate(corpus.DefaultSeed) {
		if !strings.HasPrefix(s.Name, sp) {
			continue
		}
		for _, it := range s.Items {
			if !strings.Contains(it.Text, tx) {
				continue
			}
			r := image.Rect(it.Box.X, it.Box.Y, it.Box.X+it.Box.W, it.Box.Y+it.Box.H).Inset(-40).Intersect(s.Image.Rect)
			f, _ := os.Create("/tmp/item_src.png")
			png.Encode(f, s.Image.SubImage(r))
			f.Close()
			seg := segment(newFrame(s.Image, s.Image.Rect))
			g := image.NewGray(r)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					g.Pix[g.PixOffset(x, y)] = seg.ink[y*seg.w+x]
				}
			}
			f, _ = os.Create("/tmp/item_ink.png")
			png.Encode(f, g)
			f.Close()
			u := map[int32]int{}
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					u[seg.unit[y*seg.w+x]]++
				}
			}
			t.Logf("item %q box %v font %d style %s units in area %v", it.Text, it.Box, it.FontPx, it.Style, u)
			lines, _ := engine(t).Recognize(context.Background(), s.Image)
			for _, l := range lines {
				if l.Box.Y+l.Box.H > r.Min.Y && l.Box.Y < r.Max.Y && l.Box.X < r.Max.X && l.Box.X+l.Box.W > r.Min.X {
					t.Logf("line %v b%d %q", l.Box, l.Block, lineText(l))
				}
			}
			n := 0
			ps := prepare(s.Image, s.Image.Rect, func() int { n++; return n })
			for _, p := range ps {
				if p.src.Overlaps(r) {
					t.Logf("piece src %v scale %.2f single %v", p.src, p.scale, p.singleLine)
				}
			}
			_ = fmt.Sprint
			return
		}
	}
}

func TestDumpItemCanvas(t *testing.T) {
	want := os.Getenv("OCR_ITEM")
	if want == "" {
		t.Skip()
	}
	sp, tx, _ := strings.Cut(want, ":")
	for _, s := range corpus.Generate(corpus.DefaultSeed) {
		if !strings.HasPrefix(s.Name, sp) {
			continue
		}
		for _, it := range s.Items {
			if !strings.Contains(it.Text, tx) {
				continue
			}
			r := image.Rect(it.Box.X, it.Box.Y, it.Box.X+it.Box.W, it.Box.Y+it.Box.H)
			n := 0
			ps := prepare(s.Image, s.Image.Rect, func() int { n++; return n })
			cs := pack(ps, 2)
			for ci, c := range cs {
				for _, p := range c.pieces {
					if p.src.Overlaps(r) {
						req := c.request()
						g := image.NewGray(image.Rect(0, 0, req.W, req.H))
						copy(g.Pix, req.Pix)
						f, _ := os.Create("/tmp/item_canvas.png")
						png.Encode(f, g)
						f.Close()
						resp, err := engine(t).pool.do(context.Background(), req)
						if err != nil {
							t.Fatal(err)
						}
						t.Logf("canvas %d %dx%d psm %d pieces %d; piece at %v size %dx%d", ci, c.w, c.h, req.PSM, len(c.pieces), p.place, p.img.w, p.img.h)
						for _, w := range resp.Words {
							if int(w.Y1) >= p.place.Y-5 && int(w.Y0) <= p.place.Y+p.img.h+5 {
								t.Logf("word %q %v,%v-%v,%v conf %.0f", w.Text, w.X0, w.Y0, w.X1, w.Y1, w.Conf)
							}
						}
					}
				}
			}
			return
		}
	}
}
