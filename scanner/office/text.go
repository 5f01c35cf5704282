package office

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// textMode says how one kind of XML part carries its text.
type textMode struct {
	para map[string]bool // elements that make one item (a:p, w:p, comment text)
	text map[string]bool // elements whose character data is text
	// chart: every c:v is an item, numbers formatted with the series'
	// format code.
	chart bool
}

var (
	modeDrawing = textMode{
		para: set("p"),
		text: set("t", "delText", "instrText"),
	}
	// Legacy PowerPoint comments, Excel notes and threaded comments keep
	// their text in a "text" element (plain or with runs).
	modeComment = textMode{
		para: set("p", "text"),
		text: set("t", "text"),
	}
	modeChart = textMode{
		// c:v in classic charts; chartex (cx:) keeps point values in cx:pt.
		para:  set("p", "v", "pt"),
		text:  set("t", "v", "pt"),
		chart: true,
	}
)

func set(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// para is a paragraph being read: visible text, deleted text and field
// instructions, joined across runs.
type para struct {
	text, del, instr strings.Builder
	part             string // placeholder part (footer, header) when it differs
	cell             string
}

// emitter batches items for the handler.
type emitter struct {
	w     *walker
	items []Item
	row   int
	max   int // batch size; 0 means 1000
}

func (e *emitter) add(it Item) error {
	it.Text = clean(it.Text)
	if it.Text == "" {
		return nil
	}
	if len(it.Text) > maxItemText {
		it.Text = it.Text[:maxItemText]
	}
	if it.Row == 0 && it.Col == 0 {
		e.row++
		it.Row = e.row
	}
	e.items = append(e.items, it)
	if n := e.max; len(e.items) >= n && n > 0 || n == 0 && len(e.items) >= 1000 {
		return e.flush()
	}
	return nil
}

func (e *emitter) flush() error {
	if len(e.items) == 0 {
		return nil
	}
	err := e.w.h.Text(e.items)
	e.items = e.items[:0]
	return err
}

// readText streams a part's paragraphs as items at base. It returns the
// root element's attributes so that callers can look at them (a slide's
// show="0") — the root comes first, so hidden is known before any item.
// onRoot, when set, may change base from the root element.
func (w *walker) readText(rc io.Reader, name string, base Location, mode textMode, onRoot func(xml.StartElement, *Location)) error {
	x := newXML(rc, name, w.lim.MaxDepth)
	e := &emitter{w: w}
	var stack []string // local names of open elements
	var paras []*para
	inDel := 0 // depth inside w:del
	block := 0
	shapePart := ""
	formatCode := ""
	inNumCache := false
	root := true
	emit := func(p *para) error {
		loc := base
		if p.part != "" {
			loc.Part = p.part
		}
		if p.cell != "" {
			loc.Cell = p.cell
		}
		if loc.Part == "comment" && strings.HasPrefix(p.text.String(), "[Threaded comment]") {
			// Excel keeps a legacy copy of every threaded comment for old
			// readers; the threaded part is read instead.
			return nil
		}
		if err := e.add(Item{Text: p.text.String(), Loc: loc, Block: block}); err != nil {
			return err
		}
		if p.del.Len() > 0 {
			dl := loc
			dl.Part = "deleted"
			if err := e.add(Item{Text: p.del.String(), Loc: dl, Block: block}); err != nil {
				return err
			}
		}
		if p.instr.Len() > 0 {
			il := loc
			il.Part = "field"
			return e.add(Item{Text: p.instr.String(), Loc: il, Block: block})
		}
		return nil
	}
	cell := ""
	lastAlt := ""
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			_ = e.flush()
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			local := t.Name.Local
			stack = append(stack, local)
			if root {
				root = false
				if onRoot != nil {
					onRoot(t, &base)
				}
			}
			switch local {
			case "Fallback":
				// mc:AlternateContent repeats the mc:Choice content for
				// old readers (text boxes as VML): read it once.
				if err := x.skip(); err != nil {
					return err
				}
				stack = stack[:len(stack)-1]
				continue
			case "del":
				inDel++
			case "tab", "br", "cr":
				// a tab or line break inside a paragraph separates words
				for i := len(paras) - 1; i >= 0; i-- {
					if paras[i] != nil {
						paras[i].text.WriteByte(' ')
						break
					}
				}
			case "sp", "graphicFrame", "tc", "tbl", "cxnSp", "pic":
				block++
				if local == "sp" {
					shapePart = ""
				}
			case "ph":
				switch attr(t, "type") {
				case "ftr", "dt", "sldNum":
					shapePart = "footer"
				case "hdr":
					shapePart = "header"
				}
			case "cNvPr", "docPr":
				al := base
				al.Part = "alt"
				for _, k := range []string{"title", "descr"} {
					// Word repeats a picture's description on wp:docPr
					// and pic:cNvPr: report it once.
					if v := attr(t, k); v != "" && v != lastAlt {
						lastAlt = v
						if err := e.add(Item{Text: v, Loc: al, Block: block}); err != nil {
							return err
						}
					}
				}
			case "comment", "threadedComment":
				cell = attr(t, "ref")
			case "numCache":
				inNumCache = true
				formatCode = ""
			}
			if mode.para[local] {
				p := &para{part: shapePart, cell: cell}
				if len(paras) > 0 && local == "text" && paras[len(paras)-1] != nil {
					// comment text holding runs: one item, not nested ones
					p = nil
				}
				paras = append(paras, p)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			local := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch local {
			case "del":
				inDel--
			case "sp":
				shapePart = ""
			case "numCache":
				inNumCache = false
			case "comment", "threadedComment":
				cell = ""
			}
			if mode.para[local] && len(paras) > 0 {
				p := paras[len(paras)-1]
				paras = paras[:len(paras)-1]
				if p == nil {
					continue
				}
				if mode.chart && local == "v" && inNumCache {
					s := p.text.String()
					p.text.Reset()
					p.text.WriteString(formatCell(s, formatCode))
				}
				if err := emit(p); err != nil {
					return err
				}
			}
		case xml.CharData:
			if len(stack) == 0 || len(paras) == 0 {
				if len(stack) > 0 && stack[len(stack)-1] == "formatCode" {
					formatCode = string(t)
				}
				continue
			}
			local := stack[len(stack)-1]
			if local == "formatCode" {
				formatCode = string(t)
				continue
			}
			if !mode.text[local] {
				continue
			}
			var p *para
			for i := len(paras) - 1; i >= 0; i-- {
				if paras[i] != nil {
					p = paras[i]
					break
				}
			}
			if p == nil {
				continue
			}
			switch {
			case local == "delText" || inDel > 0:
				if p.del.Len() < maxItemText {
					p.del.Write(t)
				}
			case local == "instrText":
				if p.instr.Len() < maxItemText {
					p.instr.Write(t)
				}
			default:
				if p.text.Len() < maxItemText {
					p.text.Write(t)
				}
			}
		}
	}
	return e.flush()
}

// itoa is strconv.Itoa, short.
func itoa(i int) string { return strconv.Itoa(i) }
