package rules

import "testing"

// TestExactTermsClearTheFloor: a listed term of 5 or more characters read
// letter for letter (after folding) counts whatever its OCR confidence; a
// fuzzy match, a short term and a near finding whose other part is unsure
// keep the floor. Grey small text in a chat sidebar was read right at 0.44
// and dropped by the default floor of 0.5.
func TestExactTermsClearTheFloor(t *testing.T) {
	salt := "floor-salt"
	rs := loadString(t, `
extends = "default"

[[rules]]
id = "customers"
severity = "high"
terms = ["Contoso", "Northwind Traders", "Consumed Revenue Plan", "ACR"]

[[rules]]
id = "hashed"
salt = "`+salt+`"
terms_sha256 = ["`+HashTerm(salt, "Fabrikam")+`", "`+HashTerm(salt, "Tyrell")+`"]

[[rules]]
id = "customer-spend"
severity = "critical"
near = ["customers", "large-amount"]
within = "line"
`, nil)
	const low, floor = 0.44, 0.5
	// line is text read at confidence low, except the words given in hi.
	line := func(text string, y int, hi ...int) Line {
		l := words(text, 0, y, 1)
		for i := range l.Words {
			l.Words[i].Conf = low
		}
		for _, i := range hi {
			l.Words[i].Conf = 0.9
		}
		return l
	}
	tests := []struct {
		name  string
		lines []Line
		rule  string
		want  bool // kept at the floor
	}{
		{"exact name", []Line{line("Anna: Contoso renewal", 100)}, "customers", true},
		{"exact after folding", []Line{line("C0NTOSO, renewal", 100)}, "customers", true},
		{"exact, split by OCR", []Line{line("North wind Traders", 100)}, "customers", true},
		{"exact, two words", []Line{line("NorthwInd Traders", 100)}, "customers", true},
		{"one edit", []Line{line("Contosa renewal", 100)}, "customers", false},
		{"one edit, two words", []Line{line("Northwnd Traders", 100)}, "customers", false},
		{"short term, exact", []Line{line("ACR is up", 100)}, "customers", false},
		{"hashed, exact", []Line{line("call Fabrikam today", 100)}, "hashed", true},
		{"hashed, 6 letters", []Line{line("Tyrell", 100)}, "hashed", true},
		{"across a wrap, exact", []Line{
			line("the forecast of the Consumed", 100),
			line("Revenue Plan is up this year", 100+pitch),
		}, "customers", true},
		{"across a wrap, one edit", []Line{
			line("the forecast of the Consumd", 100),
			line("Revenue Plan is up this year", 100+pitch),
		}, "customers", false},
		{"near: exact name, sure amount", []Line{line("Contoso spent $61.9M", 100, 2)}, "customer-spend", true},
		{"near: exact name, unsure amount", []Line{line("Contoso spent $61.9M", 100)}, "customer-spend", false},
		{"near: fuzzy name, sure amount", []Line{line("Contosa spent $61.9M", 100, 2)}, "customer-spend", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Finding
			for _, f := range rs.Match(tt.lines) {
				if f.Rule == tt.rule {
					got = append(got, f)
				}
			}
			if len(got) != 1 {
				t.Fatalf("%s findings: %+v, want one", tt.rule, got)
			}
			if kept := got[0].Confident(floor); kept != tt.want {
				t.Errorf("%q (confidence %.2f) kept at %.2f: %v, want %v", got[0].Text, got[0].Confidence, floor, kept, tt.want)
			}
		})
	}
}

// TestSplitWordsJoinForPatterns: small low-contrast text made Tesseract
// read an access key as two words 0-2 px apart (at 0.13 on a dark
// background, 0.91 on a light one); the key was then matched by no pattern
// at any --min-conf. Words at most a quarter of their height apart are
// tried joined, as a run of their own; a real space, typed text and a
// document's paragraph are left alone.
func TestSplitWordsJoinForPatterns(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	// read lays words out left to right, each gaps[i] px after the one
	// before it (the first at x=20), at confidence 0.13, boxes h px high.
	read := func(h int, gaps []int, ws ...string) Line {
		l := Line{Block: 1}
		x := 20
		for i, w := range ws {
			if i > 0 {
				x += gaps[i-1]
			}
			b := Box{X: x, Y: 25, W: 6 * len(w), H: h}
			l.Words = append(l.Words, Word{Text: w, Box: b, Conf: 0.13})
			l.Box = l.Box.Union(b)
			x += b.W
		}
		return l
	}
	whole := read(14, []int{6, 0}, "key", "AKIAIOSFODNN7", "EXAMPLE")
	whole.Whole = true
	tests := []struct {
		name string
		line Line
		want string // the aws-access-key finding's text, "" for none
	}{
		{"touching", read(14, []int{6, 0}, "key", "AKIAIOSFODNN7", "EXAMPLE"), "AKIAIOSFODNN7EXAMPLE"},
		{"1 px apart, the word before too", read(9, []int{1, 1}, "key", "AKIAIOSFODNN7", "EXAMPLE"), "AKIAIOSFODNN7EXAMPLE"},
		{"2 px apart at 14 px", read(14, []int{6, 2}, "key", "AKIAIOSFODNN7", "EXAMPLE"), "AKIAIOSFODNN7EXAMPLE"},
		{"1 px overlap", read(9, []int{6, -1}, "key", "AKIAIOSFODNN7", "EXAMPLE"), "AKIAIOSFODNN7EXAMPLE"},
		{"split twice", read(14, []int{6, 0, 1}, "key", "AKIAIOS", "FODNN7", "EXAMPLE"), "AKIAIOSFODNN7EXAMPLE"},
		{"a space at 10 px", read(10, []int{6, 3}, "key", "AKIAIOSFODNN7", "EXAMPLE"), ""},
		{"a space at 14 px", read(14, []int{6, 4}, "key", "AKIAIOSFODNN7", "EXAMPLE"), ""},
		{"split at punctuation", read(14, []int{6, 0}, "key", "AKIAIOSFODNN7-", "EXAMPLE"), ""},
		{"typed text", TextLine("key AKIAIOSFODNN7 EXAMPLE"), ""},
		{"a document's paragraph", whole, ""},
		{"one word", read(14, []int{6}, "key", "AKIAIOSFODNN7EXAMPLE"), "AKIAIOSFODNN7EXAMPLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Finding
			for _, f := range rs.Match([]Line{tt.line}) {
				if f.Rule == "aws-access-key" {
					got = append(got, f)
				}
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("findings %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Text != tt.want {
				t.Fatalf("findings %+v, want one of %q", got, tt.want)
			}
			if !got[0].Confident(0.5) {
				t.Errorf("%q at %.2f does not clear the floor", got[0].Text, got[0].Confidence)
			}
			if n := len(tt.line.Words) - 1; got[0].Box != tt.line.Words[1].Box.Union(tt.line.Words[n].Box) {
				t.Errorf("box %v, want words 1..%d", got[0].Box, n)
			}
		})
	}
}
