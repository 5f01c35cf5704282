package ocr

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/corpus"
)

func norm(s string) string {
	return strings.ToLower(strings.Trim(s, ".,;:!?\"'()[]{}"))
}

func TestCorpusRecall(t *testing.T) {
	if os.Getenv("OCR_CORPUS") == "" {
		t.Skip()
	}
	if v := os.Getenv("OCR_TARGET"); v != "" {
		targetGlyph, _ = strconv.Atoi(v)
	}
	e := engine(t)
	screens := corpus.Generate(corpus.DefaultSeed)
	only := os.Getenv("OCR_ONLY")
	tot, found := 0, 0
	var wall time.Duration
	byStyle := map[string][2]int{}
	var misses []string
	for _, s := range screens {
		if only != "" && !strings.Contains(only, s.Style) {
			continue
		}
		t0 := time.Now()
		lines, err := e.Recognize(context.Background(), s.Image)
		el := time.Since(t0)
		wall += el
		if err != nil {
			t.Fatal(err)
		}
		var words []rules.Word
		for _, l := range lines {
			words = append(words, l.Words...)
		}
		sf := 0
		for _, it := range s.Items {
			if it.Rule == "" {
				continue
			}
			tot++
			box := it.Box
			// Tokens read inside (a slightly grown) item box.
			var got []string
			for _, w := range words {
				g := rules.Box{X: box.X - 6, Y: box.Y - 6, W: box.W + 12, H: box.H + 12}
				if w.Box.X+w.Box.W/2 >= g.X && w.Box.X+w.Box.W/2 <= g.X+g.W && w.Box.Y+w.Box.H/2 >= g.Y && w.Box.Y+w.Box.H/2 <= g.Y+g.H {
					got = append(got, norm(w.Text))
				}
			}
			joined := " " + strings.Join(got, " ") + " "
			ok := true
			for _, tok := range strings.Fields(strings.ReplaceAll(it.Text, "–", "-")) {
				if tok == "…" {
					continue
				}
				if !strings.Contains(joined, norm(tok)) {
					ok = false
				}
			}
			st := byStyle[it.Style]
			st[0]++
			if ok {
				found++
				sf++
				st[1]++
			} else {
				misses = append(misses, fmt.Sprintf("%s [%s %dpx %s] %q read %q", s.Name, it.Kind, it.FontPx, it.Style, it.Text, strings.Join(got, " ")))
			}
			byStyle[it.Style] = st
		}
		t.Logf("%s: %v, %d items", s.Name, el, len(s.Items))
	}
	keys := make([]string, 0, len(byStyle))
	for k := range byStyle {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("style %-20s %d/%d", k, byStyle[k][1], byStyle[k][0])
	}
	for _, m := range misses {
		t.Logf("MISS %s", m)
	}
	t.Logf("recall %d/%d = %.3f, wall %v", found, tot, float64(found)/float64(tot), wall)
}
