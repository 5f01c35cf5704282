package scan

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/demoguard/demoguard/rules"
)

// EvidenceName makes a file name for the evidence of one page from the
// source path: anything but letters, digits, '.', '-' and '_' becomes '_', so
// a source path can neither escape the evidence directory nor make a hidden
// file. PDF pages get "-page<N>" (0-based, as in the JSON output).
func EvidenceName(src string, page int, pdf bool) string {
	var b strings.Builder
	for _, r := range src {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.TrimRight(strings.TrimLeft(b.String(), "._"), "_")
	if name == "" {
		name = "stdin"
	}
	if len(name) > 150 { // keep the end: it has the file name
		name = name[len(name)-150:]
	}
	if pdf {
		name += fmt.Sprintf("-page%d", page)
	}
	return name + ".evidence.png"
}

// WriteEvidence writes a copy of img with every finding blacked out and
// outlined in its severity's colour, labelled with the rule id, into dir as
// name (or name-1, name-2… when that exists: nothing is overwritten). The
// matched text never leaves the box: the fill is opaque black, padded past
// the OCR box so that ascenders and descenders are covered too. Returns the
// path written.
func WriteEvidence(dir, name string, img image.Image, findings []Finding) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create evidence directory: %w", err)
	}
	out := RedactedCopy(img, findings)
	base := strings.TrimSuffix(name, ".png")
	for i := 0; i < 1000; i++ {
		p := filepath.Join(dir, name)
		if i > 0 {
			p = filepath.Join(dir, fmt.Sprintf("%s-%d.png", base, i))
		}
		// The page around the boxes can still be confidential: owner only.
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := png.Encode(f, out); err != nil {
			f.Close()
			os.Remove(p)
			return "", fmt.Errorf("write %s: %w", printable(p), err)
		}
		if err := f.Close(); err != nil {
			os.Remove(p)
			return "", fmt.Errorf("write %s: %w", printable(p), err)
		}
		return p, nil
	}
	return "", fmt.Errorf("%s and 999 numbered variants exist in %s", name, printable(dir))
}

// severityColor makes the outline say how bad a finding is at a glance.
func severityColor(s rules.Severity) color.RGBA {
	switch s {
	case rules.Critical:
		return color.RGBA{200, 0, 200, 255}
	case rules.High:
		return color.RGBA{230, 0, 0, 255}
	case rules.Medium:
		return color.RGBA{255, 140, 0, 255}
	}
	return color.RGBA{230, 200, 0, 255}
}

// RedactedCopy returns an RGBA copy of img with the findings blacked out and
// outlined. img itself is not touched.
func RedactedCopy(img image.Image, findings []Finding) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	const border = 3
	// Black out every box first, then draw outlines and labels, so that a
	// label can never be covered by (or cover) another finding's fill.
	var rects []image.Rectangle
	for _, f := range findings {
		r := boxRect(f.Box)
		pad := max(2, r.Dy()/4)
		r = r.Inset(-pad).Intersect(out.Bounds())
		rects = append(rects, r)
		draw.Draw(out, r, image.Black, image.Point{}, draw.Src)
	}
	for i, f := range findings {
		r := rects[i]
		if r.Empty() {
			continue
		}
		c := image.NewUniform(severityColor(f.Severity))
		outer := r.Inset(-border).Intersect(out.Bounds())
		for _, side := range []image.Rectangle{
			{outer.Min, image.Pt(outer.Max.X, r.Min.Y)},
			{image.Pt(outer.Min.X, r.Max.Y), outer.Max},
			{outer.Min, image.Pt(r.Min.X, outer.Max.Y)},
			{image.Pt(r.Max.X, outer.Min.Y), outer.Max},
		} {
			draw.Draw(out, side, c, image.Point{}, draw.Src)
		}
		label(out, outer, f.Rule+" ("+f.Severity.String()+")", c)
	}
	return out
}

func boxRect(b rules.Box) image.Rectangle {
	return image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H)
}

// label writes the rule id on a coloured strip above the box (below it when
// there is no room above). Only the rule id is written, never the text.
func label(dst *image.RGBA, box image.Rectangle, text string, bg *image.Uniform) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, text).Ceil() + 4
	h := 15
	strip := image.Rect(box.Min.X, box.Min.Y-h, box.Min.X+w, box.Min.Y)
	if strip.Min.Y < 0 {
		strip = image.Rect(box.Min.X, box.Max.Y, box.Min.X+w, box.Max.Y+h)
	}
	// A box at the right edge gets its label shifted left, not cut off.
	if over := strip.Max.X - dst.Bounds().Max.X; over > 0 {
		strip = strip.Sub(image.Pt(min(over, strip.Min.X-dst.Bounds().Min.X), 0))
	}
	strip = strip.Intersect(dst.Bounds())
	if strip.Empty() {
		return
	}
	draw.Draw(dst, strip, bg, image.Point{}, draw.Src)
	d := font.Drawer{
		Dst:  dst,
		Src:  image.White,
		Face: face,
		Dot:  fixed.P(strip.Min.X+2, strip.Min.Y+11),
	}
	d.DrawString(text)
}
