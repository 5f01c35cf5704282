package rules

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Currencies an amount rule can name. "$" is read as US dollars: a screen
// rarely says which dollar, and the costly mistake is missing one.
var currencies = map[string]bool{"USD": true, "EUR": true, "GBP": true}

type amountHit struct {
	start, end int // byte offsets in the text
	value      float64
	currency   string
}

// ParseAmount parses s as exactly one money amount ("$580.4 million",
// "USD 45,000,000", "1.5 million dollars"). A number without a currency
// marker is not an amount: "3.5M downloads" is a count.
func ParseAmount(s string) (value float64, currency string, ok bool) {
	s = strings.TrimSpace(s)
	h, ok := parseAmountAt(s, 0)
	if !ok || h.end != len(s) {
		return 0, "", false
	}
	return h.value, h.currency, true
}

// findAmounts returns every amount in text, left to right, not overlapping.
func findAmounts(text string) []amountHit {
	var out []amountHit
	for i := 0; i < len(text); {
		c := text[i]
		if c == '$' || c == 'U' || c == 'u' || c == 'S' || c == 'E' || c == 'G' || (c >= '0' && c <= '9') || c >= utf8.RuneSelf {
			if h, ok := parseAmountAt(text, i); ok {
				out = append(out, h)
				i = h.end
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	return out
}

func isAlnumAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func prevAlnum(s string, i int) bool {
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Currency markers before the number, longest first. OCR reads "$" as "S":
// accepted only right before a digit (see parseAmountAt).
var prefixes = []struct {
	text, cur string
	word      bool // letters: must start a word and be followed by a space or digit
}{
	{"US$", "USD", true}, {"US $", "USD", true}, {"USD", "USD", true}, {"usd", "USD", true},
	{"EUR", "EUR", true}, {"GBP", "GBP", true},
	{"$", "USD", false}, {"€", "EUR", false}, {"£", "GBP", false},
}

// Currency words after the number.
var suffixes = []struct{ text, cur string }{
	{"US dollars", "USD"}, {"dollars", "USD"}, {"Dollars", "USD"}, {"USD", "USD"}, {"usd", "USD"},
	{"euros", "EUR"}, {"Euros", "EUR"}, {"euro", "EUR"}, {"EUR", "EUR"}, {"€", "EUR"},
	{"pounds", "GBP"}, {"GBP", "GBP"}, {"£", "GBP"},
}

// Scale words, matched case-insensitively and as whole words. "mm" is the
// finance abbreviation for million.
var scales = []struct {
	text string
	mul  float64
}{
	{"trillion", 1e12}, {"billion", 1e9}, {"million", 1e6}, {"thousand", 1e3},
	{"bn", 1e9}, {"mm", 1e6}, {"mn", 1e6}, {"mio", 1e6}, {"tn", 1e12},
	{"b", 1e9}, {"m", 1e6}, {"k", 1e3},
}

func skipSpaces(s string, i, most int) int {
	for n := 0; n < most && i < len(s) && s[i] == ' '; n++ {
		i++
	}
	return i
}

func parseAmountAt(s string, i int) (amountHit, bool) {
	h := amountHit{start: i}
	if i >= len(s) {
		return h, false
	}
	j := i
	for _, p := range prefixes {
		if !strings.HasPrefix(s[i:], p.text) {
			continue
		}
		if p.word && prevAlnum(s, i) {
			continue
		}
		k := i + len(p.text)
		if p.word && k < len(s) && s[k] != ' ' && !isDigit(s[k]) {
			continue
		}
		h.currency = p.cur
		j = skipSpaces(s, k, 2)
		break
	}
	if h.currency == "" && s[i] == 'S' && !prevAlnum(s, i) && i+1 < len(s) && isDigit(s[i+1]) {
		h.currency = "USD"
		j = i + 1
	}
	if h.currency == "" && prevAlnum(s, i) {
		return h, false // a number glued to letters ("A380") is not an amount
	}
	num, end, ok := parseNumber(s, j)
	if !ok {
		return h, false
	}
	h.end = end
	k := skipSpaces(s, end, 1)
	for _, sc := range scales {
		if len(s)-k >= len(sc.text) && strings.EqualFold(s[k:k+len(sc.text)], sc.text) && !isAlnumAt(s, k+len(sc.text)) {
			num *= sc.mul
			h.end = k + len(sc.text)
			break
		}
	}
	if h.currency == "" {
		k = skipSpaces(s, h.end, 1)
		for _, sf := range suffixes {
			if strings.HasPrefix(s[k:], sf.text) && !isAlnumAt(s, k+len(sf.text)) {
				h.currency = sf.cur
				h.end = k + len(sf.text)
				break
			}
		}
	}
	if h.currency == "" || math.IsInf(num, 0) || math.IsNaN(num) {
		return h, false
	}
	h.value = num
	return h, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitLike maps the letters OCR reads in place of digits inside a number.
func digitLike(c byte) (byte, bool) {
	switch c {
	case 'O', 'o':
		return '0', true
	case 'l', 'I', '|':
		return '1', true
	}
	return 0, false
}

// parseNumber reads digits with grouping and a decimal part starting at i:
// "45,000,000", "580.4", "1.234.567,89". The first character must be a real
// digit; after that OCR look-alikes (O for 0, l for 1) count as digits when
// the next character continues the number.
func parseNumber(s string, i int) (float64, int, bool) {
	if i >= len(s) || !isDigit(s[i]) {
		return 0, i, false
	}
	var raw []byte
	j := i
	for j < len(s) {
		c := s[j]
		switch {
		case isDigit(c):
			raw = append(raw, c)
		case c == ',' || c == '.':
			if j+1 < len(s) && (isDigit(s[j+1]) || isLook(s[j+1])) {
				raw = append(raw, c)
			} else {
				goto done
			}
		default:
			d, ok := digitLike(c)
			if !ok || !lookContinues(s, j+1) {
				goto done
			}
			raw = append(raw, d)
		}
		j++
		if len(raw) > 40 {
			return 0, j, false
		}
	}
done:
	v, ok := interpretNumber(string(raw))
	return v, j, ok
}

func isLook(c byte) bool { _, ok := digitLike(c); return ok }

// lookContinues: a look-alike letter is a digit only inside a number, not as
// the first letter of the next word ("5 Oranges" never reaches here; "$5Ok"
// would read 50k, which is what the screen most likely says).
func lookContinues(s string, j int) bool {
	if j >= len(s) {
		return true
	}
	c := s[j]
	if isDigit(c) || c == ',' || c == '.' || c == ' ' || isLook(c) {
		return true
	}
	return !isAlnumAt(s, j) || c == 'M' || c == 'm' || c == 'K' || c == 'k' || c == 'B' || c == 'b'
}

// interpretNumber decides which separator is the decimal point: the usual
// 1,234,567.89 and the European 1.234.567,89; a lone separator followed by
// exactly three digits groups thousands, otherwise it is the decimal point.
func interpretNumber(raw string) (float64, bool) {
	commas, dots := strings.Count(raw, ","), strings.Count(raw, ".")
	var clean string
	switch {
	case commas == 0 && dots == 0:
		clean = raw
	case commas > 0 && dots > 0:
		if strings.LastIndexByte(raw, '.') > strings.LastIndexByte(raw, ',') {
			clean = strings.ReplaceAll(raw, ",", "")
		} else {
			clean = strings.ReplaceAll(strings.ReplaceAll(raw, ".", ""), ",", ".")
		}
	case commas > 0:
		clean = groupedOrDecimal(raw, ",")
	default:
		if dots > 1 && groups3(raw, ".") {
			clean = strings.ReplaceAll(raw, ".", "")
		} else {
			clean = raw
		}
	}
	if clean == "" || strings.Count(clean, ".") > 1 {
		return 0, false
	}
	v, err := strconv.ParseFloat(clean, 64)
	return v, err == nil
}

func groupedOrDecimal(raw, sep string) string {
	if groups3(raw, sep) {
		return strings.ReplaceAll(raw, sep, "")
	}
	if strings.Count(raw, sep) == 1 {
		return strings.Replace(raw, sep, ".", 1)
	}
	return ""
}

// groups3 reports whether every group after the first has three digits.
func groups3(raw, sep string) bool {
	parts := strings.Split(raw, sep)
	if len(parts[0]) == 0 || len(parts[0]) > 3 {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return false
		}
	}
	return true
}
