package ocr

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/corpus"
)

func cpu(who int) time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCorpusCPU(t *testing.T) {
	if os.Getenv("OCR_CPU") == "" {
		t.Skip()
	}
	screens := corpus.Generate(corpus.DefaultSeed)
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s0, c0 := cpu(syscall.RUSAGE_SELF), cpu(syscall.RUSAGE_CHILDREN)
	t0 := time.Now()
	for _, s := range screens {
		if _, err := e.Recognize(context.Background(), s.Image); err != nil {
			t.Fatal(err)
		}
	}
	wall := time.Since(t0)
	e.Close()
	time.Sleep(500 * time.Millisecond)
	t.Logf("wall %v, parent CPU %v, workers CPU %v", wall, cpu(syscall.RUSAGE_SELF)-s0, cpu(syscall.RUSAGE_CHILDREN)-c0)
}
