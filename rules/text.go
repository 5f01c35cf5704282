package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// lineText is a Line prepared for matching: the words joined by single
// spaces (so patterns and amounts see one string), where each word starts,
// and the word-internal tokens used by term matching.
type lineText struct {
	idx       int
	line      *Line
	text      string
	wordStart []int // byte offset of each word in text
	tokens    []token

	compactText  string // see compact; "" when equal to text
	compactStart []int
	compactDone  bool
}

// compact returns the line with the spaces OCR inserted next to punctuation
// removed ("mysql://root :hunter2@db", "nina. petrova@x.io", "eyJ..J9 . U0r"):
// Tesseract splits long tokens at ':', '.', '@' and friends, which breaks
// patterns written for the unbroken token. It returns "" when nothing was
// removed. wordStart gives each word's offset in the compact text.
func (lt *lineText) compact() (string, []int) {
	if lt.compactDone {
		return lt.compactText, lt.compactStart
	}
	lt.compactDone = true
	words := lt.line.Words
	if len(words) < 2 {
		return "", nil
	}
	var b strings.Builder
	start := make([]int, len(words))
	joined := false
	for i, w := range words {
		if i > 0 {
			if joinsPunct(words[i-1].Text, w.Text) {
				joined = true
			} else {
				b.WriteByte(' ')
			}
		}
		start[i] = b.Len()
		b.WriteString(w.Text)
	}
	if !joined {
		return "", nil
	}
	lt.compactText, lt.compactStart = b.String(), start
	return lt.compactText, lt.compactStart
}

const joinPunct = ":./@_-=+\\"

func joinsPunct(left, right string) bool {
	if left == "" || right == "" {
		return false
	}
	return strings.IndexByte(joinPunct, left[len(left)-1]) >= 0 || strings.IndexByte(joinPunct, right[0]) >= 0
}

// token is a run of letters and digits inside one OCR word. Splitting at
// punctuation is what lets "Walmart's" and "(Walmart)" match Walmart while
// "acrylic" stays one token that ACR can never match.
type token struct {
	word       int
	start, end int    // byte offsets in lineText.text
	raw        string // as read
	folded     string // lower-cased, diacritics removed, OCR look-alikes folded
	accented   bool   // folding removed an accent
	// codeLeft, codeRight: the token is joined by hyphens, on that side,
	// to parts of one word of which one has a digit (ACR-122U, SKU-ACR-7).
	codeLeft, codeRight bool
}

func prepare(idx int, l *Line) lineText {
	lt := lineText{idx: idx, line: l}
	var b strings.Builder
	lt.wordStart = make([]int, len(l.Words))
	for i, w := range l.Words {
		if i > 0 {
			b.WriteByte(' ')
		}
		lt.wordStart[i] = b.Len()
		b.WriteString(w.Text)
	}
	lt.text = b.String()
	for i, w := range l.Words {
		base := lt.wordStart[i]
		tokenSpans(w.Text, func(a, b int) {
			// A lone '|' is a panel border or cursor, not an l or I.
			if strings.Trim(w.Text[a:b], "|") != "" {
				lt.addToken(i, base+a, base+b)
			}
		})
	}
	lt.markCodes()
	return lt
}

// markCodes sets codeLeft and codeRight: a run of tokens joined by single
// hyphens inside one word is a compound, and one with a digit in it is a
// product code, a SKU or a model number, whose parts are not words.
func (lt *lineText) markCodes() {
	toks := lt.tokens
	joined := func(k int) bool { // token k is hyphen-joined to token k-1
		return k > 0 && toks[k].word == toks[k-1].word && isHyphen(lt.text[toks[k-1].end:toks[k].start])
	}
	digit := func(k int) bool { return strings.IndexFunc(toks[k].raw, unicode.IsDigit) >= 0 }
	for k := 1; k < len(toks); k++ {
		if joined(k) {
			toks[k].codeLeft = toks[k-1].codeLeft || digit(k-1)
		}
	}
	for k := len(toks) - 2; k >= 0; k-- {
		if joined(k + 1) {
			toks[k].codeRight = toks[k+1].codeRight || digit(k+1)
		}
	}
}

// isHyphen: a hyphen, a Unicode hyphen, or the en dash OCR reads for one.
func isHyphen(s string) bool {
	switch s {
	case "-", "\u2010", "\u2011", "\u2013":
		return true
	}
	return false
}

func (lt *lineText) addToken(word, start, end int) {
	raw := lt.text[start:end]
	lt.tokens = append(lt.tokens, token{word: word, start: start, end: end, raw: raw, folded: fold(raw), accented: hasAccent(raw)})
}

// isTokenRune: letters and digits, plus '|' which OCR produces for l/I.
func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '|'
}

// wordsBox is the union of the boxes of words lo..hi and the highest word
// confidence among them.
func (lt *lineText) wordsBox(lo, hi int) (Box, float64) {
	var b Box
	conf := 0.0
	for i := lo; i <= hi && i < len(lt.line.Words); i++ {
		w := lt.line.Words[i]
		b = b.Union(w.Box)
		conf = max(conf, w.Conf)
	}
	return b, conf
}

// wordIndex returns the index of the word containing byte offset off, given
// each word's start offset.
func wordIndex(wordStart []int, off int) int {
	lo, hi := 0, len(wordStart)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if wordStart[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// fold maps text to the form terms are compared in: lower case, accents
// removed, and the characters Tesseract confuses mapped to one
// representative, so that "Wa1mart", "Walrnart" and "WALMART" all read
// "walmart" before any edit distance is spent. Both terms and OCR text are
// folded the same way, so folding never loses a true match.
func fold(s string) string { return string(foldAppend(nil, s)) }

// foldAppend appends the folded form of s to b.
func foldAppend(b []byte, s string) []byte { return foldInto(b, nil, s) }

// foldMarks appends to marks one entry per rune of fold(s): the accented
// letter (lower case) that folded to it, or 0. A letter folded from two
// glyphs (rn→m) carries the mark of either. Only fuzzy matching looks at
// marks, and only for text or terms that have accents.
func foldMarks(marks []rune, s string) []rune {
	foldInto(nil, &marks, s)
	return marks
}

func foldInto(b []byte, marks *[]rune, s string) []byte {
	base := len(b)
	for _, r := range s {
		r = unicode.ToLower(r)
		var mark rune
		if r >= utf8.RuneSelf {
			if a := stripAccent(r); a != r {
				mark, r = r, a
			}
		}
		switch r {
		case '0':
			r = 'o'
		case '1', 'i', '|':
			r = 'l'
		case '5':
			r = 's'
		case '8':
			r = 'b'
		case '2':
			r = 'z'
		case '6':
			r = 'b'
		case '9':
			r = 'g'
		}
		if r < utf8.RuneSelf {
			n := len(b)
			// Two-glyph confusions: rn→m, cl→d, vv→w.
			if n > base {
				p := b[n-1]
				switch {
				case p == 'r' && r == 'n':
					b[n-1] = 'm'
					mergeMark(marks, mark)
					continue
				case p == 'c' && r == 'l':
					b[n-1] = 'd'
					mergeMark(marks, mark)
					continue
				case p == 'v' && r == 'v':
					b[n-1] = 'w'
					mergeMark(marks, mark)
					continue
				}
			}
			b = append(b, byte(r))
		} else {
			b = utf8.AppendRune(b, r)
		}
		if marks != nil {
			*marks = append(*marks, mark)
		}
	}
	return b
}

func mergeMark(marks *[]rune, mark rune) {
	if marks != nil && mark != 0 {
		(*marks)[len(*marks)-1] = mark
	}
}

// hasAccent reports whether folding strips an accent from s.
func hasAccent(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if r >= utf8.RuneSelf {
					if l := unicode.ToLower(r); stripAccent(l) != l {
						return true
					}
				}
			}
			return false
		}
	}
	return false
}

var accents = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'ā': 'a', 'ą': 'a',
	'ç': 'c', 'ć': 'c', 'č': 'c', 'ď': 'd', 'đ': 'd',
	'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e', 'ē': 'e', 'ę': 'e', 'ě': 'e',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ī': 'i', 'ı': 'i',
	'ł': 'l', 'ñ': 'n', 'ń': 'n', 'ň': 'n',
	'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o', 'ø': 'o', 'ō': 'o', 'ő': 'o',
	'ř': 'r', 'ś': 's', 'š': 's', 'ş': 's', 'ß': 's', 'ť': 't',
	'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ū': 'u', 'ů': 'u', 'ű': 'u',
	'ý': 'y', 'ÿ': 'y', 'ź': 'z', 'ż': 'z', 'ž': 'z',
}

func stripAccent(r rune) rune {
	if a, ok := accents[r]; ok {
		return a
	}
	return r
}

// tokenSpans calls fn with the byte range of each token of s: a maximal run
// of letters and digits. Terms and OCR words are split by this one function,
// so a term and the text it should match agree on what a word is.
func tokenSpans(s string, fn func(start, end int)) {
	start := -1
	for i, r := range s {
		if isTokenRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			fn(start, i)
			start = -1
		}
	}
	if start >= 0 {
		fn(start, len(s))
	}
}

func hasTokenRune(s string) bool {
	for _, r := range s {
		if isTokenRune(r) {
			return true
		}
	}
	return false
}

func termTokens(term string) []string {
	var out []string
	tokenSpans(term, func(a, b int) { out = append(out, term[a:b]) })
	return out
}

// isShortCaps reports a term written entirely in capitals with at most 6
// letters (ACR, EMEA): such a term is an acronym that would otherwise match
// ordinary words, so it only matches in capitals.
func isShortCaps(term string) bool {
	letters := 0
	for _, r := range term {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			letters++
		}
	}
	return letters > 0 && letters <= 6
}
