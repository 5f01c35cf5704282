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
