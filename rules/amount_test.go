package rules

import "testing"

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in    string
		value float64
		cur   string
		ok    bool
	}{
		{"$580.4 million", 580.4e6, "USD", true},
		{"$61.9M", 61.9e6, "USD", true},
		{"US$ 1.2bn", 1.2e9, "USD", true},
		{"USD 45,000,000", 45e6, "USD", true},
		{"$ 12,500,000", 12.5e6, "USD", true},
		{"1.5 million dollars", 1.5e6, "USD", true},
		{"$3.4MM", 3.4e6, "USD", true},
		{"S580.4 million", 580.4e6, "USD", true}, // OCR read $ as S
		{"$58O.4M", 580.4e6, "USD", true},        // OCR read 0 as O
		{"$1,5OO,OOO", 1.5e6, "USD", true},
		{"$2,750,000.00", 2.75e6, "USD", true},
		{"€1.234.567,89", 1234567.89, "EUR", true},
		{"EUR 3 Mio", 3e6, "EUR", true},
		{"£2.5bn", 2.5e9, "GBP", true},
		{"5 million euros", 5e6, "EUR", true},
		{"$4.99", 4.99, "USD", true},
		{"$250K", 250e3, "USD", true},
		{"$999,999", 999999, "USD", true},
		{"$0.9M", 0.9e6, "USD", true},
		{"3.5M downloads", 0, "", false},
		{"1,000,000 requests", 0, "", false},
		{"1,000,000", 0, "", false},
		{"$", 0, "", false},
		{"USD", 0, "", false},
		{"S3", 3, "USD", true},
		{"", 0, "", false},
	}
	for _, tt := range tests {
		v, cur, ok := ParseAmount(tt.in)
		if ok != tt.ok || (ok && (v != tt.value || cur != tt.cur)) {
			t.Errorf("ParseAmount(%q) = %v %q %v, want %v %q %v", tt.in, v, cur, ok, tt.value, tt.cur, tt.ok)
		}
	}
}

func TestFindAmountsInText(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Q3 spend was $580.4 million, up from $4.99", []string{"$580.4 million", "$4.99"}},
		{"3.5M downloads and 1,000,000 requests", nil},
		{"Model A380 costs USD 445,000,000.", []string{"USD 445,000,000"}},
		{"Sales 5 million dollars", []string{"5 million dollars"}},
		{"$5 members", []string{"$5"}},
		{"AWS S3 bucket", []string{"S3"}},
	}
	for _, tt := range tests {
		var got []string
		for _, h := range findAmounts(tt.text) {
			got = append(got, tt.text[h.start:h.end])
		}
		if len(got) != len(tt.want) {
			t.Errorf("findAmounts(%q) = %q, want %q", tt.text, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("findAmounts(%q) = %q, want %q", tt.text, got, tt.want)
			}
		}
	}
}
