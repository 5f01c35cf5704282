package office

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// rel is one relationship of a part.
type rel struct {
	id, typ, target string
	external        bool
}

// ooxml reads one OOXML package (and, through the walker, what it embeds).
type ooxml struct {
	w        *walker
	p        *pkg
	emb      string
	depth    int
	over     map[string]string // part name → content type
	defaults map[string]string // extension → content type
	done     map[string]bool
	xl       *workbook
}

func (w *walker) walkZip(r io.ReaderAt, size int64, emb string, depth int) error {
	p, err := w.openZip(r, size)
	if err != nil {
		return err
	}
	if p.parts["mimetype"] != nil && p.parts["[Content_Types].xml"] == nil {
		return w.walkODF(p, emb, depth)
	}
	if p.parts["[Content_Types].xml"] == nil {
		return fmt.Errorf("%w: a zip archive without [Content_Types].xml or an OpenDocument mimetype", ErrNotOffice)
	}
	o := &ooxml{w: w, p: p, emb: emb, depth: depth, over: map[string]string{}, defaults: map[string]string{}, done: map[string]bool{}}
	return o.run()
}

func (o *ooxml) run() error {
	if err := o.contentTypes(); err != nil {
		return err
	}
	var main string
	rels, err := o.rels("")
	if err != nil && fatal(err) {
		return err
	}
	for _, r := range rels {
		if strings.HasSuffix(r.typ, "/officeDocument") && !r.external {
			main = r.target
			break
		}
	}
	ct := o.ctype(main)
	base := Location{Embedded: o.emb}
	switch {
	case main == "" || o.p.parts[main] == nil:
		return fmt.Errorf("%w: the package names no main document", ErrNotOffice)
	case strings.HasSuffix(main, ".bin"):
		return fmt.Errorf("%w: a binary workbook (.xlsb) is not read: save it as .xlsx", ErrNotOffice)
	case strings.Contains(ct, "presentationml") || strings.Contains(ct, "ms-powerpoint"):
		err = o.presentation(main, base)
	case strings.Contains(ct, "wordprocessingml") || strings.Contains(ct, "ms-word"):
		err = o.part(main, base)
	case strings.Contains(ct, "spreadsheetml") || strings.Contains(ct, "ms-excel"):
		err = o.spreadsheet(main, base)
	default:
		return fmt.Errorf("%w: main part %s has content type %q", ErrNotOffice, main, ct)
	}
	if err != nil {
		return err
	}
	// Everything not reached from the main document: masters, layouts,
	// properties, orphaned parts.
	for _, name := range o.p.names {
		if o.done[name] {
			continue
		}
		if err := o.part(name, base); err != nil {
			return err
		}
	}
	return nil
}

// check turns a part error into a problem line, or returns it when the
// package as a whole is done for.
func (o *ooxml) check(name string, err error) error {
	if err == nil {
		return nil
	}
	if fatal(err) {
		return err
	}
	o.w.problem(o.emb, name, err)
	return nil
}

func (o *ooxml) contentTypes() error {
	data, err := o.w.readPart(o.p, "[Content_Types].xml", 16<<20)
	if err != nil {
		return err
	}
	x := newXML(bytes.NewReader(data), "[Content_Types].xml", o.w.lim.MaxDepth)
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNotOffice, err)
		}
		if se, ok := t.(xml.StartElement); ok {
			switch se.Name.Local {
			case "Default":
				o.defaults[strings.ToLower(attr(se, "Extension"))] = strings.ToLower(attr(se, "ContentType"))
			case "Override":
				o.over[strings.TrimPrefix(attr(se, "PartName"), "/")] = strings.ToLower(attr(se, "ContentType"))
			}
		}
	}
}

func (o *ooxml) ctype(name string) string {
	if ct, ok := o.over[name]; ok {
		return ct
	}
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
	return o.defaults[ext]
}

// rels reads the relationships of a part ("" for the package).
func (o *ooxml) rels(part string) ([]rel, error) {
	name := "_rels/.rels"
	if part != "" {
		name = relsName(part)
	}
	if o.p.parts[name] == nil {
		return nil, nil
	}
	o.done[name] = true
	data, err := o.w.readPart(o.p, name, 16<<20)
	if err != nil {
		return nil, err
	}
	x := newXML(bytes.NewReader(data), name, o.w.lim.MaxDepth)
	var out []rel
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if se, ok := t.(xml.StartElement); ok && se.Name.Local == "Relationship" {
			r := rel{id: attr(se, "Id"), typ: attr(se, "Type"), target: attr(se, "Target"), external: attr(se, "TargetMode") == "External"}
			if !r.external {
				r.target = resolve(part, r.target)
			}
			out = append(out, r)
		}
	}
}

// kindOf names the Location part for a content type, "" for parts without
// text of their own (themes, styles, settings).
func kindOf(ct, name string) string {
	switch {
	case strings.Contains(ct, "presentationml.slide+xml"):
		return "slide"
	case strings.Contains(ct, "notesslide"):
		return "notes"
	case strings.Contains(ct, "slidemaster"), strings.Contains(ct, "notesmaster"), strings.Contains(ct, "handoutmaster"):
		return "master"
	case strings.Contains(ct, "slidelayout"):
		return "layout"
	case strings.Contains(ct, "presentationml.comments"), strings.Contains(ct, "ms-powerpoint.comments"),
		strings.Contains(ct, "spreadsheetml.comments"), strings.Contains(ct, "threadedcomments"),
		strings.Contains(ct, "wordprocessingml.comments+xml"):
		return "comment"
	case strings.Contains(ct, "presentationml.tags"):
		return "tag"
	case strings.Contains(ct, "drawingml.chart+xml"), strings.Contains(ct, "chartex+xml"):
		return "chart"
	case strings.Contains(ct, "pivotcachedefinition"), strings.Contains(ct, "pivotcacherecords"):
		return "pivot"
	case strings.Contains(ct, "diagramdata"):
		return "diagram"
	case strings.Contains(ct, "officedocument.drawing+xml"):
		return "drawing"
	case strings.Contains(ct, "wordprocessingml.header"):
		return "header"
	case strings.Contains(ct, "wordprocessingml.footer"):
		return "footer"
	case strings.Contains(ct, "wordprocessingml.footnotes"):
		return "footnote"
	case strings.Contains(ct, "wordprocessingml.endnotes"):
		return "endnote"
	case (strings.Contains(ct, "wordprocessingml") || strings.Contains(ct, "ms-word")) && strings.HasSuffix(ct, ".main+xml"):
		return "body"
	case strings.Contains(ct, "spreadsheetml.worksheet"):
		return "cell"
	case strings.Contains(ct, "core-properties"), strings.Contains(ct, "extended-properties"), strings.Contains(ct, "custom-properties"):
		return "properties"
	case strings.HasPrefix(ct, "image/"):
		return "image"
	case strings.Contains(ct, "oleobject"), strings.Contains(ct, "package"), strings.Contains(name, "/embeddings/"):
		return "embedded"
	}
	return ""
}

// part reads one part at loc (slide, sheet and hidden come from what owns
// it), then the parts it owns (a slide's notes, comments, charts and
// images) at the same place, and its external links.
func (o *ooxml) part(name string, loc Location) error {
	if o.done[name] || o.p.parts[name] == nil {
		return nil
	}
	if err := o.w.ctx.Err(); err != nil {
		return err
	}
	o.done[name] = true
	ct := o.ctype(name)
	kind := kindOf(ct, name)
	if kind == "" {
		return nil
	}
	loc.Part = kind
	var err error
	switch kind {
	case "image":
		err = o.image(name, loc)
	case "embedded":
		err = o.embedded(name, loc)
	case "cell":
		err = o.sheet(name, loc)
	case "properties":
		err = o.properties(name, loc)
	case "tag":
		err = o.tags(name, loc)
	case "pivot":
		err = o.pivot(name, loc)
	default:
		mode := modeDrawing
		switch kind {
		case "comment":
			mode = modeComment
		case "chart":
			mode = modeChart
		}
		var rc io.ReadCloser
		rc, err = o.w.open(o.p, name, o.w.lim.MaxPartBytes)
		if err == nil {
			err = o.w.readText(rc, name, loc, mode, func(se xml.StartElement, l *Location) {
				if kind == "slide" && attr(se, "show") == "0" {
					l.Hidden = true
					loc.Hidden = true
				}
			})
			rc.Close()
		}
	}
	if err := o.check(name, err); err != nil {
		return err
	}
	return o.children(name, loc)
}

// owned says whether a part reached through a relationship belongs to the
// part that points at it (so it takes its slide or sheet): notes, comments,
// charts and images do; layouts, masters and other slides do not.
func owned(kind string) bool {
	switch kind {
	case "notes", "comment", "chart", "diagram", "drawing", "image", "embedded", "header", "footer", "footnote", "endnote", "pivot":
		return true
	}
	return false
}

func (o *ooxml) children(name string, loc Location) error {
	rels, err := o.rels(name)
	if err := o.check(relsName(name), err); err != nil {
		return err
	}
	e := &emitter{w: o.w}
	for _, r := range rels {
		if r.external {
			if strings.HasSuffix(r.typ, "/hyperlink") || strings.HasSuffix(r.typ, "/oleObject") || strings.HasSuffix(r.typ, "/attachedTemplate") {
				l := loc
				l.Part = "link"
				l.Cell = ""
				if err := e.add(Item{Text: r.target, Loc: l}); err != nil {
					return err
				}
			}
			continue
		}
		if o.done[r.target] {
			continue
		}
		if owned(kindOf(o.ctype(r.target), r.target)) {
			l := loc
			l.Cell = ""
			if err := o.part(r.target, l); err != nil {
				return err
			}
		}
	}
	return e.flush()
}

// presentation reads the slides in presentation order, so that slide
// numbers are the ones people see.
func (o *ooxml) presentation(main string, base Location) error {
	o.done[main] = true
	rels, err := o.rels(main)
	if err != nil {
		return err
	}
	byID := map[string]string{}
	for _, r := range rels {
		byID[r.id] = r.target
	}
	rc, err := o.w.open(o.p, main, o.w.lim.MaxPartBytes)
	if err != nil {
		return err
	}
	x := newXML(rc, main, o.w.lim.MaxDepth)
	var slides []string
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rc.Close()
			return err
		}
		if se, ok := t.(xml.StartElement); ok && se.Name.Local == "sldId" {
			if target, ok := byID[attrNS(se, "r", "id")]; ok {
				slides = append(slides, target)
			}
		}
	}
	rc.Close()
	for i, s := range slides {
		l := base
		l.Slide = i + 1
		if err := o.part(s, l); err != nil {
			return err
		}
	}
	// Hyperlinks, embedded fonts and custom shows hang off the presentation.
	return o.children(main, base)
}

// image hands an embedded picture to the handler for OCR.
func (o *ooxml) image(name string, loc Location) error {
	loc.Image = name
	return o.w.image(o.p, name, loc)
}

func (w *walker) image(p *pkg, name string, loc Location) error {
	if w.opt.SkipImages {
		return nil
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".jfif":
	case ".svm", ".wmf", ".emf", ".svg", ".emz", ".wmz", ".pict", ".eps":
		// Vector drawings and previews LibreOffice and Office generate
		// for tables and objects: their text is read from the XML.
		return nil
	default:
		w.opt.Note(fmt.Sprintf("%s: image format %s not read", where(loc.Embedded, name), path.Ext(name)))
		return nil
	}
	data, err := w.readPart(p, name, w.lim.MaxImageBytes)
	if err != nil {
		return err
	}
	loc.Part = "image"
	loc.Image = name
	return w.h.Image(Item{Loc: loc, Image: data})
}

func where(emb, name string) string {
	if emb == "" {
		return name
	}
	return emb + "!" + name
}

// embedded reads a document inside the document (an embedded workbook, a
// chart's data, a pasted deck), or OCRs an embedded picture.
func (o *ooxml) embedded(name string, loc Location) error {
	return o.w.embedded(o.p, name, loc, o.emb, o.depth)
}

func (w *walker) embedded(p *pkg, name string, loc Location, emb string, depth int) error {
	data, err := w.readPart(p, name, w.lim.MaxImageBytes)
	if err != nil {
		return err
	}
	head := data[:min(len(data), 16)]
	if isImage(head) {
		loc.Part = "image"
		loc.Image = name
		return w.h.Image(Item{Loc: loc, Image: data})
	}
	if Sniff(head) == Unknown {
		return nil
	}
	inner := where(emb, name)
	if depth+1 > w.lim.MaxEmbedDepth {
		return fmt.Errorf("embedded document %s: %w (more than %d levels of documents inside documents): not read", inner, ErrTooDeep, w.lim.MaxEmbedDepth)
	}
	outer := w.h
	w.h = &embHandler{Handler: outer, outer: loc}
	err = w.walk(bytes.NewReader(data), int64(len(data)), inner, depth+1)
	w.h = outer
	if err != nil && !fatal(err) {
		return fmt.Errorf("embedded document: %w", err)
	}
	return err
}

// embHandler places items of an embedded document on the slide or sheet of
// the object that holds it (when the inner location has none).
type embHandler struct {
	Handler
	outer Location
}

func (e *embHandler) fix(l *Location) {
	if l.Slide == 0 {
		l.Slide = e.outer.Slide
	}
	l.Hidden = l.Hidden || e.outer.Hidden
}

func (e *embHandler) Text(items []Item) error {
	for i := range items {
		e.fix(&items[i].Loc)
	}
	return e.Handler.Text(items)
}

func (e *embHandler) Image(it Item) error {
	e.fix(&it.Loc)
	return e.Handler.Image(it)
}

func isImage(head []byte) bool {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")), bytes.HasPrefix(head, []byte("\xff\xd8\xff")),
		bytes.HasPrefix(head, []byte("GIF8")), bytes.HasPrefix(head, []byte("BM")):
		return true
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return true
	}
	return false
}

// properties reads core, app and custom properties: every text value is an
// item (title, subject, author, company, keywords, custom values).
func (o *ooxml) properties(name string, loc Location) error {
	rc, err := o.w.open(o.p, name, 16<<20)
	if err != nil {
		return err
	}
	defer rc.Close()
	return o.w.leafText(rc, name, loc)
}

// leafText emits the character data of every leaf element as an item.
func (w *walker) leafText(r io.Reader, name string, loc Location) error {
	x := newXML(r, name, w.lim.MaxDepth)
	e := &emitter{w: w}
	var buf strings.Builder
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			return e.flush()
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			buf.Reset()
		case xml.CharData:
			if buf.Len() < maxItemText {
				buf.Write(t)
			}
		case xml.EndElement:
			if err := e.add(Item{Text: buf.String(), Loc: loc}); err != nil {
				return err
			}
			buf.Reset()
		}
	}
}

// pivot reads a pivot table's cache: the workbook keeps a copy of the
// source data there (records, and the distinct values of each field), even
// after the source rows were deleted. One record is one line.
func (o *ooxml) pivot(name string, loc Location) error {
	rc, err := o.w.open(o.p, name, o.w.lim.MaxPartBytes)
	if err != nil {
		return err
	}
	defer rc.Close()
	x := newXML(rc, name, o.w.lim.MaxDepth)
	e := &emitter{w: o.w}
	var rec strings.Builder
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			return e.flush()
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "r":
				rec.Reset()
			case "s", "n", "d", "e":
				v := attr(t, "v")
				if x.depth >= 2 && len(x.open) >= 2 && x.open[len(x.open)-2].Local == "r" {
					if rec.Len() > 0 {
						rec.WriteByte(' ')
					}
					if rec.Len() < maxItemText {
						rec.WriteString(v)
					}
				} else if err := e.add(Item{Text: v, Loc: loc}); err != nil {
					return err
				}
			}
		case xml.EndElement:
			if t.Name.Local == "r" {
				if err := e.add(Item{Text: rec.String(), Loc: loc}); err != nil {
					return err
				}
			}
		}
	}
}

// tags reads PowerPoint tags (name/value pairs add-ins leave on slides).
func (o *ooxml) tags(name string, loc Location) error {
	rc, err := o.w.open(o.p, name, 16<<20)
	if err != nil {
		return err
	}
	defer rc.Close()
	x := newXML(rc, name, o.w.lim.MaxDepth)
	e := &emitter{w: o.w}
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			return e.flush()
		}
		if err != nil {
			return err
		}
		if se, ok := t.(xml.StartElement); ok && se.Name.Local == "tag" {
			if err := e.add(Item{Text: attr(se, "val"), Loc: loc}); err != nil {
				return err
			}
		}
	}
}
