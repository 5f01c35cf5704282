// Package office reads PowerPoint, Word, Excel and OpenDocument files
// themselves — not a rendering of them — and yields their text, item by
// item, with where each item sits: slide, speaker notes, hidden slide,
// comment, master, chart cache, cell of a hidden sheet, deleted tracked
// change, document property. Embedded images come out as encoded bytes for
// the caller's OCR; embedded documents are read recursively to a bounded
// depth.
//
// Everything is streamed: zip parts are read through archive/zip and parsed
// with encoding/xml token by token, so memory is bounded by the largest
// item (a paragraph, a cell, an image) and the shared-string table, never
// by the size of the document. Hostile input is bounded by Limits.
//
// Pure Go except for legacy binary formats (.ppt/.doc/.xls), which are
// converted with LibreOffice's soffice when it is installed.
package office

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Location says where in a document an item was found. Fields that do not
// apply are left zero and omitted from JSON.
type Location struct {
	// Part is what kind of place: slide, notes, comment, master, layout,
	// chart, diagram, image, properties, body, header, footer, footnote,
	// endnote, deleted, cell, name, alt, link, tag.
	Part string `json:"part"`
	// Slide is 1-based, as people number slides; 0 when not on a slide.
	Slide int `json:"slide,omitempty"`
	// Sheet is the spreadsheet's sheet name, Cell the A1 reference.
	Sheet string `json:"sheet,omitempty"`
	Cell  string `json:"cell,omitempty"`
	// Name is a spreadsheet's defined name (for part "name").
	Name string `json:"name,omitempty"`
	// Hidden: on a hidden slide, sheet, row or column.
	Hidden bool `json:"hidden,omitempty"`
	// Image is the image's path inside the package (for image findings).
	Image string `json:"image,omitempty"`
	// Embedded is the path of the embedded document the item is in,
	// nested documents joined with "!" (outer first).
	Embedded string `json:"embedded,omitempty"`
}

// Item is one unit of text matched on its own (a paragraph, a cell, a
// property), or one embedded image (Image set, Text empty).
type Item struct {
	Text string
	Loc  Location
	// Row and Col place the item on a grid for rules that relate nearby
	// text (name near amount): paragraphs are rows of column 0, cells sit at
	// their row and column. Block groups items of one shape or table.
	Row, Col, Block int
	// Image is an encoded image (PNG, JPEG, GIF, BMP, WebP …) to OCR.
	Image []byte
}

// Handler receives what a document holds. Text gets items in batches that
// belong together (one slide, one part, a run of rows of one sheet); it
// may keep nothing after it returns. Image gets one embedded image.
// Problem gets a part that could not be read: the rest is still read. An
// error from Text or Image stops the walk.
type Handler interface {
	Text(items []Item) error
	Image(it Item) error
	Problem(err error)
}

// Limits bound what a hostile file can make the reader do. Zero fields take
// the defaults.
type Limits struct {
	MaxParts      int   // zip entries in one package
	MaxPartBytes  int64 // uncompressed bytes of one part
	MaxTotalBytes int64 // uncompressed bytes of a package and everything embedded in it
	MaxRatio      int64 // uncompressed:compressed ratio of a part past RatioFloor bytes
	MaxDepth      int   // XML element nesting
	MaxEmbedDepth int   // documents inside documents (1: embedded docs read, theirs not)
	MaxImageBytes int64 // one embedded image or embedded document
	MaxStrings    int64 // bytes of a spreadsheet's shared-string table kept in memory
}

// Defaults: a 200-slide deck or a 50,000-cell workbook is two orders of
// magnitude below every bound, a zip bomb stops at the first.
const (
	DefaultMaxParts      = 20_000
	DefaultMaxPartBytes  = 256 << 20
	DefaultMaxTotalBytes = 2 << 30
	DefaultMaxRatio      = 200
	RatioFloor           = 4 << 20
	DefaultMaxDepth      = 256
	DefaultMaxEmbedDepth = 3
	DefaultMaxImageBytes = 64 << 20
	DefaultMaxStrings    = 256 << 20
)

func (l Limits) withDefaults() Limits {
	set := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxEmbedDepth <= 0 {
		l.MaxEmbedDepth = DefaultMaxEmbedDepth
	}
	set(&l.MaxPartBytes, DefaultMaxPartBytes)
	set(&l.MaxTotalBytes, DefaultMaxTotalBytes)
	set(&l.MaxRatio, DefaultMaxRatio)
	set(&l.MaxImageBytes, DefaultMaxImageBytes)
	set(&l.MaxStrings, DefaultMaxStrings)
	return l
}

// Sentinel errors callers and tests act on.
var (
	ErrEncrypted   = errors.New("password-protected (encrypted) office file: save an unprotected copy to scan it")
	ErrNotOffice   = errors.New("not an office document")
	ErrLimit       = errors.New("over the limit")
	ErrNoSoffice   = errors.New("legacy binary office format needs LibreOffice to convert it: install the Debian package libreoffice-core (with libreoffice-writer, -calc, -impress), or save it as .pptx/.docx/.xlsx")
	ErrTooDeep     = errors.New("nested too deep")
	ErrTruncated   = errors.New("truncated or corrupt archive")
	errStopWalking = errors.New("stop")
)

// Format is a recognised document family.
type Format int

const (
	Unknown Format = iota
	OOXML          // a zip package: pptx, docx, xlsx and their macro/show/template variants
	ODF            // a zip with an OpenDocument mimetype
	CFB            // an OLE compound file: legacy binary or encrypted OOXML
)

// Sniff tells from the first bytes of a file whether it may be an office
// document: a zip (checked properly by Walk) or an OLE compound file.
func Sniff(head []byte) Format {
	switch {
	case len(head) >= 4 && string(head[:4]) == "PK\x03\x04":
		return OOXML // or ODF: Walk tells them apart from the package itself
	case len(head) >= 8 && string(head[:8]) == "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
		return CFB
	}
	return Unknown
}

// Options for Walk.
type Options struct {
	Limits Limits
	// Soffice is the LibreOffice binary for legacy formats; "" looks up
	// "soffice" in PATH.
	Soffice string
	// Note receives remarks (a legacy file converted). May be nil.
	Note func(string)
	// SkipImages leaves embedded images unread (text only).
	SkipImages bool
}

// Walk reads the document in r (size bytes) and hands its items to h. The
// returned error is for the document as a whole (not an office document,
// encrypted, truncated, over a limit); parts that fail alone go to
// h.Problem and the rest is still read.
func Walk(ctx context.Context, r io.ReaderAt, size int64, opt Options, h Handler) error {
	w := &walker{ctx: ctx, opt: opt, lim: opt.Limits.withDefaults(), h: h}
	if w.opt.Note == nil {
		w.opt.Note = func(string) {}
	}
	err := w.walk(r, size, "", 0)
	if errors.Is(err, errStopWalking) {
		return nil
	}
	return err
}

// walker carries the state shared by a document and its embedded ones.
type walker struct {
	ctx   context.Context
	opt   Options
	lim   Limits
	h     Handler
	total int64 // uncompressed bytes read so far, embedded documents included
}

func (w *walker) walk(r io.ReaderAt, size int64, embedded string, depth int) error {
	head := make([]byte, 8)
	n, _ := r.ReadAt(head, 0)
	switch Sniff(head[:n]) {
	case OOXML:
		return w.walkZip(r, size, embedded, depth)
	case CFB:
		return w.walkCFB(r, size, embedded, depth)
	}
	return fmt.Errorf("%w: neither a zip package nor an OLE compound file", ErrNotOffice)
}

// problem reports a part that failed, naming it (and the embedded document
// it is in).
func (w *walker) problem(embedded, part string, err error) {
	where := part
	if embedded != "" {
		where = embedded + "!" + part
	}
	w.h.Problem(fmt.Errorf("%s: %w", where, err))
}
