package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadString compiles a rule file given as text (written to a temp dir so
// terms_file paths resolve).
func loadString(t *testing.T, src string, files map[string]string) *Ruleset {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "rules.toml")
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	rs, err := Load(p)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return rs
}

func matchedTexts(rs *Ruleset, text string, rule string) []string {
	var out []string
	for _, f := range rs.Match([]Line{TextLine(text)}) {
		if f.Rule == rule {
			out = append(out, f.Text)
		}
	}
	return out
}

func TestTerms(t *testing.T) {
	rs := loadString(t, `
[[rules]]
id = "customers"
terms = ["Walmart", "Home Depot", "ACR", "Northwind Traders", "AT&T", "Coca-Cola", "Nestlé"]
`, nil)
	tests := []struct {
		text string
		want []string
	}{
		{"Walmart renewal", []string{"Walmart"}},
		{"walmart", []string{"walmart"}},
		{"WALMART", []string{"WALMART"}},
		{"Walrnart", []string{"Walrnart"}},       // rn read for m
		{"Wa1mart", []string{"Wa1mart"}},         // 1 read for l
		{"W almart", []string{"W almart"}},       // word split by OCR
		{"Walmar t spend", []string{"Walmar t"}}, // split near the end
		{"Walmarts", nil},                        // an inflection, not an OCR error
		{"Walnut", nil},                          // a different word
		{"(Walmart)", []string{"Walmart"}},       // punctuation around
		{"Walmart's Q3", []string{"Walmart"}},    // possessive
		{"Home  Depot", []string{"Home Depot"}},  // doubled space
		{"HomeDepot", []string{"HomeDepot"}},     // joined by OCR
		{"Home Dep0t", []string{"Home Dep0t"}},   // 0 read for o
		{"the home depot store", []string{"home depot"}},
		{"ACR rose", []string{"ACR"}},
		{"acr rose", nil},      // short capitals: capitals only
		{"acrylic paint", nil}, // never inside a word
		{"across the board", nil},
		{"ACRS", nil},
		{"Northwind Tradres", []string{"Northwind Tradres"}}, // swapped letters
		{"Northwlnd Traders", []string{"Northwlnd Traders"}},
		{"Northwind", nil},
		{"AT&T", []string{"AT&T"}},
		{"Coca-Cola", []string{"Coca-Cola"}},
		{"Coca Cola", []string{"Coca Cola"}},
		{"Nestle", []string{"Nestle"}},
		{"Walmart and Home Depot", []string{"Walmart", "Home Depot"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := matchedTexts(rs, tt.text, "customers")
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Match(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestTermOptions(t *testing.T) {
	rs := loadString(t, `
[[rules]]
id = "exact"
fuzzy = false
terms = ["Walmart"]

[[rules]]
id = "cased"
case_sensitive = true
terms = ["Falcon"]

[[rules]]
id = "acr-any-case"
case_sensitive = false
terms = ["ACR"]

[[rules]]
id = "from-file"
terms_file = "names.txt"
allow = ["Acme Labs", "re:(?i)acme\\s+demo"]
`, map[string]string{"names.txt": "# customers\n\nAcme Corporation\nGlobex # trailing comment\n  Initech  \n"})
	tests := []struct {
		rule, text string
		want       []string
	}{
		{"exact", "Walmart", []string{"Walmart"}},
		{"exact", "Wa1mart", []string{"Wa1mart"}}, // look-alike folding is not fuzziness
		{"exact", "Walrmart", nil},
		{"cased", "Falcon", []string{"Falcon"}},
		{"cased", "falcon", nil},
		{"acr-any-case", "acr", []string{"acr"}},
		{"from-file", "Acme Corporation", []string{"Acme Corporation"}},
		{"from-file", "Globex and Initech", []string{"Globex", "Initech"}},
		{"from-file", "customers", nil},
		{"from-file", "Acme Labs", nil},
		{"from-file", "ACME Demo", nil},
	}
	for _, tt := range tests {
		got := matchedTexts(rs, tt.text, tt.rule)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: Match(%q) = %q, want %q", tt.rule, tt.text, got, tt.want)
		}
	}
}

func TestAllowGlobal(t *testing.T) {
	rs := loadString(t, `
extends = "default"
[allow]
terms = ["Confidential Computing"]
patterns = ['(?i)[a-z.]+@example\.com']

[[rules]]
id = "customers"
terms = ["Walmart"]
`, nil)
	if got := matchedTexts(rs, "Azure Confidential Computing", "classification-marker"); got != nil {
		t.Errorf("allowed term flagged: %q", got)
	}
	if got := matchedTexts(rs, "Confidential", "classification-marker"); len(got) != 1 {
		t.Errorf("marker not flagged outside the allow entry: %q", got)
	}
	if got := matchedTexts(rs, "mail jane@example.com", "email-address"); got != nil {
		t.Errorf("allowed pattern flagged: %q", got)
	}
}

func TestHashedTerms(t *testing.T) {
	salt := "s3cr3t-salt"
	rs := loadString(t, `
[[rules]]
id = "hashed"
salt = "`+salt+`"
terms_sha256 = ["`+HashTerm(salt, "Walmart")+`", "`+HashTerm(salt, "Home Depot")+`"]
`, nil)
	for text, want := range map[string]bool{
		"Walmart": true, "WALMART": true, "Wa1mart": true, "W almart": true, "Home Depot": true, "HomeDepot": true,
		"Walrmart": false, "Walnut": false, "Home": false,
	} {
		got := len(matchedTexts(rs, text, "hashed")) > 0
		if got != want {
			t.Errorf("hashed Match(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestAmountRule(t *testing.T) {
	rs := loadString(t, `
[[rules]]
id = "big"
amount = { min = 1_000_000, max = 1_000_000_000 }

[[rules]]
id = "euros"
amount = { min = 100, currency = "eur" }
`, nil)
	f := rs.Match([]Line{TextLine("spend $580.4 million and €250 but $2bn")})
	var got []string
	for _, x := range f {
		got = append(got, x.Rule+"="+x.Text)
	}
	want := "big=$580.4 million euros=€250"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if f[0].Value == nil || *f[0].Value != 580.4e6 || f[0].Currency != "USD" {
		t.Errorf("value = %v %s", f[0].Value, f[0].Currency)
	}
}

// words lays text out as OCR words on one row starting at x, y.
func words(text string, x, y, block int) Line {
	l := Line{Block: block}
	for _, w := range strings.Fields(text) {
		b := Box{X: x, Y: y, W: 10 * len(w), H: 14}
		l.Words = append(l.Words, Word{Text: w, Box: b, Conf: 0.9})
		l.Box = l.Box.Union(b)
		x += b.W + 8
	}
	return l
}

func TestNear(t *testing.T) {
	rs := loadString(t, `
extends = "default"

[[rules]]
id = "customers"
severity = "high"
terms = ["Walmart", "Globex"]

[[rules]]
id = "customer-spend"
severity = "critical"
near = ["customers", "large-amount"]
within = "line"

[[rules]]
id = "spend-block"
near = ["customers", "large-amount"]
within = "block"

[[rules]]
id = "spend-100px"
near = ["customers", "large-amount"]
within = "100px"

[[rules]]
id = "nested"
near = ["customer-spend", "classification-marker"]
within = "block"
`, nil)
	// A spreadsheet: OCR reads the name column and the amount column as
	// separate blocks, so the row is only visible in the geometry.
	lines := []Line{
		words("Walmart", 10, 100, 1),
		words("Globex", 10, 130, 1),
		words("$61.9M", 400, 101, 2),
		words("$12", 400, 131, 2),
		words("Confidential", 10, 300, 1),
	}
	byRule := map[string][]Finding{}
	for _, f := range rs.Match(lines) {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	cs := byRule["customer-spend"]
	if len(cs) != 1 || cs[0].Text != "Walmart … $61.9M" {
		t.Fatalf("customer-spend = %+v", cs)
	}
	if want := (Box{X: 10, Y: 100, W: 450, H: 15}); cs[0].Box != want || cs[0].Value == nil || *cs[0].Value != 61.9e6 {
		t.Errorf("combined box/value = %v %v, want %v 61.9e6", cs[0].Box, cs[0].Value, want)
	}
	if n := len(byRule["spend-block"]); n != 0 {
		t.Errorf("spend-block: name and amount are in different blocks, got %d findings", n)
	}
	if n := len(byRule["spend-100px"]); n != 0 {
		t.Errorf("spend-100px: 330px apart, got %d findings", n)
	}
	if n := len(byRule["nested"]); n != 1 {
		t.Errorf("nested near: got %d findings, want 1", n)
	}
	// Same text on one OCR line: every distance holds.
	f := rs.MatchRules([]Line{TextLine("Walmart spent $5M")}, "spend-block", "spend-100px", "customer-spend")
	if len(f) != 3 {
		t.Errorf("one line: got %d findings, want 3: %+v", len(f), f)
	}
}

func TestBoxesAndConfidence(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	l := words("total USD 45,000,000 spent", 0, 50, 0)
	l.Words[1].Conf, l.Words[2].Conf = 0.3, 0.4
	f := rs.Match([]Line{l})
	if len(f) != 1 {
		t.Fatalf("got %+v", f)
	}
	if want := (Box{X: 58, Y: 50, W: 138, H: 14}); f[0].Box != want {
		t.Errorf("box = %v, want %v (union of the two words)", f[0].Box, want)
	}
	if f[0].Confidence != 0.4 {
		t.Errorf("confidence = %v, want the highest word confidence 0.4", f[0].Confidence)
	}
}

func TestCompactForPatterns(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, rule, want string
	}{
		// OCR splits long tokens at punctuation; the finding spans the pieces.
		{"DATABASE_URL=redis: //defauLt :p4ssw0rdRedis@cache-01. corp :6379/0", "connection-string", "redis://defauLt:p4ssw0rdRedis@cache-01.corp:6379"},
		{"owner k.nakamura@sorrel. jp today", "email-address", "k.nakamura@sorrel.jp"},
		// Words that only sit next to each other are not joined.
		{"mail jane @ example com", "email-address", ""},
	}
	for _, tt := range tests {
		got := matchedTexts(rs, tt.text, tt.rule)
		if strings.Join(got, "|") != tt.want {
			t.Errorf("%s in %q = %q, want %q", tt.rule, tt.text, got, tt.want)
		}
	}
	// The compact match maps back to the right words.
	l := words("url: mysql://root :hunter2-Prod@10.20.3.7:3306/billing end", 0, 0, 0)
	f := rs.MatchRules([]Line{l}, "connection-string")
	if len(f) != 1 || f[0].Box != l.Words[1].Box.Union(l.Words[2].Box) {
		t.Errorf("compact finding %+v, want the box of words 1-2", f)
	}
}

func TestConfident(t *testing.T) {
	tests := []struct {
		f    Finding
		want bool
	}{
		{Finding{Kind: "terms", Text: "Walmart", Confidence: 0.6}, true},
		{Finding{Kind: "terms", Text: "Northwind Traders International", Confidence: 0.2}, false},
		{Finding{Kind: "pattern", Text: "a@b.io", Confidence: 0.2}, false},
		{Finding{Kind: "pattern", Text: "ghp_z7kPDyRxHQFAKEdemoguardCARRy96ZOgCYR", Confidence: 0.01}, true},
		{Finding{Kind: "amount", Text: "$580,400,000,000", Confidence: 0.1}, false},
		// A listed term spelled letter for letter (see Finding.Exact).
		{Finding{Kind: "terms", Text: "Contoso", Confidence: 0.2, Exact: true}, true},
		{Finding{Kind: "near", Text: "Contoso … Fabrikam", Confidence: 0.2, Exact: true}, true},
		{Finding{Kind: "terms", Text: "Contosa", Confidence: 0.2}, false},
	}
	for _, tt := range tests {
		if got := tt.f.Confident(0.5); got != tt.want {
			t.Errorf("%+v.Confident(0.5) = %v, want %v", tt.f, got, tt.want)
		}
	}
}

func TestBorderIsNotALetter(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"| Privilege escalation", "|| Privilege", "Privilege |"} {
		if got := matchedTexts(rs, text, "classification-marker"); got != nil {
			t.Errorf("%q flagged as %q", text, got)
		}
	}
	if got := matchedTexts(rs, "| Confidential |", "classification-marker"); len(got) != 1 {
		t.Errorf("marker between borders: %q", got)
	}
}

func TestFuzzyDoesNotAbsorbNeighbours(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"$61.9 - Internal Only":  "Internal Only",
		"9 Internal Only x":      "Internal Only",
		"|CONFIDENTIAL board":    "|CONFIDENTIAL",
		"Strictly Confidential.": "Strictly Confidential",
	}
	for text, want := range tests {
		got := matchedTexts(rs, text, "classification-marker")
		if len(got) != 1 || got[0] != want {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
}
