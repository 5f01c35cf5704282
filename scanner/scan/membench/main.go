// Command membench measures the peak memory of `demoguard scan` over big
// inputs — by default issue 13's: four 100-megapixel PNGs and a 9000x9000
// GIF of 200 frames in one scan — and per megapixel, next to a baseline
// binary in the same run when -baseline is given. With -check it exits 1
// when the scan process's peak is over the bound the scan package states
// (Scanner.MemoryBound).
//
//	go run ./scanner/scan/membench -bin bin/demoguard [-baseline old-demoguard] [-check]
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/scan"
	"github.com/demoguard/demoguard/scanner/scan/bigpages"
)

func main() {
	bin := flag.String("bin", "bin/demoguard", "demoguard binary to measure")
	baseline := flag.String("baseline", "", "a second binary measured the same way, first (e.g. built from the commit before a change)")
	side := flag.Int("side", 10000, "PNG width and height (10000 = 100 MP)")
	pngs := flag.Int("pngs", 4, "number of PNGs")
	gifSide := flag.Int("gif-side", 9000, "GIF width and height (0: no GIF)")
	frames := flag.Int("frames", 200, "GIF frames")
	workers := flag.Int("workers", 2, "demoguard --workers")
	dir := flag.String("dir", "", "where to write the inputs (default: a temporary directory, removed after)")
	check := flag.Bool("check", false, "exit 1 if the scan process's peak is over the stated bound")
	flag.Parse()
	if err := run(*bin, *baseline, *side, *pngs, *gifSide, *frames, *workers, *dir, *check); err != nil {
		fmt.Fprintln(os.Stderr, "membench:", err)
		os.Exit(1)
	}
}

type nopOCR struct{}

func (nopOCR) Recognize(context.Context, image.Image) ([]rules.Line, error) { return nil, nil }

type nopMatch struct{}

func (nopMatch) Match([]rules.Line) []rules.Finding { return nil }

func run(bin, baseline string, side, pngs, gifSide, frames, workers int, dir string, check bool) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "membench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	fmt.Fprintf(os.Stderr, "membench: writing %d PNGs of %dx%d and a %dx%d GIF of %d frames…\n", pngs, side, side, gifSide, gifSide, frames)
	var paths []string
	for i := range pngs {
		p := filepath.Join(dir, fmt.Sprintf("big%d.png", i))
		if err := bigpages.WritePNG(p, side, side); err != nil {
			return err
		}
		paths = append(paths, p)
	}
	if gifSide > 0 {
		p := filepath.Join(dir, "anim.gif")
		if err := bigpages.WriteGIF(p, gifSide, gifSide, frames); err != nil {
			return err
		}
		paths = append(paths, p)
	}
	small := filepath.Join(dir, "small.png")
	if err := bigpages.WritePNG(small, 1200, 300); err != nil {
		return err
	}

	sc, err := scan.New(scan.Options{Recognizer: nopOCR{}, Matcher: nopMatch{}})
	if err != nil {
		return err
	}
	bound := sc.MemoryBound()
	mp := float64(side) * float64(side) / 1e6

	measure := func(name, b string) (bigpages.Peak, error) {
		scanArgs := func(files ...string) *exec.Cmd {
			cmd := exec.Command(b, append([]string{"scan", "--no-progress", "--format", "json", "--workers", fmt.Sprint(workers)}, files...)...)
			cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
			return cmd
		}
		base, err := bigpages.Run(scanArgs(small))
		if err != nil && !isFindings(err) {
			return base, fmt.Errorf("%s on a small page: %v", name, err)
		}
		cmd := scanArgs(paths...)
		cmd.Stderr = os.Stderr
		p, err := bigpages.Run(cmd)
		if err != nil && !isFindings(err) {
			return p, fmt.Errorf("%s: %v", name, err)
		}
		fmt.Printf("%-9s small page: %s\n", name, base)
		fmt.Printf("%-9s big inputs: %s\n", name, p)
		fmt.Printf("%-9s per megapixel of the largest page, over the small page: %.1f bytes (main process)\n", name, float64(p.MainHWM-base.MainHWM)/mp/1e6)
		return p, nil
	}
	if baseline != "" {
		if _, err := measure("baseline", baseline); err != nil {
			return err
		}
	}
	p, err := measure("demoguard", bin)
	if err != nil {
		return err
	}
	fmt.Printf("stated bound for the scan process: %d MB\n", bound>>20)
	if check && p.MainHWM > bound {
		return fmt.Errorf("scan peaked at %d MB: over the stated bound of %d MB", p.MainHWM>>20, bound>>20)
	}
	return nil
}

// isFindings: exit status 1 means findings, which the inputs have.
func isFindings(err error) bool {
	ee, ok := err.(*exec.ExitError)
	return ok && ee.ExitCode() == 1
}
