// Package onscreen edits the text known to be on a screen (or a frame of a
// recording) as regions of it change: the live agent and the recording
// reader keep the same model, so they edit it the same way.
package onscreen

import (
	"image"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/internal/geom"
)

// RemoveIn drops the words inside r (that part of the screen changed and
// will be read again); lines left without words go. It reuses lines'
// storage.
func RemoveIn(lines []rules.Line, r image.Rectangle) []rules.Line {
	out := lines[:0]
	for _, l := range lines {
		if !geom.Rect(l.Box).Overlaps(r) {
			out = append(out, l)
			continue
		}
		var ws []rules.Word
		var box rules.Box
		for _, w := range l.Words {
			if !geom.Rect(w.Box).Overlaps(r) {
				ws = append(ws, w)
				box = box.Union(w.Box)
			}
		}
		if len(ws) > 0 {
			out = append(out, rules.Line{Words: ws, Box: box, Block: l.Block})
		}
	}
	clear(lines[len(out):])
	return out
}

// InBlock puts lines into layout block b (one changed region is one block
// for `near = "block"` rules) and returns them.
func InBlock(lines []rules.Line, b int) []rules.Line {
	for i := range lines {
		lines[i].Block = b
	}
	return lines
}

// ByPiece splits lines read from a run of pieces (text lines cut by the
// change package, OCRed together) back to the pieces: a line is a piece's
// if it lies (mostly) inside it. ok is false when a line spans pieces (OCR
// joined two table cells): then no piece may be remembered alone, since it
// would be remembered without its text.
func ByPiece(pieces []image.Rectangle, lines []rules.Line) (per [][]rules.Line, ok bool) {
	per = make([][]rules.Line, len(pieces))
	for _, l := range lines {
		lr := geom.Rect(l.Box)
		owner := -1
		for i, p := range pieces {
			if geom.Area(lr.Intersect(p))*10 >= geom.Area(lr)*8 {
				owner = i
				break
			}
		}
		if owner < 0 {
			return nil, false
		}
		per[owner] = append(per[owner], l)
	}
	return per, true
}

// Replace adds read lines to the known ones; a known line mostly under a
// new one is the same text read before, and goes. The agent's screen
// model and a scan's lines both keep one copy of a line read twice (two
// runs whose margins take in the same line).
func Replace(known, read []rules.Line) []rules.Line {
	if len(read) == 0 {
		return known
	}
	out := known[:0]
	for _, k := range known {
		kb := geom.Rect(k.Box)
		dup := false
		for _, n := range read {
			if 2*geom.Area(kb.Intersect(geom.Rect(n.Box))) > geom.Area(kb) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, k)
		}
	}
	clear(known[len(out):])
	return append(out, read...)
}
