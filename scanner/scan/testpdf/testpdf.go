// Package testpdf writes minimal PDF files for tests without a PDF library:
// each page is one RGB image (Flate-compressed) drawn over the whole page, so
// what a renderer produces does not depend on the fonts installed. Pages may
// also carry text objects (Helvetica, a standard font every reader knows) and
// their own MediaBox and CropBox, to build the odd pages real files have.
package testpdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"strings"
)

// Page is one PDF page: an image shown at DPI dots per inch, so rendering the
// page at the same DPI gives back an image of the same pixel size.
type Page struct {
	Image image.Image // may be nil for a page of text only
	DPI   float64

	// MediaBox and CropBox, in points as [llx lly urx ury], override the
	// page's boxes when not all zero. Without them the MediaBox is the
	// image's size and there is no CropBox.
	MediaBox, CropBox [4]float64
	// Text is drawn over the image, in points from the bottom left.
	Text []Text
}

// Text is one line of text in Helvetica.
type Text struct {
	X, Y, Size float64
	S          string
}

// Make returns a PDF with one page per Page. The cross-reference table is
// exact so that strict readers accept the file without repairing it.
func Make(pages ...Page) []byte {
	var buf bytes.Buffer
	var offsets []int
	obj := func(body string, stream []byte) int {
		offsets = append(offsets, buf.Len())
		n := len(offsets)
		fmt.Fprintf(&buf, "%d 0 obj\n%s", n, body)
		if stream != nil {
			fmt.Fprintf(&buf, "\nstream\n")
			buf.Write(stream)
			buf.WriteString("\nendstream")
		}
		buf.WriteString("\nendobj\n")
		return n
	}
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// Objects 1 and 2 are the catalog and the page tree, 3 the font; page
	// objects follow, three per page (page, content stream, image).
	catalog := "<< /Type /Catalog /Pages 2 0 R >>"
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 4+3*i)
	}
	obj(catalog, nil)
	obj(fmt.Sprintf("<< /Type /Pages /Count %d /Kids [ %s] >>", len(pages), kids), nil)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", nil)
	for i, p := range pages {
		dpi := p.DPI
		if dpi <= 0 {
			dpi = 72
		}
		var wpt, hpt float64
		if p.Image != nil {
			b := p.Image.Bounds()
			wpt = float64(b.Dx()) * 72 / dpi
			hpt = float64(b.Dy()) * 72 / dpi
		}
		media := fmt.Sprintf("[0 0 %.4f %.4f]", wpt, hpt)
		if p.MediaBox != [4]float64{} {
			media = box(p.MediaBox)
		}
		boxes := "/MediaBox " + media
		if p.CropBox != [4]float64{} {
			boxes += " /CropBox " + box(p.CropBox)
		}
		content, img := 5+3*i, 6+3*i // the page itself is 4+3*i
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R %s /Resources << /XObject << /Im0 %d 0 R >> /Font << /F1 3 0 R >> >> /Contents %d 0 R >>",
			boxes, img, content), nil)
		var cs strings.Builder
		if p.Image != nil {
			fmt.Fprintf(&cs, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n", wpt, hpt)
		}
		for _, t := range p.Text {
			fmt.Fprintf(&cs, "BT /F1 %.2f Tf %.2f %.2f Td (%s) Tj ET\n", t.Size, t.X, t.Y, escape(t.S))
		}
		obj(fmt.Sprintf("<< /Length %d >>", cs.Len()), []byte(cs.String()))
		var data []byte
		w, h := 1, 1
		if p.Image != nil {
			data = rgbFlate(p.Image)
			w, h = p.Image.Bounds().Dx(), p.Image.Bounds().Dy()
		} else {
			data = rgbFlate(image.NewRGBA(image.Rect(0, 0, 1, 1))) // unused, keeps object numbers regular
		}
		obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>",
			w, h, len(data)), data)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return buf.Bytes()
}

func box(b [4]float64) string { return fmt.Sprintf("[%.4f %.4f %.4f %.4f]", b[0], b[1], b[2], b[3]) }

// escape makes s a PDF literal string body.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(s)
}

func rgbFlate(img image.Image) []byte {
	b := img.Bounds()
	raw := make([]byte, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			raw = append(raw, byte(r>>8), byte(g>>8), byte(bl>>8))
		}
	}
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestSpeed)
	zw.Write(raw)
	zw.Close()
	return out.Bytes()
}
