package ocr

import (
	"strings"
	"unicode"

	"github.com/demoguard/demoguard/rules"
)

// Corrections for systematic misreadings of screen fonts. They are narrow on
// purpose: each one fixes a pattern seen on the corpus and cannot turn
// correct text into something a rule would match.

// fixSlashedZero turns '@', 'Ø' or 'ø' back into '0' where only a digit can
// stand: fonts with a slashed or dotted zero (Go, many code fonts) make
// Tesseract read "$2.0B" as "$2.@B" and "80" as "8@".
func fixSlashedZero(s string) string {
	if !strings.ContainsAny(s, "@Øø") {
		return s
	}
	rs := []rune(s)
	for k, r := range rs {
		if r != '@' && r != 'Ø' && r != 'ø' {
			continue
		}
		if k == 0 || !(unicode.IsDigit(rs[k-1]) || strings.ContainsRune(".,$", rs[k-1])) {
			continue
		}
		rest := string(rs[k+1:])
		if rest == "" || unicode.IsDigit(rs[k+1]) || strings.ContainsRune(".,@Øø", rs[k+1]) || amountSuffix(rest) {
			rs[k] = '0'
		}
	}
	return string(rs)
}

func amountSuffix(s string) bool {
	switch strings.ToLower(strings.TrimRight(s, ".,;:)")) {
	case "k", "m", "mm", "b", "bn", "%":
		return true
	}
	return false
}

// joinSplitWords rejoins a word that Tesseract split before or after an '@'
// ("priya.shah @brightlane.io"): the '@' of the Go fonts has wide side
// bearings. Only a gap clearly narrower than a space is bridged.
func joinSplitWords(ws []rules.Word) []rules.Word {
	out := ws[:0:0]
	for _, w := range ws {
		if n := len(out); n > 0 {
			p := &out[n-1]
			gap := w.Box.X - (p.Box.X + p.Box.W)
			h := max(p.Box.H, w.Box.H)
			atSplit := strings.HasPrefix(w.Text, "@") && !strings.Contains(p.Text, "@") ||
				strings.HasSuffix(p.Text, "@") && !strings.Contains(w.Text, "@")
			if atSplit && gap >= -2 && gap*2 <= h {
				p.Text += w.Text
				p.Box = p.Box.Union(w.Box)
				p.Conf = min(p.Conf, w.Conf)
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

// fixDollar restores a '$' read as 's' in front of an amount ("s29.1MM",
// and "USS 4.7bn" for "US$ 4.7bn"): no English word is an 's' followed by
// digits, and "USS" directly before a number is the currency.
func fixDollar(ws []rules.Word) {
	for i := range ws {
		t := ws[i].Text
		if len(t) >= 2 && (t[0] == 's' || t[0] == 'S') && isAmountBody(t[1:]) {
			ws[i].Text = "$" + t[1:]
			continue
		}
		if strings.EqualFold(t, "uss") && i+1 < len(ws) && isAmountBody(ws[i+1].Text) {
			ws[i].Text = "US$"
		}
	}
}

// isAmountBody: digits with separators and an optional scale suffix.
func isAmountBody(s string) bool {
	if s == "" || !unicode.IsDigit(rune(s[0])) {
		return false
	}
	i := 0
	for i < len(s) && (unicode.IsDigit(rune(s[i])) || s[i] == '.' || s[i] == ',') {
		i++
	}
	return i == len(s) || amountSuffix(s[i:])
}

// fixInnerDash turns an em or en dash inside a word back into a hyphen:
// Tesseract widens hyphens between letters ("ostrava—data") and in runs
// ("—----BEGIN"); a dash standing alone as a word is left as it is.
func fixInnerDash(s string) string {
	if len(s) <= len("—") || !strings.ContainsAny(s, "—–") {
		return s
	}
	return strings.NewReplacer("—", "-", "–", "-").Replace(s)
}
