package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/office"
)

// officeExts are office file extensions picked up when walking directories
// (files given by name are recognised by content whatever their name).
var officeExts = []string{
	".pptx", ".pptm", ".ppsx", ".ppsm", ".potx", ".potm",
	".docx", ".docm", ".dotx", ".dotm",
	".xlsx", ".xlsm", ".xltx", ".xltm",
	".odp", ".odt", ".ods", ".odg", ".otp", ".ott", ".ots",
	".ppt", ".pps", ".doc", ".xls",
}

func init() {
	for _, e := range officeExts {
		scanExts[e] = true
	}
}

// scanOffice reads an office document's own content: text items are matched
// per paragraph or cell, embedded images are OCRed like image files. One
// office file is one job; its part errors become one error line each.
func (s *Scanner) scanOffice(ctx context.Context, job pageJob) pageResult {
	src := job.src
	var ra io.ReaderAt
	var size int64
	if src.data != nil {
		ra, size = bytes.NewReader(src.data), int64(len(src.data))
	} else {
		f, err := os.Open(src.path)
		if err != nil {
			return pageResult{err: pathError(err)}
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return pageResult{err: pathError(err)}
		}
		ra, size = f, fi.Size()
	}
	h := &officeHandler{s: s, ctx: ctx, src: src, sem: make(chan struct{}, s.opt.Parallel)}
	err := office.Walk(ctx, ra, size, office.Options{Limits: s.opt.Office, Soffice: s.opt.Soffice, Note: func(m string) {
		s.opt.Note(src.name + ": " + m)
	}}, h)
	h.wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	// Images are OCRed concurrently; report in document order.
	sort.SliceStable(h.findings, func(i, j int) bool { return h.order[i] < h.order[j] })
	r := pageResult{findings: h.findings, dropped: h.dropped, ocrOK: err == nil, more: h.problems}
	if err != nil {
		r.err = err
	}
	if s.opt.RedactDir != "" {
		// Redacting an office file in place (rewriting its XML and images)
		// is out of scope: say so rather than leave the user guessing.
		s.opt.Note(printable(src.name) + ": office documents are not redacted: nothing written for it")
	}
	return r
}

// officeHandler turns office items into findings.
type officeHandler struct {
	s   *Scanner
	ctx context.Context
	src *source
	// Images are OCRed up to Parallel at a time while the document is
	// read on: the recognizer keeps its workers busy with two images as it
	// does with two pages. sem bounds the decoded images held at once.
	sem chan struct{}
	wg  sync.WaitGroup

	mu       sync.Mutex
	seq      int // calls so far, for document order
	findings []Finding
	order    []int // seq of each finding
	problems []error
	dropped  int
}

func (h *officeHandler) Problem(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.problems = append(h.problems, err)
}

func (h *officeHandler) next() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	return h.seq
}

// Text matches one batch. Each item is a line; words get made-up boxes on
// a grid (row = paragraph or spreadsheet row, column = spreadsheet column)
// so that rules relating nearby text (near, within line/block/px) work as
// they do on a screen. The boxes are not reported: there are no pixels.
func (h *officeHandler) Text(items []office.Item) error {
	if err := h.ctx.Err(); err != nil {
		return err
	}
	seq := h.next()
	lines := make([]rules.Line, len(items))
	for i, it := range items {
		lines[i] = gridLine(it)
	}
	for _, f := range h.s.opt.Matcher.Match(lines) {
		if f.Line < 0 || f.Line >= len(items) {
			continue
		}
		loc := items[f.Line].Loc
		f.Box = rules.Box{}
		h.add(seq, f, loc)
	}
	return nil
}

const (
	gridCol  = 1_000_000 // x of a spreadsheet column
	gridChar = 10        // width of a character
	gridRow  = 20        // height of a row
)

func gridLine(it office.Item) rules.Line {
	// An item is a whole paragraph or cell: the file holds no wraps, and
	// the next item is another paragraph.
	l := rules.Line{Block: it.Block, Whole: true}
	if it.Col > 0 {
		l.Block = it.Row // a spreadsheet row is a block
	}
	y := it.Row * gridRow
	start := -1
	x0 := it.Col * gridCol
	word := func(a, b int) {
		l.Words = append(l.Words, rules.Word{Text: it.Text[a:b], Conf: 1,
			Box: rules.Box{X: x0 + min(a, gridCol/gridChar-1)*gridChar, Y: y, W: max(1, min(b-a, 1000)) * gridChar, H: gridRow}})
	}
	for i, r := range it.Text {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == 0xA0 {
			if start >= 0 {
				word(start, i)
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		word(start, len(it.Text))
	}
	for _, w := range l.Words {
		l.Box = l.Box.Union(w.Box)
	}
	return l
}

func (h *officeHandler) add(seq int, f rules.Finding, loc office.Location) Finding {
	page := 0
	if loc.Slide > 0 {
		page = loc.Slide - 1
	}
	l := loc
	fd := Finding{Source: h.src.name, Page: page, Location: &l, Finding: f}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.findings = append(h.findings, fd)
	h.order = append(h.order, seq)
	return fd
}

// Image OCRs one embedded picture; boxes are in its pixels.
func (h *officeHandler) Image(it office.Item) error {
	if err := h.ctx.Err(); err != nil {
		return err
	}
	seq := h.next()
	select {
	case h.sem <- struct{}{}:
	case <-h.ctx.Done():
		return h.ctx.Err()
	}
	h.wg.Go(func() {
		defer func() { <-h.sem }()
		h.ocrImage(seq, it)
	})
	return nil
}

func (h *officeHandler) ocrImage(seq int, it office.Item) {
	img, err := decodeLimited(bytes.NewReader(it.Image), h.s.opt.MaxPixels)
	if err != nil {
		h.Problem(fmt.Errorf("%s: %w", imageName(it.Loc), err))
		return
	}
	// Read as a page (and a screen) is: a screenshot pasted into a slide
	// gets the verdict the screenshot gets on its own.
	img = forOCR(img)
	lines, err := h.s.recognize(h.ctx, img)
	if err != nil {
		if !errors.Is(err, context.Canceled) && h.ctx.Err() == nil {
			h.Problem(fmt.Errorf("%s: ocr: %w", imageName(it.Loc), err))
		}
		return
	}
	var fs []Finding
	for _, f := range h.s.opt.Matcher.Match(lines) {
		if !f.Confident(h.s.opt.MinConf) {
			h.mu.Lock()
			h.dropped++
			h.mu.Unlock()
			continue
		}
		fs = append(fs, h.add(seq, f, it.Loc))
	}
	if h.s.opt.EvidenceDir != "" && len(fs) > 0 {
		name := EvidenceName(h.src.name+"-"+imageName(it.Loc), 0, false)
		path, err := WriteEvidence(h.s.opt.EvidenceDir, name, img, fs)
		if err != nil {
			h.Problem(fmt.Errorf("evidence: %w", err))
		} else {
			h.s.opt.Note("evidence written: " + path)
		}
	}
}

func imageName(l office.Location) string {
	if l.Embedded != "" {
		return l.Embedded + "!" + l.Image
	}
	return l.Image
}

// describeLocation says where an office finding is, for people:
// "slide 7 (notes)", "Q3!C14 (hidden)", "footnote", "properties".
func describeLocation(l *office.Location) string {
	var where []string
	if l.Embedded != "" {
		where = append(where, "in "+l.Embedded)
	}
	var head string
	var tags []string
	switch {
	case l.Sheet != "" && l.Cell != "":
		head = quoteSheet(l.Sheet) + "!" + l.Cell
	case l.Sheet != "":
		head = "sheet " + quoteSheet(l.Sheet)
	case l.Slide > 0:
		head = fmt.Sprintf("slide %d", l.Slide)
	}
	if l.Hidden {
		switch {
		case l.Slide > 0 && l.Sheet == "":
			tags = append(tags, "hidden slide")
		case l.Cell != "":
			tags = append(tags, "hidden")
		default:
			tags = append(tags, "hidden")
		}
	}
	part := l.Part
	switch part {
	case "slide", "cell":
		part = ""
	case "alt":
		part = "alt text"
	case "name":
		part = "defined name " + l.Name
	case "image":
		part = "image " + l.Image
	}
	if part != "" {
		if head == "" {
			head = part
		} else {
			tags = append(tags, part)
		}
	}
	if head == "" {
		head = "document"
	}
	if len(tags) > 0 {
		head += " (" + strings.Join(tags, ", ") + ")"
	}
	return strings.Join(append(where, head), " ")
}

func quoteSheet(s string) string {
	if strings.ContainsAny(s, " !'") {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

// maskText keeps the first and last character of each word and stars the
// rest: enough to tell which finding is which, not enough to read it off a
// shared terminal or a pasted report. JSON keeps the text.
func maskText(s string) string {
	var b strings.Builder
	for i, w := range strings.Fields(s) {
		if i > 0 {
			b.WriteByte(' ')
		}
		n := utf8.RuneCountInString(w)
		if n <= 2 {
			b.WriteString(strings.Repeat("*", n))
			continue
		}
		first, fl := utf8.DecodeRuneInString(w)
		last, _ := utf8.DecodeLastRuneInString(w)
		_ = fl
		b.WriteRune(first)
		b.WriteString(strings.Repeat("*", n-2))
		b.WriteRune(last)
	}
	return b.String()
}

// officeLine is the text report line of an office finding:
// `deck.pptx: slide 7 (notes): customers (high) "W*****t"`.
func officeLine(f Finding) string {
	s := fmt.Sprintf("%s: %s: %s (%s) %q", printable(f.Source), printable(describeLocation(f.Location)), f.Rule, f.Severity, maskText(f.Text))
	if f.Location.Part == "image" {
		s += fmt.Sprintf(" at %d,%d size %dx%d conf %.2f", f.Box.X, f.Box.Y, f.Box.W, f.Box.H, round2(f.Confidence))
	}
	return s
}

// officeSARIF points a SARIF result into the document with a logical
// location; only image findings keep a pixel region.
func officeSARIF(res *sarifResult, f Finding) {
	l := f.Location
	where := describeLocation(l)
	var fq []string
	if l.Embedded != "" {
		fq = append(fq, l.Embedded)
	}
	kind := "element"
	switch {
	case l.Sheet != "":
		fq = append(fq, l.Sheet)
		if l.Cell != "" {
			fq = append(fq, l.Cell)
		}
	case l.Slide > 0:
		fq = append(fq, fmt.Sprintf("slide %d", l.Slide))
	}
	fq = append(fq, l.Part)
	if l.Part == "properties" {
		kind = "property"
	}
	loc := &res.Locations[0]
	if l.Part != "image" {
		loc.PhysicalLocation.Region = nil
	}
	loc.LogicalLocations = []sarifLogicalLocation{{
		Name: where, FullyQualifiedName: strings.Join(fq, "/"), Kind: kind,
		Properties: map[string]any{"location": l},
	}}
	res.Message.Text = fmt.Sprintf("%s finding of rule %s in %s", f.Severity, f.Rule, where)
	res.Properties["location"] = l
	if l.Part != "image" {
		delete(res.Properties, "box")
	}
	h := fingerprint(f)
	res.PartialFingerprints["demoguardFinding/v1"] = h[:8] + fingerprintOf(f.Rule + "\x00" + f.Source + "\x00" + strings.Join(fq, "/"))[:8]
}

func fingerprintOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}
