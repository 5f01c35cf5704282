package rules

import (
	"strings"
	"testing"
)

// Near-misses at an accent: folding makes accents free in an exact match
// (OCR drops them), but a fuzzy match must keep every accent in place.
func TestAccentNearMiss(t *testing.T) {
	rs := loadString(t, `
[[rules]]
id = "customers"
terms = ["Telefónica", "Müller", "Citroën", "Nestle"]
`, nil)
	tests := []struct {
		text string
		want bool
	}{
		// Exact after folding: accents dropped, added or moved by OCR.
		{"Telefónica", true},
		{"Telefonica", true},
		{"TELEFONICA", true},
		{"TELEFÓNICA", true},
		{"Telefonlca", true},
		{"Teléfonica", true},
		{"Muller", true},
		{"Citroen", true},
		{"Nestlé", true}, // term written without accents
		// Fuzzy, edits away from accents, text accents agreeing.
		{"Telefonca", true},  // missing letter, accent dropped
		{"Telefónca", true},  // missing letter, accent kept
		{"Telefomica", true}, // wrong letter
		{"Muler", true},
		{"Nastle", true},
		// The edit is at an accented letter, or the text has an accent
		// the term does not: another word.
		{"telefonía", false},
		{"Telefonía", false},
		{"TELEFONÍA", false},
		{"la telefonía móvil", false},
		{"Telefnica", false}, // the accented letter itself missing
		{"Miller", false},
		{"Citron", false},
		{"Nastlé", false}, // fuzzy, and an accent the term lacks
	}
	for _, tt := range tests {
		got := len(matchedTexts(rs, tt.text, "customers")) > 0
		if got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// A short term inside a hyphenated code with a digit (a model number, a
// SKU) is part of the code, not the term; a long term still counts there.
func TestShortTermInsideCode(t *testing.T) {
	salt := "s"
	rs := loadString(t, `
[[rules]]
id = "metric"
terms = ["ACR"]

[[rules]]
id = "any-case"
case_sensitive = false
terms = ["ACR"]

[[rules]]
id = "hashed"
salt = "`+salt+`"
terms_sha256 = ["`+HashTerm(salt, "ACR")+`"]

[[rules]]
id = "customers"
terms = ["Walmart", "Home Depot"]
`, nil)
	tests := []struct {
		rule, text string
		want       []string
	}{
		{"metric", "ACR", []string{"ACR"}},
		{"metric", "ACR: 3.2%", []string{"ACR"}},
		{"metric", "(ACR)", []string{"ACR"}},
		{"metric", "ACR, NRR", []string{"ACR"}},
		{"metric", "ACR-related churn", []string{"ACR"}}, // letters only: a word
		{"metric", "non-ACR", []string{"ACR"}},
		{"metric", "SKU-ACR", []string{"ACR"}},
		{"metric", "ACR - 122U", []string{"ACR"}}, // a spaced dash is prose
		{"metric", "ACR 122U", []string{"ACR"}},
		{"metric", "ACR/122U", []string{"ACR"}}, // only hyphens make a code
		{"metric", "ACR-122U reader", nil},
		{"metric", "(ACR-122U)", nil},
		{"metric", "SKU-ACR-7", nil},
		{"metric", "X1-ACR", nil},
		{"metric", "ACR-2024", nil},
		{"metric", "ACR‐122U", nil}, // U+2010 hyphen
		{"metric", "ACR–122U", nil}, // en dash, OCR's hyphen
		{"metric", "ACR-122U and ACR", []string{"ACR"}},
		{"any-case", "acr-122u", nil},
		{"any-case", "acr-related", []string{"acr"}},
		{"hashed", "ACR-122U", nil},
		{"hashed", "ACR-based", []string{"ACR"}},
		// A long term is distinctive: a file name still shows the customer.
		{"customers", "Walmart-Q3-2026.pdf", []string{"Walmart"}},
		{"customers", "Walmart-2026", []string{"Walmart"}},
		{"customers", "HomeDepot-7", []string{"HomeDepot"}},
	}
	for _, tt := range tests {
		got := matchedTexts(rs, tt.text, tt.rule)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: Match(%q) = %q, want %q", tt.rule, tt.text, got, tt.want)
		}
	}
}

// foldMarks gives one mark per rune of the folded form, merges included.
func TestFoldMarks(t *testing.T) {
	for _, s := range []string{"Telefónica", "TELEFÓNICA", "řn", "cĺ", "ÿvv", "Ǆx", "İstanbul", "日本語", "Wa1mart"} {
		m := foldMarks(nil, s)
		if n := len([]rune(fold(s))); len(m) != n {
			t.Errorf("foldMarks(%q) has %d marks for %d folded runes", s, len(m), n)
		}
		if (len(strings.Trim(string(m), "\x00")) > 0) != hasAccent(s) {
			t.Errorf("foldMarks(%q) = %q, hasAccent = %v", s, m, hasAccent(s))
		}
	}
}
