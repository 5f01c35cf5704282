package video_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/corpus"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/video"
	"github.com/demoguard/demoguard/scanner/video/videotest"
)

func TestSmoke(t *testing.T) {
	rec := corpus.DenseRecording(1)
	path := "/tmp/vidsmoke.mp4"
	if _, err := os.Stat(path); err != nil {
		t0 := time.Now()
		if err := videotest.Render(context.Background(), rec, path); err != nil {
			t.Fatal(err)
		}
		t.Logf("render %v frames=%d", time.Since(t0), rec.Frames)
	}
	for _, e := range rec.Truth {
		t.Logf("truth %-22s %-40q %5d-%5d", e.Rule, e.Text, e.First, e.End)
	}
	eng, err := ocr.New(ocr.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rs, err := rules.Load("../../testdata/corpus/rules.toml")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	res, err := video.Read(context.Background(), path, video.Config{Recognizer: eng, Matcher: rs, MinConf: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("read %v frames=%d changed=%d ocr=%d pieces=%d hits=%d scrolls=%d", time.Since(t0), res.Frames, res.Changed, res.OCRCalls, res.Pieces, res.CacheHits, res.Scrolls)
	for _, e := range res.Exposures {
		t.Logf("found %-22s %-40q %5d-%5d spans=%d", e.Rule, e.Text, e.First, e.Last+1, len(e.Spans))
	}
}
