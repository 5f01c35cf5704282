// Package ocr reads text off screen images with Tesseract for the rule
// matcher. Tesseract runs in worker processes (re-executions of the current
// binary, see MaybeRunWorker): one gosseract client each, so that clients
// never share a process or a thread, OpenMP is pinned to one thread, and the
// C strings gosseract leaks on every call die with a recycled worker instead
// of growing the agent for hours.
//
// A screen is not handed to Tesseract whole: its page segmentation loses
// light-on-dark panels on a light screen (NOTES.md). Instead the image is
// split into regions of uniform background, each region is normalised to
// dark text on white (whatever its polarity, colour or contrast), cut into
// text blocks and lines, scaled so small text gets enough pixels, and the
// pieces are packed into a few canvases that workers read in parallel.
package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/demoguard/demoguard/rules"
)

// DefaultRecycleAfter is how many OCR calls a worker serves before it is
// replaced. gosseract leaks every recognised word's C string and a result
// iterator per call: measured ~2-6 KB per call for a notification-sized
// canvas, tens of KB for a dense canvas. 500 calls bound that to a few MB
// (small regions) or ~15 MB (dense screens) per worker, while a replacement
// costs ~0.2 s (exec, Go start-up, model load, warm-up call; done in the
// background) against 500 calls of 20 ms-1 s each: about 1 % of OCR time
// at worst.
const DefaultRecycleAfter = 500

// Sentinel errors callers act on.
var (
	// ErrMissingLanguage: a traineddata file is not installed. The wrapped
	// message names the file searched for and the package providing it.
	ErrMissingLanguage = errors.New("ocr: tesseract language data not installed")
	// ErrWorker: an OCR worker process failed to start or died twice in a row
	// on the same request.
	ErrWorker = errors.New("ocr: worker process failed")
	// ErrClosed: the Engine was closed.
	ErrClosed = errors.New("ocr: engine closed")
	// ErrNoWorkerHook: New was called inside a worker process, which means
	// the binary does not call MaybeRunWorker before anything else.
	ErrNoWorkerHook = errors.New("ocr: this binary was started as an OCR worker but does not call ocr.MaybeRunWorker first in main/TestMain")
)

// Options configure an Engine. The zero value is usable.
type Options struct {
	Lang         string // "eng" default; "eng+deu" etc.
	Workers      int    // default runtime.NumCPU()
	RecycleAfter int    // OCR calls before a worker process is replaced; default DefaultRecycleAfter
	DataPath     string // optional tessdata dir; default: TESSDATA_PREFIX or the system dir
}

// Engine recognises text in images. It is safe for concurrent use.
type Engine struct {
	opts      Options
	pool      *pool
	closeOnce sync.Once
}

// New checks that the language data exists and starts the first worker.
func New(opts Options) (*Engine, error) {
	if os.Getenv(envWorker) == "1" {
		return nil, ErrNoWorkerHook
	}
	if opts.Lang == "" {
		opts.Lang = "eng"
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.RecycleAfter <= 0 {
		opts.RecycleAfter = DefaultRecycleAfter
	}
	dir, err := resolveDataPath(opts.DataPath, opts.Lang)
	if err != nil {
		return nil, err
	}
	opts.DataPath = dir
	p, err := newPool(opts.Workers, opts.RecycleAfter, opts.Lang, dir)
	if err != nil {
		return nil, err
	}
	if err := p.start(); err != nil {
		p.close()
		return nil, err
	}
	return &Engine{opts: opts, pool: p}, nil
}

// Options returns the options in force, defaults filled in.
func (e *Engine) Options() Options { return e.opts }

// Close stops the workers. It is safe to call more than once.
func (e *Engine) Close() error {
	e.closeOnce.Do(e.pool.close)
	return nil
}

// WorkerPIDs returns the process ids of the running workers (for tests and
// diagnostics: recycling changes them).
func (e *Engine) WorkerPIDs() []int { return e.pool.workerPIDs() }

// Recognize reads a whole image. Lines come back in the image's coordinate
// space (the same as img.Bounds()), with block numbers unique in the result.
func (e *Engine) Recognize(ctx context.Context, img image.Image) ([]rules.Line, error) {
	return e.RecognizeRegions(ctx, img, []image.Rectangle{img.Bounds()})
}

// RecognizeRegions reads only the given rectangles of img (clipped to its
// bounds). Each rectangle is segmented on its own; the text pieces of all of
// them are packed together, so many small regions cost a few OCR calls.
func (e *Engine) RecognizeRegions(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error) {
	if e.pool.isClosed() {
		return nil, ErrClosed
	}
	return e.recognize(ctx, img, rects, false)
}

// RecognizeRegionsUrgent is RecognizeRegions served ahead of other reads
// waiting for a worker: the live agent reads a notification with it while
// a big read (a new window) is in flight.
func (e *Engine) RecognizeRegionsUrgent(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error) {
	if e.pool.isClosed() {
		return nil, ErrClosed
	}
	return e.recognize(ctx, img, rects, true)
}

// RecognizeRegionsBackground is RecognizeRegions on at most all workers but
// one (on a single worker, that one): reading an area that keeps changing
// (a video) must leave a worker free for a notification.
func (e *Engine) RecognizeRegionsBackground(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error) {
	if e.pool.isClosed() {
		return nil, ErrClosed
	}
	return e.recognizeOn(ctx, img, rects, false, max(1, e.opts.Workers-1))
}

// systemDataDirs are where distributions put tessdata, newest first.
var systemDataDirs = []string{
	"/usr/share/tesseract-ocr/5/tessdata",
	"/usr/share/tesseract-ocr/4.00/tessdata",
	"/usr/share/tessdata",
	"/usr/local/share/tessdata",
	"/opt/homebrew/share/tessdata",
	"/usr/local/share/tesseract-ocr/5/tessdata",
}

// resolveDataPath finds the tessdata directory and checks that every
// language's traineddata is there, before any worker starts: a worker that
// fails to initialise would only say "failed to initialize".
func resolveDataPath(explicit, lang string) (string, error) {
	var candidates []string
	switch {
	case explicit != "":
		candidates = []string{explicit}
	case os.Getenv("TESSDATA_PREFIX") != "":
		// Tesseract 4+ wants the tessdata directory itself; 3.x wanted its
		// parent, which people still set.
		p := os.Getenv("TESSDATA_PREFIX")
		candidates = []string{p, filepath.Join(p, "tessdata")}
	default:
		candidates = systemDataDirs
	}
	langs := strings.Split(lang, "+")
	dir := ""
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			if dir == "" {
				dir = c
			}
			if _, err := os.Stat(filepath.Join(c, langs[0]+".traineddata")); err == nil {
				dir = c
				break
			}
		}
	}
	if dir == "" {
		return "", fmt.Errorf("%w: no tessdata directory found (looked in %s); %s",
			ErrMissingLanguage, strings.Join(candidates, ", "), installHint(langs[0]))
	}
	for _, l := range langs {
		if l == "" {
			return "", fmt.Errorf("ocr: empty language in %q", lang)
		}
		f := filepath.Join(dir, l+".traineddata")
		if _, err := os.Stat(f); err != nil {
			return "", fmt.Errorf("%w: %s not found; %s", ErrMissingLanguage, f, installHint(l))
		}
	}
	return dir, nil
}

func installHint(lang string) string {
	deb := "tesseract-ocr-" + strings.ReplaceAll(strings.ToLower(lang), "_", "-")
	return fmt.Sprintf("install it with `apt-get install %s` (Debian/Ubuntu) or `brew install tesseract-lang` (macOS), or point TESSDATA_PREFIX / Options.DataPath at a directory holding %s.traineddata",
		deb, lang)
}
