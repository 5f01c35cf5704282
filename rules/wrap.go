package rules

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// A term wrapped at the end of a line ("… Consumed" / "Revenue Plan …" in a
// document column) is never whole on one line. wrapPairs finds the line
// breaks a term may run across: line a and the line b its text continues
// on. Block numbers alone do not say that (the live agent puts a whole
// changed region, table columns and all, in one block, and its lines are
// not in reading order), so the pair is decided by geometry too; see
// continues.
type wrapPair struct{ a, b int }

// wrapPairs returns the line breaks of lines, at most one per line a: for
// each line, the first line of its block below it that overlaps it
// horizontally, if that line continues it. Lines without geometry (plain
// text) and whole lines (document paragraphs) never pair.
func wrapPairs(lines []Line) []wrapPair {
	idx := make([]int32, 0, len(lines))
	for i := range lines {
		if !lines[i].Box.Empty() && len(lines[i].Words) > 0 && !lines[i].Whole {
			idx = append(idx, int32(i))
		}
	}
	if len(idx) < 2 {
		return nil
	}
	slices.SortFunc(idx, func(x, y int32) int {
		a, b := &lines[x], &lines[y]
		return cmp.Or(cmp.Compare(a.Block, b.Block), cmp.Compare(a.Box.Y, b.Box.Y), cmp.Compare(a.Box.X, b.Box.X))
	})
	out := make([]wrapPair, 0, len(idx)/2)
	for k, i := range idx {
		a := &lines[i]
		// Lines further down than this cannot be close enough (continues:
		// the gap is at most the taller height, at most 5/3 of a's).
		limit := a.Box.Y + a.Box.H + 2*a.Box.H
		for _, j := range idx[k+1:] {
			b := &lines[j]
			if b.Block != a.Block || b.Box.Y > limit {
				break
			}
			if !below(a.Box, b.Box) || hOverlap(a.Box, b.Box) <= 0 {
				continue // the same row, or another column
			}
			// b is the next line of a's column: the break is a wrap or
			// nothing, never a join with a line further down.
			if continues(a, b) {
				out = append(out, wrapPair{int(i), int(j)})
			}
			break
		}
	}
	return out
}

// below: b's vertical centre is under a's bottom edge.
func below(a, b Box) bool { return 2*b.Y+b.H >= 2*(a.Y+a.H) }

func hOverlap(a, b Box) int { return min(a.X+a.W, b.X+b.W) - max(a.X, b.X) }

// continues reports whether line b, the next line under a in a's column,
// continues a's text as the next line of a wrapped paragraph does:
//
//   - close: the gap between them is at most one line height (the taller
//     line's box), a line pitch of up to about two heights; a blank line or
//     a paragraph's margin is more;
//   - the same text size: the taller at most 5/3 of the shorter (a heading
//     over its body text is larger);
//   - the same column: they overlap horizontally by at least half the
//     narrower, and are aligned left (within two heights: indents, bullets'
//     hanging text) or centred (within one height);
//   - a was full: b's first word would not have fitted after a (b is not
//     wider than a, its first word and two heights of slack) — a heading, a
//     label, a log line or a table cell ends by choice, and its next line is
//     often longer;
//   - b is not a new list item: its first word has no letter or digit (•,
//     -, *, ▪).
func continues(a, b *Line) bool {
	ab, bb := a.Box, b.Box
	h := max(ab.H, bb.H)
	if bb.Y-(ab.Y+ab.H) > h || 3*h > 5*min(ab.H, bb.H) {
		return false
	}
	if 2*hOverlap(ab, bb) < min(ab.W, bb.W) {
		return false
	}
	left := abs(bb.X-ab.X) <= 2*h
	centred := abs((2*bb.X+bb.W)-(2*ab.X+ab.W)) <= 2*h
	if !left && !centred {
		return false
	}
	first := b.Words[0]
	if !hasTokenRune(first.Text) {
		return false
	}
	fw := first.Box.W
	if first.Box.Empty() {
		fw = 0
	}
	return bb.W <= ab.W+fw+2*h
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// lineEdge is the first and last token a rule's matches took on a line
// (first = the token count, last = -1: none).
type lineEdge struct{ first, last int }

// matchAcross finds rule r's term running from the end of line a onto the
// start of line b (a wrapPair). Only tokens no match on either line took
// are used, so a term wholly on one line is found there, once. The finding
// is one, as the term is one: its text is both parts, its box the union of
// both parts' words (which covers the text between them: the end of a and
// the start of b, a strip the width of the column two lines high), its line
// a's. Allow lists are checked against both lines' text joined.
func (rs *Ruleset) matchAcross(r *rule, a, b *lineText, ea, eb lineEdge, scratch *matchScratch) (hit, bool) {
	maxTok := r.terms.windowTokens()
	from := max(ea.last+1, len(a.tokens)-(maxTok-1))
	to := min(eb.first, maxTok-1, len(b.tokens))
	if from >= len(a.tokens) || to <= 0 {
		return hit{}, false
	}
	end := a.tokens[len(a.tokens)-1].end
	if !r.terms.mayWrap(a.tokens[len(a.tokens)-1].folded, b.tokens[0].folded, isHyphen(a.text[end:])) {
		return hit{}, false
	}
	tail, head := a.tokens[from:], b.tokens[:to]
	lo, hi, dist, ok := r.terms.findAcross(tail, head, scratch)
	if !ok {
		return hit{}, false
	}
	first, last := tail[lo], head[hi]
	if len(rs.allow.res) > 0 || len(r.allow.res) > 0 {
		joined := a.text + " " + b.text
		start, stop := first.start, len(a.text)+1+last.end
		if inside(rs.allow.spans(joined), start, stop) || inside(r.allow.spans(joined), start, stop) {
			return hit{}, false
		}
	}
	boxA, confA := a.wordsBox(first.word, a.tokens[len(a.tokens)-1].word)
	boxB, confB := b.wordsBox(b.tokens[0].word, last.word)
	return hit{
		f: Finding{Rule: r.info.ID, Kind: r.info.Kind, Severity: r.info.Severity,
			Text: a.text[first.start:end] + " " + b.text[b.tokens[0].start:last.end],
			Box:  boxA.Union(boxB), Confidence: max(confA, confB), Line: a.idx,
			Exact: exactTerm(dist, tail[lo:], head[:hi+1])},
		block: a.line.Block, start: first.start, end: end, wlo: first.word, whi: a.tokens[len(a.tokens)-1].word,
	}, true
}

// amountWords is how many words at each side of a line break an amount
// across it is looked for in ("US$ 580.4" / "million dollars").
const amountWords = 3

// amountAcross finds rule r's amount running from the end of line a onto
// the start of line b ("… $580.4" / "million …"), and returns have (the
// rule's findings so far) with it added and any finding it contains taken
// out: "$580.4" read on a alone is the same amount, read short.
func (rs *Ruleset) amountAcross(r *rule, a, b *lineText, have []hit, scratch *matchScratch) []hit {
	if len(a.wordStart) == 0 || len(b.wordStart) == 0 {
		return have
	}
	if !amountRunsOn(a.text[a.wordStart[len(a.wordStart)-1]:], b.text[:wordEnd(b, 0)]) {
		return have
	}
	from := a.wordStart[max(0, len(a.wordStart)-amountWords)]
	to := len(b.text)
	if len(b.wordStart) > amountWords {
		to = b.wordStart[amountWords] - 1
	}
	brk := len(a.text) - from // where the space between the lines is in s
	buf := append(append(append(scratch.buf[:0], a.text[from:]...), ' '), b.text[:to]...)
	scratch.buf = buf
	// findAmounts keeps only offsets: the scratch buffer may back s.
	s := bytesString(buf)
	for _, m := range findAmounts(s) {
		if m.start >= brk || m.end <= brk+1 {
			continue // wholly on one line: found there
		}
		if m.currency != r.cur || m.value < r.min || (r.max > 0 && m.value > r.max) {
			continue
		}
		start, end := from+m.start, m.end-brk-1 // in a.text, in b.text
		if len(rs.allow.res) > 0 || len(r.allow.res) > 0 {
			joined := a.text + " " + b.text
			stop := len(a.text) + 1 + end
			if inside(rs.allow.spans(joined), start, stop) || inside(r.allow.spans(joined), start, stop) {
				continue
			}
		}
		lo, hi := wordIndex(a.wordStart, start), wordIndex(b.wordStart, max(0, end-1))
		boxA, confA := a.wordsBox(lo, len(a.wordStart)-1)
		boxB, confB := b.wordsBox(0, hi)
		v := m.value
		h := hit{
			f: Finding{Rule: r.info.ID, Kind: r.info.Kind, Severity: r.info.Severity,
				Text: a.text[start:] + " " + b.text[:end], Value: &v, Currency: m.currency,
				Box: boxA.Union(boxB), Confidence: max(confA, confB), Line: a.idx},
			block: a.line.Block, start: start, end: len(a.text), wlo: lo, whi: len(a.wordStart) - 1,
		}
		out := have[:0]
		for _, o := range have {
			if !(o.f.Line == a.idx && o.end > start || o.f.Line == b.idx && o.start < end) {
				out = append(out, o)
			}
		}
		return append(out, h)
	}
	return have
}

// amountRunsOn: an amount may run on from a line ending with word x onto
// a line starting with word y: x is a number, a currency marker or a scale
// word, and y a number, a scale or a currency word ("$580.4" / "million",
// "USD" / "45,000,000", "1.5 million" / "dollars").
func amountRunsOn(x, y string) bool {
	if x == "" || y == "" {
		return false
	}
	first := strings.IndexFunc(x, unicode.IsDigit) >= 0
	for _, p := range prefixes {
		first = first || x == p.text
	}
	for _, sc := range scales {
		first = first || strings.EqualFold(x, sc.text)
	}
	if !first {
		return false
	}
	if isDigit(y[0]) {
		return true
	}
	y = strings.TrimRight(y, ".,;:)")
	for _, sc := range scales {
		if strings.EqualFold(y, sc.text) {
			return true
		}
	}
	for _, sf := range suffixes {
		if w, _, _ := strings.Cut(sf.text, " "); w == y {
			return true
		}
	}
	return false
}

// wordEnd is where word i of a line ends in its text.
func wordEnd(lt *lineText, i int) int { return lt.wordStart[i] + len(lt.line.Words[i].Text) }
