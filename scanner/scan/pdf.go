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
)

// PDFInput is a PDF file on disk or in memory (from stdin).
type PDFInput struct {
	Path string
	Data []byte
}

// PageSize is a PDF page's size in points (1/72 inch), rotation applied or
// not: only the area matters here.
type PageSize struct{ W, H float64 }

// PDFRenderer lists and rasterises PDF pages. Poppler is the real one.
type PDFRenderer interface {
	// Pages returns the size of every page; more than maxPages pages is an
	// error (without listing them).
	Pages(ctx context.Context, in PDFInput, maxPages int) ([]PageSize, error)
	// Render rasterises page (0-based) at dpi and refuses it if it would
	// have more than maxPixels pixels.
	Render(ctx context.Context, in PDFInput, page, dpi int, maxPixels int64) (image.Image, error)
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
	return sizes, nil
}

func (Poppler) Render(ctx context.Context, in PDFInput, page, dpi int, maxPixels int64) (image.Image, error) {
	ctx, cancel := context.WithTimeout(ctx, pdfRenderTimeout)
	defer cancel()
	n := strconv.Itoa(page + 1)
	args := []string{"-r", strconv.Itoa(dpi), "-f", n, "-l", n, "-singlefile"}
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
	return img, nil
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
	return s.opt.PDF.Render(ctx, src.pdfInput(), page, s.opt.PDFDPI, s.opt.MaxPixels)
}

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
