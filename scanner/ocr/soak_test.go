package ocr

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

var soak = flag.Duration("soak", 0, "run TestSoakRSS for this long (e.g. -soak=10m) and print RSS samples and slope")

// rssKB reads VmRSS of a process from /proc (Linux).
func rssKB(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

type rssSample struct {
	calls           int
	parent, workers int // kB
}

// slopeKBPerKCall fits a least-squares line through (calls, rss).
func slopeKBPerKCall(ss []rssSample, pick func(rssSample) int) float64 {
	var n, sx, sy, sxx, sxy float64
	for _, s := range ss {
		x, y := float64(s.calls)/1000, float64(pick(s))
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	d := n*sxx - sx*sx
	if n < 2 || d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// TestSoakRSS OCRs the notification card over and over, with recycling, and
// checks that neither this process nor the workers grow: gosseract leaks on
// every call, recycling must contain it. The default run takes well under a
// minute; -soak=10m runs longer and prints the samples and slopes.
func TestSoakRSS(t *testing.T) {
	// The short run recycles often so that it sees many replacements; the
	// long run uses the default, as the agent does.
	recycle := 25
	if *soak > 0 {
		recycle = DefaultRecycleAfter
	}
	e, err := New(Options{Workers: 2, RecycleAfter: recycle})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s, card := cardScene(t)
	// A card plus a few slide lines: several canvases' worth of words per call.
	rects := []image.Rectangle{card, s.drawn["Migration of billing services to the new cluster"].Inset(-6)}
	ctx := context.Background()

	sample := func(calls int) rssSample {
		p, err := rssKB(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, pid := range e.WorkerPIDs() {
			if kb, err := rssKB(pid); err == nil { // a worker may just be exiting
				total += kb
			}
		}
		return rssSample{calls, p, total}
	}

	calls, maxCalls := 0, 200
	deadline := time.Now().Add(*soak)
	long := *soak > 0
	var samples []rssSample
	for long && time.Now().Before(deadline) || !long && calls < maxCalls {
		lines, err := e.RecognizeRegions(ctx, s.img, rects)
		if err != nil {
			t.Fatalf("call %d: %v", calls, err)
		}
		if calls%25 == 0 {
			if _, _, ok := findWord(lines, "Globex"); !ok {
				t.Fatalf("call %d: Globex not read:%s", calls, dump(lines))
			}
		}
		calls++
		if calls%20 == 0 {
			samples = append(samples, sample(calls))
		}
	}
	if len(samples) < 4 {
		t.Fatalf("only %d samples", len(samples))
	}
	// Ignore the warm-up (first quarter): heaps and caches fill once. The
	// workers' total swings (a recycled worker restarts small and grows back
	// over `recycle` calls), so compare peaks: the peak of the last half must
	// not exceed the peak of the first half by more than noise.
	rest := samples[len(samples)/4:]
	first, second := rest[:len(rest)/2], rest[len(rest)/2:]
	peak := func(ss []rssSample, pick func(rssSample) int) int {
		m := 0
		for _, s := range ss {
			m = max(m, pick(s))
		}
		return m
	}
	parent := func(s rssSample) int { return s.parent }
	workers := func(s rssSample) int { return s.workers }
	p1, p2 := peak(first, parent), peak(second, parent)
	w1, w2 := peak(first, workers), peak(second, workers)
	t.Logf("%d calls, recycle every %d: parent peak %d→%d kB (slope %.0f kB/1000 calls); workers' total peak %d→%d kB (slope %.0f kB/1000 calls)",
		calls, recycle, p1, p2, slopeKBPerKCall(rest, parent), w1, w2, slopeKBPerKCall(rest, workers))
	if long || testing.Verbose() {
		for _, s := range samples {
			t.Logf("calls %6d parent %7d kB workers %7d kB", s.calls, s.parent, s.workers)
		}
	}
	const parentSlack, workerSlack = 24 << 10, 24 << 10 // kB
	if p2 > p1+parentSlack {
		t.Errorf("parent RSS peak grew from %d kB to %d kB", p1, p2)
	}
	if w2 > w1+workerSlack {
		t.Errorf("workers' RSS peak grew from %d kB to %d kB", w1, w2)
	}
}
