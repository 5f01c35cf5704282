package scan

import (
	"bufio"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Redacted copies of still sources: images become PNGs with every finding
// blacked out (padded past the OCR box as in evidence, without labels);
// PDFs become rasterised PDFs, every page rendered at --pdf-dpi and shown
// at its original size, pages with findings masked. Rasterising is the
// only way to be sure: a PDF's text layer, annotations and metadata would
// still carry what a black rectangle drawn on top hides.

// maskCopy returns an RGBA copy of img with the boxes of fs filled black.
func maskCopy(img image.Image, fs []Finding) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	for _, f := range fs {
		r := boxRect(f.Box)
		pad := max(3, r.Dy()/4)
		draw.Draw(out, r.Inset(-pad).Intersect(out.Bounds()), image.Black, image.Point{}, draw.Src)
	}
	return out
}

// redactStill writes the redacted copies of images and PDFs with findings.
func (s *Scanner) redactStill(ctx context.Context, srcs []*source, res *Result) []seqError {
	byPage := map[string]map[int][]Finding{}
	for _, f := range res.Findings {
		if f.Video {
			continue
		}
		if byPage[f.Source] == nil {
			byPage[f.Source] = map[int][]Finding{}
		}
		byPage[f.Source][f.Page] = append(byPage[f.Source][f.Page], f)
	}
	var errs []seqError
	for _, src := range srcs {
		pages := byPage[src.name]
		if len(pages) == 0 || src.kind == kindVideo || ctx.Err() != nil {
			continue
		}
		if err := os.MkdirAll(s.opt.RedactDir, 0o700); err != nil {
			errs = append(errs, seqError{src.seq, Error{src.name, fmt.Errorf("redact: %w", err)}})
			continue
		}
		base := strings.TrimSuffix(EvidenceName(src.name, 0, false), ".evidence.png")
		if ext := filepath.Ext(base); ext != base {
			base = strings.TrimSuffix(base, ext)
		}
		var path string
		var err error
		if src.kind == kindPDF {
			path, err = s.redactPDF(ctx, src, pages, base+".redacted.pdf")
		} else {
			path, err = s.redactImage(ctx, src, pages[0], base+".redacted.png")
		}
		if err != nil {
			errs = append(errs, seqError{src.seq, Error{src.name, fmt.Errorf("redact: %w", err)}})
			continue
		}
		res.Redacted = append(res.Redacted, path)
		s.opt.Note("redacted copy written: " + path)
	}
	return errs
}

func (s *Scanner) redactImage(ctx context.Context, src *source, fs []Finding, name string) (string, error) {
	img, err := s.loadPage(ctx, src, 0)
	if err != nil {
		return "", err
	}
	out := maskCopy(img, fs)
	return writeNew(s.opt.RedactDir, name, func(w io.Writer) error { return png.Encode(w, out) })
}

func (s *Scanner) redactPDF(ctx context.Context, src *source, pages map[int][]Finding, name string) (string, error) {
	return writeNew(s.opt.RedactDir, name, func(w io.Writer) error {
		pw := newPDFWriter(w)
		for p := range src.pages {
			img, err := s.loadPage(ctx, src, p)
			if err != nil {
				return fmt.Errorf("page %d: %w", p+1, err)
			}
			if err := pw.page(maskCopy(img, pages[p]), float64(s.opt.PDFDPI)); err != nil {
				return err
			}
		}
		return pw.close()
	})
}

// writeNew writes a file through a temporary file in dir and links it to
// dir/name (or name-N) only when complete: never overwriting, never half
// written.
func writeNew(dir, name string, write func(io.Writer) error) (string, error) {
	tmp, err := os.CreateTemp(dir, ".demoguard-redact-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		tmp.Close()
		return "", err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		p := filepath.Join(dir, name)
		if i > 0 {
			p = filepath.Join(dir, fmt.Sprintf("%s-%d%s", stem, i, ext))
		}
		err := os.Link(tmp.Name(), p)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return p, nil
	}
	return "", fmt.Errorf("%s and 999 numbered variants exist in %s", name, dir)
}

// pdfWriter streams a PDF of one full-page RGB image per page (Flate), so
// a long document is never held in memory whole. Objects: 1 catalog,
// 2 page tree (written last), then page, contents, image per page.
type pdfWriter struct {
	w       *countWriter
	offsets []int64
	kids    []int
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func newPDFWriter(w io.Writer) *pdfWriter {
	pw := &pdfWriter{w: &countWriter{w: w}}
	fmt.Fprint(pw.w, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	pw.obj(1, "<< /Type /Catalog /Pages 2 0 R >>", nil)
	pw.offsets = append(pw.offsets, 0) // object 2 comes at the end
	return pw
}

func (pw *pdfWriter) obj(n int, body string, stream []byte) {
	for len(pw.offsets) < n {
		pw.offsets = append(pw.offsets, 0)
	}
	pw.offsets[n-1] = pw.w.n
	fmt.Fprintf(pw.w, "%d 0 obj\n%s", n, body)
	if stream != nil {
		fmt.Fprint(pw.w, "\nstream\n")
		pw.w.Write(stream)
		fmt.Fprint(pw.w, "\nendstream")
	}
	fmt.Fprint(pw.w, "\nendobj\n")
}

func (pw *pdfWriter) page(img *image.RGBA, dpi float64) error {
	b := img.Bounds()
	wpt, hpt := float64(b.Dx())*72/dpi, float64(b.Dy())*72/dpi
	n := len(pw.offsets) + 1
	pw.kids = append(pw.kids, n)
	pw.obj(n, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>", wpt, hpt, n+2, n+1), nil)
	cs := fmt.Sprintf("q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q", wpt, hpt)
	pw.obj(n+1, fmt.Sprintf("<< /Length %d >>", len(cs)), []byte(cs))
	var z strings.Builder
	zw := zlib.NewWriter(&z)
	row := make([]byte, 3*b.Dx())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		o := img.PixOffset(b.Min.X, y)
		for x := 0; x < b.Dx(); x++ {
			copy(row[3*x:3*x+3], img.Pix[o+4*x:o+4*x+3])
		}
		zw.Write(row)
	}
	zw.Close()
	pw.obj(n+2, fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>",
		b.Dx(), b.Dy(), z.Len()), []byte(z.String()))
	return nil
}

func (pw *pdfWriter) close() error {
	kids := ""
	for _, k := range pw.kids {
		kids += fmt.Sprintf("%d 0 R ", k)
	}
	pw.obj(2, fmt.Sprintf("<< /Type /Pages /Count %d /Kids [ %s] >>", len(pw.kids), kids), nil)
	xref := pw.w.n
	fmt.Fprintf(pw.w, "xref\n0 %d\n0000000000 65535 f \n", len(pw.offsets)+1)
	for _, o := range pw.offsets {
		fmt.Fprintf(pw.w, "%010d 00000 n \n", o)
	}
	_, err := fmt.Fprintf(pw.w, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(pw.offsets)+1, xref)
	return err
}
