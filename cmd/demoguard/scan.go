package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/scan"
)

func init() {
	register(&command{name: "scan", summary: "check screenshots, slides, PDFs and recordings before they are shown or published", run: runScan})
}

const scanSynopsis = `scan [flags] PATH...

Scans images (PNG, JPEG, GIF, BMP, WebP), PDFs (every page, rendered with
poppler's pdftoppm), office documents (PowerPoint, Word, Excel, OpenDocument:
read directly, notes, hidden slides and sheets, comments and tracked changes
included; legacy .ppt/.doc/.xls through LibreOffice), recordings (MP4, MOV,
MKV, WebM, AVI, ...: anything ffmpeg decodes; every frame compared, changed
regions read, each exposure reported with its time span) and directories
(recursively; other files are skipped with a note). "-" reads one image,
PDF or office document from standard input.

--redact DIR writes a redacted copy of every source with findings: videos
re-encoded (H.264, same size and frame timing, audio, subtitles and chapters
copied) with each exposure masked for exactly its frames, images as PNG,
PDFs as rasterised PDFs; office documents are reported, not rewritten.
Nothing is overwritten.

Findings whose OCR confidence is below --min-conf are dropped: a match made
only of words OCR was unsure of is noise, not a finding. Kept whatever their
confidence: pattern matches of 16+ characters (keys, tokens) and listed
terms of 5+ characters read letter for letter (no edit after folding).

Exit codes: 0 nothing found, 1 findings, 2 errors (a source that could not
be read; the others are still scanned and reported).`

// ocrEngine is what scan needs of the OCR engine; tests swap newEngine for a
// fake so that output and exit codes are tested without Tesseract.
type ocrEngine interface {
	Recognize(ctx context.Context, img image.Image) ([]rules.Line, error)
	Close() error
}

var newEngine = func(o ocr.Options) (ocrEngine, error) { return ocr.New(o) }

type scanOptions struct {
	rules      multiFlag
	format     string
	evidence   string
	lang       string
	workers    int
	minConf    float64
	dpi        int
	maxMP      float64
	maxPages   int
	inflightMP float64
	noProgress bool
	redact     string
	maxDur     time.Duration
}

func runScan(ctx context.Context, args []string, s stdio) error {
	o := &scanOptions{}
	fs := newFlags("scan", scanSynopsis, s)
	fs.Var(&o.rules, "rules", "rule `FILE` or directory (repeatable; default: the embedded rules)")
	fs.StringVar(&o.format, "format", "text", "output: text, json or sarif (SARIF 2.1.0; never contains the matched text)")
	fs.StringVar(&o.evidence, "evidence", "", "write a PNG per page with findings into `DIR`, each finding boxed and blacked out")
	fs.StringVar(&o.lang, "lang", "eng", "Tesseract languages, e.g. eng+deu")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "OCR worker processes")
	fs.Float64Var(&o.minConf, "min-conf", scan.DefaultMinConf, "drop findings whose OCR confidence is below this (0..1; 0 keeps all)")
	fs.IntVar(&o.dpi, "pdf-dpi", scan.DefaultPDFDPI, "resolution PDF pages are rendered at; boxes of PDF findings are in these pixels")
	fs.Float64Var(&o.maxMP, "max-megapixels", scan.DefaultMaxPixels/1e6, "refuse images and PDF pages larger than this, before decoding")
	fs.IntVar(&o.maxPages, "max-pages", scan.DefaultMaxPages, "refuse PDFs with more pages")
	fs.Float64Var(&o.inflightMP, "max-inflight-megapixels", scan.DefaultMaxInFlightPixels/1e6,
		"bound the pages decoded and read at once by their peak memory, in megapixels of 4 bytes (see README)")
	fs.BoolVar(&o.noProgress, "no-progress", false, "no progress line on stderr even when it is a terminal")
	fs.StringVar(&o.redact, "redact", "", "write a redacted copy of each source with findings into `DIR` (never overwriting)")
	fs.DurationVar(&o.maxDur, "max-duration", scan.DefaultMaxDuration*time.Second, "refuse recordings longer than this")

	paths, err := parseInterspersed(fs, args, s)
	if err != nil {
		return err
	}
	switch {
	case len(paths) == 0:
		fmt.Fprintln(s.err, "demoguard scan: no PATH given (use - for standard input)")
		fs.Usage()
		return errUsage
	case o.format != "text" && o.format != "json" && o.format != "sarif":
		return &exitError{code: exitErr, msg: fmt.Sprintf("scan: --format %q: want text, json or sarif", o.format)}
	case o.minConf < 0 || o.minConf > 1:
		return &exitError{code: exitErr, msg: fmt.Sprintf("scan: --min-conf %v: want a value from 0 to 1", o.minConf)}
	case o.dpi < 36 || o.dpi > 1200:
		return &exitError{code: exitErr, msg: fmt.Sprintf("scan: --pdf-dpi %d: want 36 to 1200", o.dpi)}
	case o.workers < 1:
		return &exitError{code: exitErr, msg: fmt.Sprintf("scan: --workers %d: want at least 1", o.workers)}
	case o.maxDur <= 0:
		return &exitError{code: exitErr, msg: "scan: --max-duration must be positive"}
	case o.maxMP <= 0 || o.maxPages < 1 || o.inflightMP <= 0:
		return &exitError{code: exitErr, msg: "scan: --max-megapixels, --max-pages and --max-inflight-megapixels must be positive"}
	}

	rs, err := loadRules(ctx, o.rules)
	if err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	eng, err := newEngine(ocr.Options{Lang: o.lang, Workers: o.workers})
	if err != nil {
		return &exitError{code: exitErr, msg: fmt.Sprintf("scan: start OCR: %v", err)}
	}
	defer eng.Close()

	var prog *scan.ProgressLine
	if !o.noProgress {
		prog = scan.NewProgressLine(s.err)
	}
	note := func(m string) { fmt.Fprintln(s.err, "demoguard scan:", m) }
	opt := scan.Options{
		Recognizer:        eng,
		Matcher:           rs,
		MinConf:           o.minConf,
		PDFDPI:            o.dpi,
		MaxPixels:         int64(o.maxMP * 1e6),
		MaxPages:          o.maxPages,
		MaxInFlightPixels: int64(o.inflightMP * 1e6),
		Stdin:             s.in,
		EvidenceDir:       o.evidence,
		RedactDir:         o.redact,
		MaxDuration:       o.maxDur.Seconds(),
		Note:              note,
	}
	if o.minConf == 0 {
		opt.MinConf = -1 // the scan package reads 0 as "default"; the flag's 0 means keep all
	}
	if prog != nil {
		opt.Progress = prog.Update
		opt.Note = func(m string) { prog.Note("demoguard scan: " + m) }
	}
	sc, err := scan.New(opt)
	if err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	// The pages in flight need at most sc.MemoryTarget(); as the soft limit
	// it makes the garbage collector return a finished page's memory before
	// the heap doubles (its default), so the process stays near what is
	// live. GOMEMLIMIT in the environment wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(sc.MemoryTarget()))
	}
	res, err := sc.Run(ctx, paths)
	if prog != nil {
		prog.Done()
	}
	if err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	// The report may go into a pipe whose reader stopped: a signal still
	// ends the command at once.
	if err := writeScanReport(ctxWriter{ctx, s.out}, o.format, res, sc, rs); err != nil {
		return &exitError{code: exitErr, msg: fmt.Sprintf("scan: write report: %v", err)}
	}
	switch {
	case len(res.Errors) > 0:
		return exitWith(exitErr)
	case len(res.Findings) > 0:
		return exitWith(exitFindings)
	}
	return nil
}

func loadRules(ctx context.Context, paths []string) (*rules.Ruleset, error) {
	if len(paths) == 0 {
		return rules.Default()
	}
	return rules.LoadContext(ctx, paths...)
}

func writeScanReport(w io.Writer, format string, res *scan.Result, sc *scan.Scanner, rs *rules.Ruleset) error {
	switch format {
	case "json":
		return scan.WriteJSON(w, res)
	case "sarif":
		return scan.WriteSARIF(w, res, rs.Rules(), versionString())
	}
	return scan.WriteText(w, res, sc.MinConf())
}

// parseInterspersed lets flags follow paths ("scan deck.pdf --format json"),
// as people type them; after "--" everything is a path.
func parseInterspersed(fs *flag.FlagSet, args []string, s stdio) ([]string, error) {
	var paths []string
	rest := args
	for {
		if err := parseFlags(fs, rest, s); err != nil {
			return nil, err
		}
		left := fs.Args()
		consumed := len(rest) - len(left)
		if consumed > 0 && rest[consumed-1] == "--" {
			return append(paths, left...), nil
		}
		if len(left) == 0 {
			return paths, nil
		}
		paths = append(paths, left[0])
		rest = left[1:]
	}
}
