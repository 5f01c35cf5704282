package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders registered with image.Decode
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"strings"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// imageFormat names the image format the header belongs to, "" if none.
// It only looks at magic bytes, so it costs nothing.
func imageFormat(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(head, []byte("\xff\xd8")):
		return "jpeg"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "gif"
	case bytes.HasPrefix(head, []byte("BM")):
		return "bmp"
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// loadPage returns the pixels of one page of a source.
func (s *Scanner) loadPage(ctx context.Context, src *source, page int) (image.Image, error) {
	if src.kind == kindPDF {
		return s.renderPDFPage(ctx, src, page)
	}
	if src.data != nil {
		return decodeLimited(bytes.NewReader(src.data), s.opt.MaxPixels)
	}
	f, err := os.Open(src.path)
	if err != nil {
		return nil, pathError(err)
	}
	defer f.Close()
	return decodeLimited(f, s.opt.MaxPixels)
}

// ErrTooLarge is wrapped by errors for images, pages and PDFs over a limit.
var ErrTooLarge = errors.New("over the limit")

// decodeLimited reads the header first and refuses an image with more than
// maxPixels pixels before a pixel buffer is allocated: a 1 KB PNG may claim
// 100,000 × 100,000 pixels (40 GB as RGBA).
func decodeLimited(r io.ReadSeeker, maxPixels int64) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(r))
	if err != nil {
		return nil, decodeError(format, err)
	}
	if err := checkPixels(cfg.Width, cfg.Height, maxPixels); err != nil {
		return nil, fmt.Errorf("%s image: %w", format, err)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("seek: %w", err)
	}
	img, format, err := image.Decode(bufio.NewReader(r))
	if err != nil {
		return nil, decodeError(format, err)
	}
	// The decoders allocate from the header; a lying header cannot get past
	// the check above, but the decoded size is what OCR will see. A GIF is
	// its first frame only (image/gif stops reading there, so the frames
	// after it cost nothing), which may be smaller than the logical screen
	// the header gives and placed anywhere on it.
	b := img.Bounds()
	if format == "gif" && b.In(image.Rect(0, 0, cfg.Width, cfg.Height)) && !b.Empty() {
		return img, nil
	}
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%s image: decoded size %dx%d differs from header %dx%d", format, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return img, nil
}

func checkPixels(w, h int, maxPixels int64) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("invalid size %dx%d", w, h)
	}
	if int64(w)*int64(h) > maxPixels {
		return fmt.Errorf("%dx%d pixels (%.1f MP): %w of %.0f MP",
			w, h, float64(w)*float64(h)/1e6, ErrTooLarge, float64(maxPixels)/1e6)
	}
	return nil
}

func decodeError(format string, err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return errors.New("unsupported or corrupt image: unknown format")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		if format == "" {
			return errors.New("truncated image")
		}
		return fmt.Errorf("truncated %s image", format)
	case format == "" || strings.HasPrefix(err.Error(), format+":"):
		// The decoders' messages already name the format ("png: invalid format").
		return fmt.Errorf("decode: %w", err)
	}
	return fmt.Errorf("decode %s: %w", format, err)
}
