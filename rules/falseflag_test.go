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
