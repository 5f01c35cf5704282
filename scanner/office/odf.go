package office

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// odf reads one OpenDocument package (odp, odt, ods; flat or not).
type odf struct {
	w      *walker
	p      *pkg
	emb    string
	depth  int
	kind   string              // presentation, text, spreadsheet, graphics, chart
	hidden map[string]bool     // automatic styles that hide a page or table
	owners map[string]Location // image or object path → where it is used
	dirs   map[string]string   // sub-document directory → media type
}

func (w *walker) walkODF(p *pkg, emb string, depth int) error {
	mt, err := w.readPart(p, "mimetype", 4096)
	if err != nil {
		return err
	}
	mime := strings.TrimSpace(string(mt))
	kind, ok := strings.CutPrefix(mime, "application/vnd.oasis.opendocument.")
	if !ok || p.parts["content.xml"] == nil {
		return fmt.Errorf("%w: a zip archive with mimetype %q", ErrNotOffice, mime)
	}
	kind, _, _ = strings.Cut(kind, "-") // text-template → text
	o := &odf{w: w, p: p, emb: emb, depth: depth, kind: kind, hidden: map[string]bool{}, owners: map[string]Location{}, dirs: map[string]string{}}
	o.manifest()
	base := Location{Embedded: emb}
	done := map[string]bool{"mimetype": true, "META-INF/manifest.xml": true}
	for _, name := range []string{"content.xml", "styles.xml"} {
		done[name] = true
		if p.parts[name] == nil {
			continue
		}
		if err := o.check(name, o.content(name, base, "")); err != nil {
			return err
		}
	}
	if p.parts["meta.xml"] != nil {
		done["meta.xml"] = true
		l := base
		l.Part = "properties"
		rc, err := w.open(p, "meta.xml", 16<<20)
		if err == nil {
			err = w.leafText(rc, "meta.xml", l)
			rc.Close()
		}
		if err := o.check("meta.xml", err); err != nil {
			return err
		}
	}
	// Sub-documents (charts are embedded objects in ODF): "Object 1/content.xml".
	for _, name := range p.names {
		dir, file := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if done[name] || dir == "" || strings.Contains(dir, "/") || (file != "content.xml" && file != "styles.xml") {
			continue
		}
		done[name] = true
		l := o.owners[dir]
		l.Embedded = emb
		part := "embedded"
		if strings.Contains(o.dirs[dir], "chart") {
			part = "chart"
		}
		if err := o.check(name, o.content(name, l, part)); err != nil {
			return err
		}
	}
	for _, name := range p.names {
		if done[name] {
			continue
		}
		l, ok := o.owners[name]
		if !ok {
			l = base
		}
		l.Embedded = emb
		var err error
		switch {
		case strings.HasPrefix(name, "Pictures/") || strings.HasPrefix(name, "media/"):
			l.Image = name
			err = w.image(p, name, l)
		case strings.HasPrefix(strings.ToLower(path.Ext(name)), ".od") || strings.HasSuffix(name, ".xlsx") || strings.HasSuffix(name, ".docx") || strings.HasSuffix(name, ".pptx"):
			err = w.embedded(p, name, l, emb, depth)
		}
		if err := o.check(name, err); err != nil {
			return err
		}
	}
	return nil
}

func (o *odf) check(name string, err error) error {
	if err == nil {
		return nil
	}
	if fatal(err) {
		return err
	}
	o.w.problem(o.emb, name, err)
	return nil
}

func (o *odf) manifest() {
	data, err := o.w.readPart(o.p, "META-INF/manifest.xml", 16<<20)
	if err != nil {
		return
	}
	x := newXML(bytes.NewReader(data), "META-INF/manifest.xml", o.w.lim.MaxDepth)
	for {
		t, err := x.next()
		if err != nil {
			return
		}
		if se, ok := t.(xml.StartElement); ok && se.Name.Local == "file-entry" {
			p := strings.TrimSuffix(strings.TrimPrefix(attr(se, "full-path"), "./"), "/")
			o.dirs[p] = attr(se, "media-type")
		}
	}
}

type odfCtx struct {
	depth int
	part  string
}

// content streams content.xml or styles.xml (or a sub-document's). part,
// when set, is the part of everything in it (a chart).
func (o *odf) content(name string, base Location, part string) error {
	rc, err := o.w.open(o.p, name, o.w.lim.MaxPartBytes)
	if err != nil {
		return err
	}
	defer rc.Close()
	x := newXML(rc, name, o.w.lim.MaxDepth)
	e := &emitter{w: o.w, max: 1 << 16}
	sheet := o.kind == "spreadsheet" && part == ""
	// In a spreadsheet, items that are not cells (names, links, comments)
	// are matched apart from the cell grid, so a defined name does not
	// count as "on the row" of a cell.
	side := e
	if sheet {
		side = &emitter{w: o.w}
	}
	defPart := part
	if defPart == "" {
		switch {
		case name == "styles.xml" && o.kind == "presentation":
			defPart = "master"
		case o.kind == "presentation" || o.kind == "graphics":
			defPart = "slide"
		case sheet:
			defPart = "drawing"
		default:
			defPart = "body"
		}
	}
	var ctxs []odfCtx
	cur := func() string {
		if len(ctxs) > 0 {
			return ctxs[len(ctxs)-1].part
		}
		return defPart
	}
	push := func(p string) { ctxs = append(ctxs, odfCtx{x.depth, p}) }
	loc := base
	var paras []*strings.Builder
	var cellBuf strings.Builder
	inCell, cellRep := false, 1
	row, col, rowRep := 0, 0, 1
	rowHidden := false
	var hiddenCols []colRange
	nextCol := 1
	styleName := ""
	skipDepth := 0
	block := 0
	emit := func(text string, l Location, r, c int) error {
		if c == 0 {
			return side.add(Item{Text: text, Loc: l, Block: block})
		}
		return e.add(Item{Text: text, Loc: l, Row: r, Col: c, Block: block})
	}
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			if err := side.flush(); err != nil {
				return err
			}
			return e.flush()
		}
		if err != nil {
			_ = side.flush()
			_ = e.flush()
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if skipDepth > 0 {
				continue
			}
			sp, local := t.Name.Space, t.Name.Local
			switch local {
			case "style":
				if sp == "style" {
					styleName = attr(t, "name")
				}
			case "drawing-page-properties":
				if attrNS(t, "presentation", "visibility") == "hidden" {
					o.hidden[styleName] = true
				}
			case "table-properties":
				if attrNS(t, "table", "display") == "false" {
					o.hidden[styleName] = true
				}
			case "page":
				if sp == "draw" {
					loc.Slide++
					loc.Hidden = o.hidden[attrNS(t, "draw", "style-name")]
					block++
				}
			case "notes":
				if sp == "presentation" {
					push("notes")
				}
			case "annotation":
				push("comment")
			case "creator", "date", "initials", "note-citation":
				if sp != "meta" {
					// Comment author and date, footnote marks: not text.
					skipDepth = x.depth
				}
			case "deletion":
				push("deleted")
			case "note":
				if attrNS(t, "text", "note-class") == "endnote" {
					push("endnote")
				} else {
					push("footnote")
				}
			case "header", "header-left", "header-first":
				if sp == "style" {
					push("header")
				}
			case "footer", "footer-left", "footer-first":
				if sp == "style" {
					push("footer")
				}
			case "footer-decl", "date-time-decl":
				push("footer")
				paras = append(paras, &strings.Builder{})
			case "header-decl":
				push("header")
				paras = append(paras, &strings.Builder{})
			case "title", "desc":
				if sp == "svg" {
					push("alt")
					paras = append(paras, &strings.Builder{})
				}
			case "frame", "custom-shape", "g":
				block++
				switch attrNS(t, "presentation", "class") {
				case "footer", "date-time", "page-number":
					push("footer")
				case "header":
					push("header")
				}
			case "image":
				if h := attrNS(t, "xlink", "href"); h != "" {
					if _, ok := o.owners[h]; !ok {
						o.owners[h] = loc
					}
				}
			case "object":
				if h := strings.TrimSuffix(strings.TrimPrefix(attrNS(t, "xlink", "href"), "./"), "/"); h != "" {
					if _, ok := o.owners[h]; !ok {
						o.owners[h] = loc
					}
				}
			case "a":
				if h := attrNS(t, "xlink", "href"); h != "" && !strings.HasPrefix(h, "#") {
					l := loc
					l.Part = "link"
					if err := emit(h, l, 0, 0); err != nil {
						return err
					}
				}
			case "named-range", "named-expression":
				l := base
				l.Part, l.Name = "name", attrNS(t, "table", "name")
				ref := attrNS(t, "table", "cell-range-address") + attrNS(t, "table", "expression")
				if err := emit(l.Name+" "+ref, l, 0, 0); err != nil {
					return err
				}
			case "table":
				if sp == "table" && sheet {
					loc.Sheet = attrNS(t, "table", "name")
					loc.Hidden = o.hidden[attrNS(t, "table", "style-name")]
					row, hiddenCols, nextCol = 0, nil, 1
				}
			case "table-column":
				if sheet {
					n := repeat(attrNS(t, "table", "number-columns-repeated"))
					if v := attrNS(t, "table", "visibility"); v == "collapse" || v == "filter" {
						hiddenCols = append(hiddenCols, colRange{nextCol, nextCol + n - 1})
					}
					nextCol += n
				}
			case "table-row":
				if sheet {
					rowRep = repeat(attrNS(t, "table", "number-rows-repeated"))
					row++
					col = 0
					v := attrNS(t, "table", "visibility")
					rowHidden = v == "collapse" || v == "filter"
				}
			case "table-cell", "covered-table-cell":
				if sheet {
					col++
					cellRep = repeat(attrNS(t, "table", "number-columns-repeated"))
					inCell = true
					cellBuf.Reset()
					if v := attrNS(t, "office", "value"); v != "" && local == "table-cell" {
						// The shown text (text:p) follows and replaces it;
						// kept for cells written without one.
						cellBuf.WriteString(v)
						cellBuf.WriteString("\x00")
					}
				}
			case "p", "h":
				if sp == "text" {
					paras = append(paras, &strings.Builder{})
				}
			case "s":
				if sp == "text" && len(paras) > 0 {
					paras[len(paras)-1].WriteByte(' ')
				}
			case "tab", "line-break":
				if len(paras) > 0 {
					paras[len(paras)-1].WriteByte(' ')
				}
			}
		case xml.CharData:
			if skipDepth > 0 || len(paras) == 0 {
				continue
			}
			if b := paras[len(paras)-1]; b.Len() < maxItemText {
				b.Write(t)
			}
		case xml.EndElement:
			if skipDepth > 0 {
				if x.depth < skipDepth {
					skipDepth = 0
				}
				continue
			}
			sp, local := t.Name.Space, t.Name.Local
			isPara := (local == "p" || local == "h") && sp == "text" ||
				(local == "title" || local == "desc") && sp == "svg" ||
				local == "footer-decl" || local == "header-decl" || local == "date-time-decl"
			if isPara && len(paras) > 0 {
				b := paras[len(paras)-1]
				paras = paras[:len(paras)-1]
				l := loc
				l.Part = cur()
				switch {
				case sheet && inCell && l.Part == "drawing":
					// A cell's paragraphs make its one shown value.
					if s := cellBuf.String(); strings.HasSuffix(s, "\x00") {
						cellBuf.Reset()
					} else if cellBuf.Len() > 0 {
						cellBuf.WriteByte(' ')
					}
					cellBuf.WriteString(b.String())
				default:
					if sheet && inCell {
						l.Cell = colName(col) + itoa(row)
					}
					if err := emit(b.String(), l, 0, 0); err != nil {
						return err
					}
				}
			}
			if len(ctxs) > 0 && ctxs[len(ctxs)-1].depth == x.depth+1 {
				ctxs = ctxs[:len(ctxs)-1]
			}
			switch local {
			case "table-cell", "covered-table-cell":
				if sheet && inCell {
					inCell = false
					text := strings.TrimSuffix(cellBuf.String(), "\x00")
					if text != "" {
						l := loc
						l.Part, l.Cell = "cell", colName(col)+itoa(row)
						l.Hidden = loc.Hidden || rowHidden || inRanges(hiddenCols, col)
						if err := emit(text, l, row, col); err != nil {
							return err
						}
					}
					col += cellRep - 1
				}
			case "table-row":
				if sheet {
					row += rowRep - 1
					if len(e.items) >= 1000 {
						if err := e.flush(); err != nil {
							return err
						}
					}
				}
			}
		}
	}
}

// repeat reads a number-*-repeated attribute; absent or bad is 1. Huge
// counts (a row repeated to the sheet's end) only move counters.
func repeat(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return min(n, 1<<24)
}
