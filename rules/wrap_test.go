package rules

import (
	"fmt"
	"slices"
	"testing"
)

// Text 14 px high on a 18 px line pitch (words draws 10 px a character and
// 8 px between words): a wrapped paragraph's lines, one under the other.
const pitch = 18

func TestWrappedTerms(t *testing.T) {
	rs := loadString(t, fmt.Sprintf(`
[[rules]]
id = "plan"
terms = ["Consumed Revenue Plan", "Walmart"]
allow = ["Consumed Revenue Plan Archive"]

[[rules]]
id = "hashed"
salt = "s"
terms_sha256 = [%q]
`, HashTerm("s", "Northwind Traders")), nil)
	tests := []struct {
		name  string
		lines []Line
		want  []string // "rule: text @ line"
	}{
		{"wrapped in a paragraph", []Line{
			words("the forecast of the Consumed", 0, 0, 1),
			words("Revenue Plan is up this year", 0, pitch, 1),
		}, []string{"plan: Consumed Revenue Plan @ 0"}},
		{"wrapped after two of its words", []Line{
			words("the forecast of the Consumed Revenue", 0, 0, 1),
			words("Plan is up this quarter again", 0, pitch, 1),
		}, []string{"plan: Consumed Revenue Plan @ 0"}},
		{"OCR errors and a look-alike", []Line{
			words("the forecast of the Consurned", 0, 0, 1),
			words("Revenu Plan is up this year", 0, pitch, 1),
		}, []string{"plan: Consurned Revenu Plan @ 0"}},
		{"lines given out of reading order", []Line{
			words("Revenue Plan is up this year", 0, pitch, 1),
			words("the forecast of the Consumed", 0, 0, 1),
		}, []string{"plan: Consumed Revenue Plan @ 1"}},
		{"centred lines", []Line{
			words("the forecast of the Consumed", 0, 0, 1),
			words("Revenue Plan is up", 50, pitch, 1),
		}, []string{"plan: Consumed Revenue Plan @ 0"}},
		{"a word hyphenated at the break", []Line{
			words("the renewal for our Wal-", 0, 0, 1),
			words("mart account is due in May", 0, pitch, 1),
		}, []string{"plan: Wal mart @ 0"}},
		{"hashed term", []Line{
			words("the renewal for Northwind", 0, 0, 1),
			words("Traders is due in May", 0, pitch, 1),
		}, []string{"hashed: Northwind Traders @ 0"}},
		{"allowed across the break", []Line{
			words("see the Consumed Revenue", 0, 0, 1),
			words("Plan Archive for the history", 0, pitch, 1),
		}, nil},
		{"wholly on one line: found once", []Line{
			words("the Consumed Revenue Plan", 0, 0, 1),
			words("Revenue Plan is up this year", 0, pitch, 1),
		}, []string{"plan: Consumed Revenue Plan @ 0"}},
		{"on one line and across the break", []Line{
			words("Consumed Revenue Plan and Consumed", 0, 0, 1),
			words("Revenue Plan again for us", 0, pitch, 1),
		}, []string{"plan: Consumed Revenue Plan @ 0", "plan: Consumed Revenue Plan @ 0"}},
		{"two table columns, next row", []Line{
			words("Consumed", 0, 0, 1),
			words("Revenue Plan", 300, pitch, 1),
		}, nil},
		{"two table columns, same row", []Line{
			words("the Consumed", 0, 0, 1),
			words("Revenue Plan", 300, 0, 1),
		}, nil},
		{"two blocks", []Line{
			words("the forecast of the Consumed", 0, 0, 1),
			words("Revenue Plan is up this year", 0, pitch, 2),
		}, nil},
		{"a blank line between", []Line{
			words("the forecast of the Consumed", 0, 0, 1),
			words("Revenue Plan is up this year", 0, 3*pitch, 1),
		}, nil},
		{"far below", []Line{
			words("the forecast of the Consumed", 0, 0, 1),
			words("Revenue Plan is up this year", 0, 400, 1),
		}, nil},
		{"another line between", []Line{
			words("the forecast of the Consumed", 0, 0, 1),
			words("and nothing else to say here", 0, pitch, 1),
			words("Revenue Plan is up this year", 0, 2*pitch, 1),
		}, nil},
		{"a short line ends by choice", []Line{
			words("Consumed", 0, 0, 1),
			words("Revenue Plan and the rest of the long line", 0, pitch, 1),
		}, nil},
		{"a heading over its text", []Line{
			{Words: []Word{{Text: "Consumed", Box: Box{X: 0, Y: 0, W: 200, H: 30}, Conf: 1}}, Box: Box{X: 0, Y: 0, W: 200, H: 30}, Block: 1},
			words("Revenue Plan is up this year", 0, 36, 1),
		}, nil},
		{"a new list item", []Line{
			words("• the forecast of the Consumed", 0, 0, 1),
			words("• Revenue Plan is up this year", 0, pitch, 1),
		}, nil},
		{"whole lines (document paragraphs)", func() []Line {
			a, b := words("the forecast of the Consumed", 0, 0, 1), words("Revenue Plan is up this year", 0, pitch, 1)
			a.Whole, b.Whole = true, true
			return []Line{a, b}
		}(), nil},
		{"plain text lines", []Line{
			TextLine("the forecast of the Consumed"),
			TextLine("Revenue Plan is up this year"),
		}, nil},
	}
	// Every case also holds a wrapped term in a block of its own, found
	// after the case's findings: a case that must not join lines still
	// shows that joining works beside it.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := append(slices.Clip(tc.lines),
				words("the forecast of the Consumed", 0, 1000, 99),
				words("Revenue Plan is up this year", 0, 1000+pitch, 99))
			want := append(slices.Clip(tc.want), fmt.Sprintf("plan: Consumed Revenue Plan @ %d", len(tc.lines)))
			var got []string
			for _, f := range rs.Match(lines) {
				got = append(got, fmt.Sprintf("%s: %s @ %d", f.Rule, f.Text, f.Line))
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestWrappedTermBox: the finding of a wrapped term covers both its parts,
// on both lines, and carries the highest confidence of their words.
func TestWrappedTermBox(t *testing.T) {
	rs := loadString(t, `
[[rules]]
id = "plan"
terms = ["Consumed Revenue Plan"]
`, nil)
	a := words("the forecast of the Consumed", 0, 100, 1)
	b := words("Revenue Plan is up this year", 0, 100+pitch, 1)
	a.Words[4].Conf, b.Words[0].Conf, b.Words[1].Conf = 0.5, 0.7, 0.6
	f := rs.Match([]Line{a, b})
	if len(f) != 1 {
		t.Fatalf("got %+v, want one finding", f)
	}
	for _, w := range []Word{a.Words[4], b.Words[0], b.Words[1]} {
		if f[0].Box.Union(w.Box) != f[0].Box {
			t.Errorf("box %v does not cover %q at %v", f[0].Box, w.Text, w.Box)
		}
	}
	// Consumed's right edge to Revenue's left edge: no more than the two parts.
	if want := (Box{X: 0, Y: 100, W: a.Words[4].Box.X + a.Words[4].Box.W, H: pitch + 14}); f[0].Box != want {
		t.Errorf("box = %v, want %v", f[0].Box, want)
	}
	if f[0].Confidence != 0.7 {
		t.Errorf("confidence = %v, want 0.7", f[0].Confidence)
	}
}

// TestWrappedAmounts: an amount split over a wrap is read whole, once, at
// its whole value.
func TestWrappedAmounts(t *testing.T) {
	rs := loadString(t, `
[[rules]]
id = "big"
amount = { min = 1_000_000 }

[[rules]]
id = "any"
amount = { min = 1 }
`, nil)
	tests := []struct {
		name  string
		lines []Line
		want  []string // "rule: text = value @ line"
	}{
		{"number / scale", []Line{
			words("revenue was $580.4", 0, 0, 1),
			words("million this year", 0, pitch, 1),
		}, []string{"any: $580.4 million = 5.804e+08 @ 0", "big: $580.4 million = 5.804e+08 @ 0"}},
		{"marker / number", []Line{
			words("the deal is worth USD", 0, 0, 1),
			words("45,000,000 over three", 0, pitch, 1),
		}, []string{"any: USD 45,000,000 = 4.5e+07 @ 0", "big: USD 45,000,000 = 4.5e+07 @ 0"}},
		{"scale / currency word", []Line{
			words("a budget of 1.5 million", 0, 0, 1),
			words("dollars for the plan", 0, pitch, 1),
		}, []string{"any: 1.5 million dollars = 1.5e+06 @ 0", "big: 1.5 million dollars = 1.5e+06 @ 0"}},
		{"two table columns", []Line{
			words("cost $580.4", 0, 0, 1),
			words("million", 300, pitch, 1),
		}, []string{"any: $580.4 = 580.4 @ 0"}},
		{"wholly on one line", []Line{
			words("revenue was $580.4 million", 0, 0, 1),
			words("dollars this year, up", 0, pitch, 1),
		}, []string{"any: $580.4 million = 5.804e+08 @ 0", "big: $580.4 million = 5.804e+08 @ 0"}},
	}
	// As in TestWrappedTerms, every case holds a wrapped amount of its own.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := append(slices.Clip(tc.lines),
				words("the cost was $2.5", 0, 1000, 99),
				words("billion in all of it", 0, 1000+pitch, 99))
			want := append(slices.Clip(tc.want),
				fmt.Sprintf("any: $2.5 billion = 2.5e+09 @ %d", len(tc.lines)),
				fmt.Sprintf("big: $2.5 billion = 2.5e+09 @ %d", len(tc.lines)))
			slices.Sort(want)
			var got []string
			for _, f := range rs.Match(lines) {
				v := 0.0
				if f.Value != nil {
					v = *f.Value
				}
				got = append(got, fmt.Sprintf("%s: %s = %v @ %d", f.Rule, f.Text, v, f.Line))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
