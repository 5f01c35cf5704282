package ocr

import (
	"context"
	"image"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/corpus"
)

func TestCorpusCost(t *testing.T) {
	if os.Getenv("OCR_COST") == "" {
		t.Skip()
	}
	if v := os.Getenv("OCR_TARGET"); v != "" {
		targetGlyph, _ = strconv.Atoi(v)
	}
	e := engine(t)
	var tPrep, tOCR time.Duration
	var px, calls, pieces, notext int
	for _, s := range corpus.Generate(corpus.DefaultSeed) {
		t0 := time.Now()
		n := 0
		ps := prepare(s.Image, s.Image.Rect, func() int { n++; return n })
		cs := pack(ps, 2)
		t1 := time.Now()
		var wg sync.WaitGroup
		for _, c := range cs {
			px += c.w * c.h
			calls++
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.pool.do(context.Background(), c.request())
			}()
		}
		wg.Wait()
		tPrep += t1.Sub(t0)
		tOCR += time.Since(t1)
		pieces += len(ps)
		for _, p := range ps {
			if glyphHeight(blobs(p.img)) == 0 {
				notext++
			}
		}
	}
	_ = image.Pt
	t.Logf("target %d: prepare %v, ocr %v, canvas px %d, calls %d, pieces %d (no text-like blobs: %d)", targetGlyph, tPrep, tOCR, px, calls, pieces, notext)
}
