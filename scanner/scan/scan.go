// Package scan is the pre-flight check behind `demoguard scan`: it turns
// paths (images, PDFs, directories, "-" for stdin) into pages, OCRs each page,
// matches the rules and collects findings and per-source errors. One bad
// input never stops the others; it becomes an Error naming its source.
package scan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/office"
)

// Recognizer OCRs one page image into lines of words in the image's pixel
// coordinates. The OCR engine implements it; tests use a fake. A Recognizer
// that also reads regions (lineread.Recognizer, as the engine does) gets
// pages up to 16 MP read the way the live agent reads a screen, so scan and
// watch give the same verdict for the same pixels; Recognize is then used
// only for the bands of bigger pages.
type Recognizer interface {
	Recognize(ctx context.Context, img image.Image) ([]rules.Line, error)
}

// Matcher runs the rules over the lines of one page (*rules.Ruleset).
type Matcher interface {
	Match(lines []rules.Line) []rules.Finding
}

// Defaults for Options fields left zero.
const (
	DefaultMinConf   = 0.5
	DefaultPDFDPI    = 150
	DefaultMaxPixels = 100_000_000 // 100 MP: a 400 MB RGBA buffer; no screen or slide comes close
	DefaultMaxPages  = 2000
	DefaultMaxStdin  = 256 << 20
	// DefaultMaxInFlightPixels bounds the weight of the pages decoded and
	// OCRed at once (see memory.go), in RGBA pixels: 200 M is 800 MB. A
	// 100 MP page weighs 148 M (its pixels and one band's analysis), a 4K
	// screen 33 M.
	DefaultMaxInFlightPixels = 200_000_000
)

// Options configures a Scanner. Recognizer and Matcher are required.
type Options struct {
	Recognizer Recognizer
	Matcher    Matcher

	// MinConf drops findings whose Confidence (the highest word confidence
	// among the matched words, 0..1) is below it: OCR noise alone must not
	// raise a finding. Negative means 0 (keep all); zero means DefaultMinConf.
	MinConf float64
	// PDFDPI is the resolution PDF pages are rendered at; boxes of PDF
	// findings are in pixels of that rendering.
	PDFDPI int
	// MaxPixels refuses images (and rendered PDF pages) with more pixels,
	// judged from the header before any pixel buffer is allocated.
	MaxPixels int64
	// MaxPages refuses PDFs with more pages.
	MaxPages int
	// Parallel is how many pages are in flight at once (decode/render, OCR,
	// match). The recognizer parallelises within a page; two pages in flight
	// keep its workers busy while the next page is being decoded.
	Parallel int
	// MaxInFlightPixels bounds the weight of the pages in flight together
	// (a page's pixels plus three times the pixels OCR analyses at once:
	// its peak memory in 4-byte units), which bounds memory: a page waits
	// until it fits, and one heavier than the bound runs alone.
	MaxInFlightPixels int64

	// Stdin is read for the path "-"; at most MaxStdin bytes.
	Stdin    io.Reader
	MaxStdin int64

	// EvidenceDir, when set, receives one PNG per page with findings, every
	// finding boxed and blacked out (see WriteEvidence); for recordings one
	// PNG per exposure, from its first frame.
	EvidenceDir string
	// RedactDir, when set, receives a redacted copy of every source with
	// findings (see redact.go and video.go).
	RedactDir string
	// MaxDuration refuses recordings longer than this many seconds; zero
	// means DefaultMaxDuration.
	MaxDuration float64

	// Note receives remarks that are not errors (skipped files, duplicates,
	// evidence files written). May be nil.
	Note func(msg string)
	// Progress is called after each page (done counts pages finished,
	// including failed ones). May be nil.
	Progress func(p Progress)
	// PDF renders PDF pages; nil means poppler's pdfinfo/pdftoppm.
	PDF PDFRenderer

	// Office bounds what an office document may make the reader do (zero
	// fields: office.Default*). Soffice is LibreOffice for legacy
	// .ppt/.doc/.xls ("" looks it up in PATH).
	Office  office.Limits
	Soffice string
}

// Progress reports how far a Run is.
type Progress struct {
	Pages, PagesDone     int
	Sources, SourcesDone int
	Started              time.Time
	// A recording being read: its time position and duration (seconds)
	// and when reading it started.
	Position, Duration float64
	VideoStarted       time.Time
}

// Finding is a rule finding located in a source: Page is 0-based (always 0
// for images), Box in pixels of the page image (PDF: as rendered at PDFDPI).
type Finding struct {
	Source string
	Page   int
	Paged  bool // the source has pages (PDF): say which page when printing
	// Location is where in an office document the finding is (nil for
	// images and PDFs). Box is then zero except for embedded images.
	Location *office.Location
	rules.Finding
	// Video findings are exposures: on screen from Time to End (seconds,
	// End exclusive: the first frame it was gone).
	Video     bool
	Time, End float64
}

// Error is one failed source (or one failed page of a PDF).
type Error struct {
	Source string
	Err    error
}

// Error names the source quoted when it has characters a terminal would act
// on (see printable).
func (e Error) Error() string { return printable(e.Source) + ": " + e.Err.Error() }

// Result is what Run returns. Scanned counts sources read and OCRed without
// error (a PDF with a failed page is not counted); Pages counts the pages
// (images count one) that were OCRed.
type Result struct {
	Findings []Finding
	Errors   []Error
	Scanned  int
	Pages    int
	Dropped  int      // findings below MinConf that were dropped
	Evidence []string // evidence files written
	Redacted []string // redacted copies written
}

// Scanner scans paths with one configuration.
type Scanner struct {
	opt    Options
	budget *pixelBudget
}

// New checks the options and fills in defaults.
func New(opt Options) (*Scanner, error) {
	if opt.Recognizer == nil || opt.Matcher == nil {
		return nil, errors.New("scan: Recognizer and Matcher are required")
	}
	if opt.MinConf == 0 {
		opt.MinConf = DefaultMinConf
	}
	if opt.MinConf < 0 {
		opt.MinConf = 0
	}
	if opt.PDFDPI <= 0 {
		opt.PDFDPI = DefaultPDFDPI
	}
	if opt.MaxPixels <= 0 {
		opt.MaxPixels = DefaultMaxPixels
	}
	if opt.MaxPages <= 0 {
		opt.MaxPages = DefaultMaxPages
	}
	if opt.Parallel <= 0 {
		opt.Parallel = min(2, runtime.NumCPU())
	}
	if opt.MaxInFlightPixels <= 0 {
		opt.MaxInFlightPixels = DefaultMaxInFlightPixels
	}
	if opt.MaxDuration <= 0 {
		opt.MaxDuration = DefaultMaxDuration
	}
	if opt.MaxStdin <= 0 {
		opt.MaxStdin = DefaultMaxStdin
	}
	if opt.PDF == nil {
		opt.PDF = Poppler{}
	}
	if opt.Note == nil {
		opt.Note = func(string) {}
	} else {
		// Pages finish on several goroutines; callers get one note at a time.
		var mu sync.Mutex
		note := opt.Note
		opt.Note = func(m string) { mu.Lock(); defer mu.Unlock(); note(m) }
	}
	return &Scanner{opt: opt, budget: newPixelBudget(opt.MaxInFlightPixels)}, nil
}

// MemoryTarget is what the scan process should need at most, in bytes: the
// pages in flight by their weights — 4 bytes per unit of the in-flight
// budget, or of the heaviest page the pixel limit lets in if that is more
// (it runs alone) — plus ProcessBase. The scan command gives it to the
// garbage collector as its soft limit.
func (s *Scanner) MemoryTarget() int64 {
	heaviest := s.opt.MaxPixels + 3*maxAnalysed
	if s.opt.EvidenceDir != "" {
		heaviest += s.opt.MaxPixels // the evidence copy
	}
	return 4*max(s.opt.MaxInFlightPixels, heaviest) + ProcessBase
}

// MemoryBound is the peak resident memory the scan process stays within:
// MemoryTarget and an eighth more, because the collector's limit is soft
// (it may overshoot a little) and not all memory is the Go heap.
func (s *Scanner) MemoryBound() int64 { return s.MemoryTarget() * 9 / 8 }

// ProcessBase is what a scan process needs besides its pages: runtime,
// rules, OCR client buffers (measured about 45 MB; doubled for headroom).
const ProcessBase = 96 << 20

// MinConf is the confidence floor in force.
func (s *Scanner) MinConf() float64 { return s.opt.MinConf }

// PDFDPI is the PDF rendering resolution in force.
func (s *Scanner) PDFDPI() int { return s.opt.PDFDPI }

// pageJob is one page to OCR.
type pageJob struct {
	src      *source
	page     int
	progress func(pos, dur float64) // recordings: time position
}

// pageResult is what one page produced. Findings stand even when writing
// the evidence failed (err is then the evidence error).
type pageResult struct {
	findings []Finding
	dropped  int
	evidence []string
	redacted string
	ocrOK    bool
	err      error
	more     []error // further errors of the source (office parts)
}

// Run scans the paths. The returned error is only for the run as a whole
// (context cancelled); problems with inputs are in Result.Errors, in the
// order the inputs were given.
func (s *Scanner) Run(ctx context.Context, paths []string) (*Result, error) {
	srcs, cerrs := s.collect(ctx, paths)
	var jobs []pageJob
	for _, src := range srcs {
		for p := range src.pages {
			jobs = append(jobs, pageJob{src: src, page: p})
		}
	}
	results := make([]pageResult, len(jobs))
	prog := Progress{Pages: len(jobs), Sources: len(srcs), Started: time.Now()}
	remaining := make(map[*source]int, len(srcs))
	for _, src := range srcs {
		remaining[src] = src.pages
	}

	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	for range min(s.opt.Parallel, max(1, len(jobs))) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				if jobs[i].src.kind == kindVideo && s.opt.Progress != nil {
					started := time.Now()
					jobs[i].progress = func(pos, dur float64) {
						mu.Lock()
						defer mu.Unlock()
						prog.Position, prog.Duration, prog.VideoStarted = pos, dur, started
						s.opt.Progress(prog)
					}
				}
				results[i] = s.scanPage(ctx, jobs[i])
				mu.Lock()
				prog.PagesDone++
				prog.Position, prog.Duration = 0, 0
				remaining[jobs[i].src]--
				if remaining[jobs[i].src] == 0 {
					prog.SourcesDone++
				}
				if s.opt.Progress != nil {
					s.opt.Progress(prog)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("scan interrupted: %w", context.Cause(ctx))
	}

	type seqErr struct {
		seq int
		e   Error
	}
	errs := make([]seqErr, 0, len(cerrs))
	for _, e := range cerrs {
		errs = append(errs, seqErr{e.seq, e.Error})
	}
	res := &Result{}
	failed := map[*source]bool{}
	for i, r := range results {
		src := jobs[i].src
		if r.ocrOK {
			res.Pages++
		}
		res.Findings = append(res.Findings, r.findings...)
		res.Dropped += r.dropped
		res.Evidence = append(res.Evidence, r.evidence...)
		if r.redacted != "" {
			res.Redacted = append(res.Redacted, r.redacted)
		}
		for _, e := range r.more {
			errs = append(errs, seqErr{src.seq, Error{Source: src.name, Err: e}})
			failed[src] = true
		}
		if r.err != nil {
			err := r.err
			if src.kind == kindPDF {
				// Messages number pages from 1, for people; only the
				// structured page fields of JSON and SARIF are 0-based.
				err = fmt.Errorf("page %d: %w", jobs[i].page+1, err)
			}
			errs = append(errs, seqErr{src.seq, Error{Source: src.name, Err: err}})
			failed[src] = true
		}
	}
	for _, src := range srcs {
		if !failed[src] {
			res.Scanned++
		}
	}
	if s.opt.RedactDir != "" {
		for _, e := range s.redactStill(ctx, srcs, res) {
			errs = append(errs, seqErr{e.seq, e.Error})
		}
	}
	// Collect errors and page errors interleave as the inputs were given.
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].seq < errs[j].seq })
	for _, e := range errs {
		res.Errors = append(res.Errors, e.e)
	}
	return res, nil
}

// scanPage loads, OCRs and matches one page. Pixel buffers live only for
// the duration of the call.
func (s *Scanner) scanPage(ctx context.Context, job pageJob) pageResult {
	if job.src.kind == kindVideo {
		return s.scanVideo(ctx, job)
	}
	if job.src.kind == kindOffice {
		return s.scanOffice(ctx, job)
	}
	weight := s.pageWeightOf(job.src, job.page)
	held, err := s.budget.acquire(ctx, weight)
	if err != nil {
		return pageResult{err: err}
	}
	defer func() {
		if weight > bandPixels {
			// A big page's pixels are garbage now: collect them before the
			// page let in by this release decodes as much again.
			runtime.GC()
		}
		s.budget.release(held)
	}()
	img, err := s.loadPage(ctx, job.src, job.page)
	if err != nil {
		return pageResult{err: err}
	}
	img = forOCR(img)
	lines, err := s.recognize(ctx, img)
	if err != nil {
		return pageResult{err: fmt.Errorf("ocr: %w", err)}
	}
	if err := s.crossCheck(ctx, job, lines); err != nil {
		return pageResult{err: err}
	}
	r := pageResult{ocrOK: true}
	for _, f := range s.opt.Matcher.Match(lines) {
		if !f.Confident(s.opt.MinConf) {
			r.dropped++
			continue
		}
		r.findings = append(r.findings, Finding{Source: job.src.name, Page: job.page, Paged: job.src.kind == kindPDF, Finding: f})
	}
	sortFindings(r.findings)
	if s.opt.EvidenceDir != "" && len(r.findings) > 0 {
		name := EvidenceName(job.src.name, job.page, job.src.kind == kindPDF)
		path, err := WriteEvidence(s.opt.EvidenceDir, name, img, r.findings)
		if err != nil {
			r.err = fmt.Errorf("evidence: %w", err)
			return r
		}
		r.evidence = []string{path}
		s.opt.Note("evidence written: " + printable(path))
	}
	return r
}

// crossCheck refuses to call a PDF page clean when OCR read nothing from it
// but the page has text objects: the rendering or the OCR failed, and the
// page was not really scanned. Only pages where OCR found no word pay for
// the pdftotext run.
func (s *Scanner) crossCheck(ctx context.Context, job pageJob, lines []rules.Line) error {
	tc, ok := s.opt.PDF.(PDFTextCounter)
	if job.src.kind != kindPDF || !ok {
		return nil
	}
	for _, l := range lines {
		if len(l.Words) > 0 {
			return nil
		}
	}
	n, err := tc.CountWords(ctx, job.src.pdfInput(), job.page)
	if err != nil {
		return fmt.Errorf("cross-check with the page's text: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: OCR read no text, but the page has %d words of text", ErrIncomplete, n)
	}
	return nil
}

// sortFindings orders findings top to bottom, left to right, so output is
// stable whatever order the matcher used.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Box.Y != b.Box.Y {
			return a.Box.Y < b.Box.Y
		}
		if a.Box.X != b.Box.X {
			return a.Box.X < b.Box.X
		}
		return a.Rule < b.Rule
	})
}
