package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// PDFInput is a PDF file on disk or in memory (from stdin).
type PDFInput struct {
	Path string
	Data []byte
}

// PageSize is the size in points (1/72 inch) of a PDF page as a viewer shows
// it: its CropBox (which defaults to the MediaBox), rotation applied.
type PageSize struct{ W, H float64 }

// PDFRenderer lists and rasterises PDF pages. Poppler is the real one.
type PDFRenderer interface {
	// Pages returns the size of every page; more than maxPages pages is an
	// error (without listing them).
	Pages(ctx context.Context, in PDFInput, maxPages int) ([]PageSize, error)
	// Render rasterises page (0-based) at dpi, as a viewer shows it (the
	// CropBox), and refuses it if it would have more than maxPixels pixels.
	// Anything the renderer reports as not drawn is an error: a page it
	// could not draw must never be OCRed and called clean.
	Render(ctx context.Context, in PDFInput, page, dpi int, maxPixels int64) (image.Image, error)
}

// PDFTextCounter is an optional PDFRenderer method: the number of words with
// a letter or digit in the text objects of a page's visible area. The
// scanner asks it only when OCR read nothing on a page, to tell a blank
// page from one it failed to read.
type PDFTextCounter interface {
	CountWords(ctx context.Context, in PDFInput, page int) (int, error)
}

// Timeouts for the poppler tools, so that a pathological PDF cannot hang a
// scan: a normal page renders in well under a second.
const (
	pdfInfoTimeout   = time.Minute
	pdfRenderTimeout = 2 * time.Minute
)

// Poppler renders PDFs with poppler-utils' pdfinfo and pdftoppm, which are
// run once per file (pdfinfo) and once per page (pdftoppm). Pages come back
// as PPM on pdftoppm's standard output: nothing is written to disk.
type Poppler struct{}

func (Poppler) Pages(ctx context.Context, in PDFInput, maxPages int) ([]PageSize, error) {
	ctx, cancel := context.WithTimeout(ctx, pdfInfoTimeout)
	defer cancel()
	// -l beyond the last page is clamped by pdfinfo; asking for one page past
	// the limit is enough to know the total without listing a million pages.
	out, err := runPoppler(ctx, "pdfinfo", in, 1<<20, "-f", "1", "-l", strconv.Itoa(maxPages))
	if err != nil {
		return nil, err
	}
	return parsePDFInfo(out, maxPages)
}

// parsePDFInfo reads "Pages:" and the "Page    N size: W x H pts" lines.
func parsePDFInfo(out []byte, maxPages int) ([]PageSize, error) {
	total := -1
	var sizes []PageSize
	rots := map[int]int{}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("pdfinfo: bad page count %q", strings.TrimSpace(v))
			}
			total = n
			continue
		}
		rest, ok := strings.CutPrefix(line, "Page ")
		if !ok {
			continue
		}
		if num, rot, ok := strings.Cut(rest, " rot:"); ok {
			// pdftoppm turns the page as a viewer does: 90 and 270 swap
			// width and height.
			n, err1 := strconv.Atoi(strings.TrimSpace(num))
			r, err2 := strconv.Atoi(strings.TrimSpace(rot))
			if err1 == nil && err2 == nil {
				rots[n] = r
			}
			continue
		}
		_, dims, ok := strings.Cut(rest, " size:")
		if !ok {
			continue
		}
		f := strings.Fields(dims) // W x H pts [(name)]
		if len(f) < 3 || f[1] != "x" {
			continue
		}
		w, err1 := strconv.ParseFloat(f[0], 64)
		h, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("pdfinfo: bad page size %q", strings.TrimSpace(dims))
		}
		sizes = append(sizes, PageSize{W: w, H: h})
	}
	switch {
	case total < 0:
		return nil, errors.New("pdfinfo: no page count in its output")
	case total > maxPages:
		return nil, fmt.Errorf("%d pages: %w of %d", total, ErrTooLarge, maxPages)
	case len(sizes) != total:
		return nil, fmt.Errorf("pdfinfo: %d pages but %d page sizes", total, len(sizes))
	}
	for i := range sizes {
		if r := ((rots[i+1] % 360) + 360) % 360; r == 90 || r == 270 {
			sizes[i].W, sizes[i].H = sizes[i].H, sizes[i].W
		}
	}
	return sizes, nil
}

func (Poppler) Render(ctx context.Context, in PDFInput, page, dpi int, maxPixels int64) (image.Image, error) {
	ctx, cancel := context.WithTimeout(ctx, pdfRenderTimeout)
	defer cancel()
	n := strconv.Itoa(page + 1)
	// -cropbox: render what a viewer shows (and what pdfinfo's page size
	// describes). Without it pdftoppm renders the MediaBox, which may be
	// vastly bigger than the visible page.
	args := []string{"-cropbox", "-r", strconv.Itoa(dpi), "-f", n, "-l", n, "-singlefile"}
	cmd, stderr := popplerCmd(ctx, "pdftoppm", in, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, toolError("pdftoppm", err)
	}
	img, perr := readPPM(bufio.NewReaderSize(stdout, 1<<16), maxPixels)
	if perr != nil {
		cancel() // an oversized or bad page: stop the renderer at once
	}
	io.Copy(io.Discard, stdout)
	werr := cmd.Wait()
	if perr != nil {
		if werr != nil && !errors.Is(perr, ErrTooLarge) {
			return nil, popplerError("pdftoppm", werr, stderr)
		}
		return nil, fmt.Errorf("rendered page: %w", perr)
	}
	if werr != nil {
		return nil, popplerError("pdftoppm", werr, stderr)
	}
	// pdftoppm exits 0 after failures that leave the page undrawn (a failed
	// allocation gives a 1x1 image and "Bogus memory allocation size").
	if msg := renderFailure(stderr.String()); msg != "" {
		return nil, fmt.Errorf("pdftoppm: %s", msg)
	}
	return img, nil
}

// renderFailure returns the first line of poppler's stderr that says
// something was not drawn, "" if none does. Poppler prefixes messages with
// a category; "Syntax Warning" and "Syntax Error" are about the file's
// structure, which it repairs (real decks are full of them), and "Config
// Error" about its own installation. Everything else — unprefixed
// messages such as "Bogus memory allocation size" or "Out of memory",
// "Internal Error", "I/O Error", "Permission Error", "Unimplemented Feature"
// — means part of the page may be missing, so the page is not scanned
// rather than called clean. The size and text checks catch what slips by.
func renderFailure(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "Syntax Warning") || strings.HasPrefix(l, "Syntax Error") || strings.HasPrefix(l, "Config Error") {
			continue
		}
		if len(l) > 200 {
			l = l[:200] + "…"
		}
		return l
	}
	return ""
}

// CountWords runs pdftotext over the page's CropBox and counts the words
// that have a letter or a digit (a lone bullet or dash is not text).
func (Poppler) CountWords(ctx context.Context, in PDFInput, page int) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, pdfInfoTimeout)
	defer cancel()
	n := strconv.Itoa(page + 1)
	// The output is only counted: 4 MB is far more than enough to see that
	// there is text, and bounds memory on a page of a million words.
	cmd, stderr := popplerCmd(ctx, "pdftotext", in, "-q", "-cropbox", "-bbox", "-f", n, "-l", n)
	cmd.Args = append(cmd.Args, "-") // the output file follows the PDF
	var out bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &out, max: 4 << 20}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return 0, toolError("pdftotext", err)
		}
		return 0, popplerError("pdftotext", err, stderr)
	}
	return countBBoxWords(out.Bytes()), nil
}

// countBBoxWords counts <word …>text</word> elements of pdftotext -bbox
// output whose text has a letter or digit.
func countBBoxWords(out []byte) int {
	count := 0
	for {
		i := bytes.Index(out, []byte("<word "))
		if i < 0 {
			return count
		}
		out = out[i:]
		gt := bytes.IndexByte(out, '>')
		end := bytes.Index(out, []byte("</word>"))
		if gt < 0 || end < gt {
			return count
		}
		if bytes.IndexFunc(out[gt+1:end], func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			count++
		}
		out = out[end:]
	}
}

// renderPDFPage checks the page size from pdfinfo against the pixel limit
// before rendering, so no renderer allocates a huge bitmap either.
func (s *Scanner) renderPDFPage(ctx context.Context, src *source, page int) (image.Image, error) {
	if page < len(src.sizes) {
		ps := src.sizes[page]
		w := ptToPx(ps.W, s.opt.PDFDPI)
		h := ptToPx(ps.H, s.opt.PDFDPI)
		if err := checkPixels(w, h, s.opt.MaxPixels); err != nil {
			return nil, fmt.Errorf("page of %.0fx%.0f pt at %d dpi: %w", ps.W, ps.H, s.opt.PDFDPI, err)
		}
	}
	img, err := s.opt.PDF.Render(ctx, src.pdfInput(), page, s.opt.PDFDPI, s.opt.MaxPixels)
	if err != nil {
		return nil, err
	}
	// A renderer that hands back less than the page (a 1x1 image after a
	// failed allocation, a strip of a page) must not get the page called
	// clean: the image must be the size asked for, within rounding.
	if page < len(src.sizes) {
		ps := src.sizes[page]
		w, h := ptToPx(ps.W, s.opt.PDFDPI), ptToPx(ps.H, s.opt.PDFDPI)
		if b := img.Bounds(); !near(b.Dx(), w) || !near(b.Dy(), h) {
			return nil, fmt.Errorf("%w: rendered %dx%d px, want %dx%d for a %.0fx%.0f pt page at %d dpi",
				ErrIncomplete, b.Dx(), b.Dy(), w, h, ps.W, ps.H, s.opt.PDFDPI)
		}
	}
	return img, nil
}

// ErrIncomplete is wrapped by errors for pages that were read only in part
// or not at all although the reader claimed success.
var ErrIncomplete = errors.New("page not read in full")

// near allows the renderer's own rounding of a page size in pixels.
func near(got, want int) bool { return got >= want-2 && got <= want+2 }

// ptToPx is the pixel size pdftoppm gives a length in points (it rounds up).
func ptToPx(pt float64, dpi int) int {
	px := pt * float64(dpi) / 72
	if px > 1<<30 || px != px { // absurd or NaN: let checkPixels refuse it
		return 1 << 30
	}
	return int(px + 0.999)
}

// popplerCmd builds the command; a PDF in memory goes in on stdin ("-").
// Paths starting with "-" get "./" so they are not taken for options.
func popplerCmd(ctx context.Context, tool string, in PDFInput, args ...string) (*exec.Cmd, *bytes.Buffer) {
	file := in.Path
	if in.Data != nil {
		file = "-"
	} else if strings.HasPrefix(file, "-") {
		file = "./" + file
	}
	cmd := exec.CommandContext(ctx, tool, append(args, file)...)
	if in.Data != nil {
		cmd.Stdin = bytes.NewReader(in.Data)
	}
	// Fixed locale so that the output parsed above is in English with '.'
	// decimals.
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 8 << 10}
	return cmd, &stderr
}

func runPoppler(ctx context.Context, tool string, in PDFInput, maxOut int, args ...string) ([]byte, error) {
	cmd, stderr := popplerCmd(ctx, tool, in, args...)
	var out bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &out, max: maxOut}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return nil, toolError(tool, err)
		}
		return nil, popplerError(tool, err, stderr)
	}
	return out.Bytes(), nil
}

// toolError explains a missing poppler tool with the package to install.
func toolError(tool string, err error) error {
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("PDFs need %s from poppler (apt-get install poppler-utils; brew install poppler): %w", tool, err)
	}
	return fmt.Errorf("%s: %w", tool, err)
}

// popplerError makes a one-line error of the tool's last stderr line, which
// is where poppler says what is wrong with the file.
func popplerError(tool string, err error, stderr *bytes.Buffer) error {
	msg := ""
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			msg = l
		}
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "signal: killed") {
		return fmt.Errorf("%s: timed out or killed", tool)
	}
	if msg == "" {
		return fmt.Errorf("%s: %w", tool, err)
	}
	return fmt.Errorf("%s: %s", tool, msg)
}

// limitedBuffer keeps the first max bytes and discards the rest, so a tool
// printing without end cannot exhaust memory.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// readPPM decodes the binary PPM (P6, maxval 255) that pdftoppm writes,
// checking the size in the header before allocating.
func readPPM(r *bufio.Reader, maxPixels int64) (image.Image, error) {
	var hdr [4]int // magic, width, height, maxval
	for i := range hdr {
		tok, err := ppmToken(r)
		if err != nil {
			if errors.Is(err, io.EOF) && i == 0 {
				return nil, errors.New("no image produced")
			}
			return nil, fmt.Errorf("ppm header: %w", err)
		}
		if i == 0 {
			if tok != "P6" {
				return nil, fmt.Errorf("ppm header: magic %q, want P6", tok)
			}
			continue
		}
		n, err := strconv.Atoi(tok)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("ppm header: bad number %q", tok)
		}
		hdr[i] = n
	}
	w, h := hdr[1], hdr[2]
	if hdr[3] != 255 {
		return nil, fmt.Errorf("ppm: maxval %d, want 255", hdr[3])
	}
	if err := checkPixels(w, h, maxPixels); err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	row := make([]byte, 3*w)
	for y := range h {
		if _, err := io.ReadFull(r, row); err != nil {
			return nil, fmt.Errorf("ppm pixels: %w", err)
		}
		px := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := range w {
			px[4*x], px[4*x+1], px[4*x+2], px[4*x+3] = row[3*x], row[3*x+1], row[3*x+2], 255
		}
	}
	return img, nil
}

// ppmToken reads one whitespace-separated header token, skipping comments;
// it consumes the single whitespace byte after the token, as the format
// requires before the pixel data.
func ppmToken(r *bufio.Reader) (string, error) {
	var tok []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			if len(tok) > 0 && errors.Is(err, io.EOF) {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch {
		case c == '#' && len(tok) == 0:
			if _, err := r.ReadString('\n'); err != nil {
				return "", err
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if len(tok) > 0 {
				return string(tok), nil
			}
		default:
			if len(tok) >= 16 {
				return "", errors.New("token too long")
			}
			tok = append(tok, c)
		}
	}
}
