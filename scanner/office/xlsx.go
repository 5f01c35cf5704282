package office

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// workbook is what cells need from the workbook: shared strings and the
// number format of every cell style.
type workbook struct {
	strings []string
	xfFmt   []int          // cell style index → number format id
	fmts    map[int]string // custom number formats
}

type sheetRef struct {
	name, part string
	hidden     bool
}

// spreadsheet reads the workbook (sheets, defined names), the shared
// strings and styles, then every sheet in workbook order with what it owns.
func (o *ooxml) spreadsheet(main string, base Location) error {
	o.done[main] = true
	o.xl = &workbook{fmts: map[int]string{}}
	rels, err := o.rels(main)
	if err != nil {
		return err
	}
	byID := map[string]string{}
	for _, r := range rels {
		byID[r.id] = r.target
		switch {
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			o.done[r.target] = true
			if err := o.check(r.target, o.sharedStrings(r.target)); err != nil {
				return err
			}
		case strings.HasSuffix(r.typ, "/styles"):
			o.done[r.target] = true
			if err := o.check(r.target, o.styles(r.target)); err != nil {
				return err
			}
		}
	}
	rc, err := o.w.open(o.p, main, o.w.lim.MaxPartBytes)
	if err != nil {
		return err
	}
	x := newXML(rc, main, o.w.lim.MaxDepth)
	var sheets []sheetRef
	e := &emitter{w: o.w}
	var nameBuf strings.Builder
	var defName, defSheet string
	var defHidden, inName bool
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rc.Close()
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "sheet":
				st := attr(t, "state")
				sheets = append(sheets, sheetRef{name: attr(t, "name"), part: byID[attrNS(t, "r", "id")], hidden: st == "hidden" || st == "veryHidden"})
			case "definedName":
				inName = true
				nameBuf.Reset()
				defName, defHidden = attr(t, "name"), attr(t, "hidden") == "1"
				defSheet = attr(t, "localSheetId")
			}
		case xml.CharData:
			if inName && nameBuf.Len() < maxItemText {
				nameBuf.Write(t)
			}
		case xml.EndElement:
			if t.Name.Local == "definedName" {
				inName = false
				l := base
				l.Part, l.Name, l.Hidden = "name", defName, defHidden
				if n, err := strconv.Atoi(defSheet); err == nil && n >= 0 && n < len(sheets) {
					l.Sheet = sheets[n].name
				}
				// The name and what it refers to (a range, or a constant).
				if err := e.add(Item{Text: defName + " " + nameBuf.String(), Loc: l}); err != nil {
					rc.Close()
					return err
				}
			}
		}
	}
	rc.Close()
	if err := e.flush(); err != nil {
		return err
	}
	for _, s := range sheets {
		if s.part == "" {
			continue
		}
		l := base
		l.Sheet, l.Hidden = s.name, s.hidden
		if err := o.part(s.part, l); err != nil {
			return err
		}
	}
	return o.children(main, base)
}

func (o *ooxml) sharedStrings(name string) error {
	rc, err := o.w.open(o.p, name, o.w.lim.MaxPartBytes)
	if err != nil {
		return err
	}
	defer rc.Close()
	x := newXML(rc, name, o.w.lim.MaxDepth)
	var buf strings.Builder
	var stack []string
	var total int64
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if t.Name.Local == "si" {
				buf.Reset()
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if t.Name.Local == "si" {
				s := buf.String()
				total += int64(len(s)) + 16
				if total > o.w.lim.MaxStrings {
					return fmt.Errorf("shared strings over %d bytes: %w", o.w.lim.MaxStrings, ErrLimit)
				}
				o.xl.strings = append(o.xl.strings, s)
			}
		case xml.CharData:
			// t of the string or of its runs; rPh (phonetic guides) are
			// not what the cell shows.
			n := len(stack)
			if n > 0 && stack[n-1] == "t" && !(n > 1 && stack[n-2] == "rPh") && buf.Len() < maxItemText {
				buf.Write(t)
			}
		}
	}
}

func (o *ooxml) styles(name string) error {
	rc, err := o.w.open(o.p, name, o.w.lim.MaxPartBytes)
	if err != nil {
		return err
	}
	defer rc.Close()
	x := newXML(rc, name, o.w.lim.MaxDepth)
	inXfs := false
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				if id, err := strconv.Atoi(attr(t, "numFmtId")); err == nil {
					o.xl.fmts[id] = attr(t, "formatCode")
				}
			case "cellXfs":
				inXfs = true
			case "xf":
				if inXfs {
					id, _ := strconv.Atoi(attr(t, "numFmtId"))
					o.xl.xfFmt = append(o.xl.xfFmt, id)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inXfs = false
			}
		}
	}
}

func (wb *workbook) format(style string) string {
	s, err := strconv.Atoi(style)
	if err != nil || s < 0 || s >= len(wb.xfFmt) {
		return ""
	}
	id := wb.xfFmt[s]
	if c, ok := wb.fmts[id]; ok {
		return c
	}
	return builtinFormats[id]
}

// colRange is a run of hidden columns (1-based, inclusive).
type colRange struct{ min, max int }

// sheet streams one worksheet: every cell's shown value is an item at its
// row and column, hidden when its sheet, row or column is.
func (o *ooxml) sheet(name string, loc Location) error {
	wb := o.xl
	if wb == nil {
		wb = &workbook{}
	}
	rc, err := o.w.open(o.p, name, o.w.lim.MaxPartBytes)
	if err != nil {
		return err
	}
	defer rc.Close()
	x := newXML(rc, name, o.w.lim.MaxDepth)
	e := &emitter{w: o.w, max: 1 << 16}
	var hiddenCols []colRange
	row, col := 0, 0
	rowHidden := false
	var cellRef, cellType, cellStyle string
	var val strings.Builder
	var stack []string
	inCell := false
	for {
		t, err := x.next()
		if errors.Is(err, io.EOF) {
			return e.flush()
		}
		if err != nil {
			_ = e.flush()
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			switch t.Name.Local {
			case "col":
				if attr(t, "hidden") == "1" || attr(t, "hidden") == "true" {
					lo, _ := strconv.Atoi(attr(t, "min"))
					hi, _ := strconv.Atoi(attr(t, "max"))
					hiddenCols = append(hiddenCols, colRange{lo, hi})
				}
			case "row":
				if r, err := strconv.Atoi(attr(t, "r")); err == nil {
					row = r
				} else {
					row++
				}
				col = 0
				h := attr(t, "hidden")
				rowHidden = h == "1" || h == "true"
			case "c":
				inCell = true
				cellRef, cellType, cellStyle = attr(t, "r"), attr(t, "t"), attr(t, "s")
				if c, r, ok := parseRef(cellRef); ok {
					col, row = c, r
				} else {
					col++
					cellRef = colName(col) + itoa(row)
				}
				val.Reset()
			}
		case xml.CharData:
			n := len(stack)
			if inCell && n > 0 && (stack[n-1] == "v" || stack[n-1] == "t" && !(n > 1 && stack[n-2] == "rPh")) && val.Len() < maxItemText {
				val.Write(t)
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			switch t.Name.Local {
			case "c":
				inCell = false
				text := val.String()
				switch cellType {
				case "s":
					i, err := strconv.Atoi(strings.TrimSpace(text))
					if err != nil || i < 0 || i >= len(wb.strings) {
						text = ""
					} else {
						text = wb.strings[i]
					}
				case "b":
					if strings.TrimSpace(text) == "1" {
						text = "TRUE"
					} else {
						text = "FALSE"
					}
				case "str", "inlineStr", "e":
				default:
					text = formatCell(text, wb.format(cellStyle))
				}
				l := loc
				l.Cell = cellRef
				l.Hidden = loc.Hidden || rowHidden || inRanges(hiddenCols, col)
				if err := e.add(Item{Text: text, Loc: l, Row: row, Col: col}); err != nil {
					return err
				}
			case "row":
				// Flush between rows only, so a row's cells are matched
				// together (a name and an amount on one row).
				if len(e.items) >= 1000 {
					if err := e.flush(); err != nil {
						return err
					}
				}
			}
		}
	}
}

func inRanges(rs []colRange, c int) bool {
	for _, r := range rs {
		if c >= r.min && c <= r.max {
			return true
		}
	}
	return false
}

// parseRef splits "C14" into column 3 and row 14.
func parseRef(ref string) (col, row int, ok bool) {
	i := 0
	for i < len(ref) && (ref[i] >= 'A' && ref[i] <= 'Z' || ref[i] >= 'a' && ref[i] <= 'z') {
		c := ref[i]
		if c >= 'a' {
			c -= 'a' - 'A'
		}
		col = col*26 + int(c-'A'+1)
		i++
		if col > 1<<20 {
			return 0, 0, false
		}
	}
	r, err := strconv.Atoi(ref[i:])
	if i == 0 || err != nil || r <= 0 {
		return 0, 0, false
	}
	return col, r, true
}

// colName turns column 3 into "C".
func colName(c int) string {
	var b []byte
	for c > 0 {
		c--
		b = append([]byte{byte('A' + c%26)}, b...)
		c /= 26
	}
	return string(b)
}
