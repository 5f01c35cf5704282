// Package testpdf writes minimal PDF files for tests without a PDF library:
// each page is one RGB image (Flate-compressed) drawn over the whole page, so
// what a renderer produces does not depend on the fonts installed.
package testpdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
)

// Page is one PDF page: an image shown at DPI dots per inch, so rendering the
// page at the same DPI gives back an image of the same pixel size.
type Page struct {
	Image image.Image
	DPI   float64
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
	// Objects 1 and 2 are the catalog and the page tree; page objects follow,
	// three per page (page, content stream, image).
	catalog := "<< /Type /Catalog /Pages 2 0 R >>"
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 3+3*i)
	}
	obj(catalog, nil)
	obj(fmt.Sprintf("<< /Type /Pages /Count %d /Kids [ %s] >>", len(pages), kids), nil)
	for i, p := range pages {
		dpi := p.DPI
		if dpi <= 0 {
			dpi = 72
		}
		b := p.Image.Bounds()
		wpt := float64(b.Dx()) * 72 / dpi
		hpt := float64(b.Dy()) * 72 / dpi
		content, img := 4+3*i, 5+3*i // the page itself is 3+3*i
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>",
			wpt, hpt, img, content), nil)
		cs := fmt.Sprintf("q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q", wpt, hpt)
		obj(fmt.Sprintf("<< /Length %d >>", len(cs)), []byte(cs))
		data := rgbFlate(p.Image)
		obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>",
			b.Dx(), b.Dy(), len(data)), data)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return buf.Bytes()
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
