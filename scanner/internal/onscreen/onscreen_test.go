package onscreen

import (
	"image"
	"testing"

	"github.com/demoguard/demoguard/rules"
)

func word(t string, x, y int) rules.Word {
	return rules.Word{Text: t, Box: rules.Box{X: x, Y: y, W: 40, H: 12}}
}

func TestRemoveIn(t *testing.T) {
	line := func(ws ...rules.Word) rules.Line {
		var b rules.Box
		for _, w := range ws {
			b = b.Union(w.Box)
		}
		return rules.Line{Words: ws, Box: b, Block: 3}
	}
	lines := []rules.Line{
		line(word("Walmart", 10, 10), word("spend", 60, 10)),
		line(word("elsewhere", 10, 100)),
	}
	got := RemoveIn(lines, image.Rect(55, 5, 120, 30)) // covers "spend" only
	if len(got) != 2 || len(got[0].Words) != 1 || got[0].Words[0].Text != "Walmart" {
		t.Fatalf("got %+v", got)
	}
	if got[0].Box != (rules.Box{X: 10, Y: 10, W: 40, H: 12}) || got[0].Block != 3 {
		t.Fatalf("remaining line box %+v block %d: want the kept word's box, same block", got[0].Box, got[0].Block)
	}
	got = RemoveIn(got, image.Rect(0, 0, 200, 50)) // the whole first line
	if len(got) != 1 || got[0].Words[0].Text != "elsewhere" {
		t.Fatalf("got %+v", got)
	}
}

func TestInBlock(t *testing.T) {
	ls := InBlock([]rules.Line{{Block: 1}, {Block: 2}}, 7)
	if ls[0].Block != 7 || ls[1].Block != 7 {
		t.Fatalf("blocks %d %d", ls[0].Block, ls[1].Block)
	}
}

func TestByPiece(t *testing.T) {
	pieces := []image.Rectangle{image.Rect(0, 0, 200, 20), image.Rect(0, 20, 200, 40)}
	l := func(y int) rules.Line { return rules.Line{Box: rules.Box{X: 5, Y: y, W: 100, H: 12}} }
	per, ok := ByPiece(pieces, []rules.Line{l(4), l(24), l(26)})
	if !ok || len(per[0]) != 1 || len(per[1]) != 2 {
		t.Fatalf("per %v ok %v: want 1 line in the first piece, 2 in the second", per, ok)
	}
	// A line across both pieces: nothing may be cached.
	if _, ok := ByPiece(pieces, []rules.Line{{Box: rules.Box{X: 5, Y: 10, W: 100, H: 20}}}); ok {
		t.Fatal("a line spanning two pieces was assigned")
	}
}

// TestReplace: a line read again (two runs' margins took it in, or it was
// re-read) is kept once, the newer read; other lines stay.
func TestReplace(t *testing.T) {
	line := func(text string, x, y, w int) rules.Line {
		b := rules.Box{X: x, Y: y, W: w, H: 12}
		return rules.Line{Box: b, Words: []rules.Word{{Text: text, Box: b}}}
	}
	known := []rules.Line{line("old", 10, 10, 100), line("other", 10, 40, 100)}
	got := Replace(known, []rules.Line{line("new", 12, 11, 98)})
	if len(got) != 2 || got[0].Words[0].Text != "other" || got[1].Words[0].Text != "new" {
		t.Errorf("got %v", got)
	}
}
