package ocr

import (
	"fmt"
	"os"
	"testing"

	"github.com/demoguard/demoguard/scanner/corpus"
)

func TestDumpCorpusCanvases(t *testing.T) {
	if os.Getenv("OCR_DUMPC") == "" {
		t.Skip()
	}
	for i, s := range corpus.Generate(corpus.DefaultSeed) {
		if i%7 != 0 {
			continue
		}
		n := 0
		ps := prepare(s.Image, s.Image.Rect, func() int { n++; return n })
		for ci, c := range pack(ps, 2) {
			r := c.request()
			f, _ := os.Create(fmt.Sprintf("/tmp/cc/%02d-%d.pgm", i, ci))
			fmt.Fprintf(f, "P5\n%d %d\n255\n", r.W, r.H)
			f.Write(r.Pix)
			f.Close()
		}
	}
}
