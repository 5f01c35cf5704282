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
