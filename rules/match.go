package rules

import (
	"sort"
	"strings"
)

// hit is a finding under construction, with where it sits in its line.
type hit struct {
	f          Finding
	block      int
	start, end int // byte range in the line text (base rules only)
	wlo, whi   int // words covered
}

// Match runs every rule over the lines of one image (or one text input) and
// returns findings ordered by line and position.
func (rs *Ruleset) Match(lines []Line) []Finding {
	return rs.match(lines, nil)
}

// MatchRules is Match restricted to the named rules and the rules they
// combine (for tuning one rule, and for rule examples).
func (rs *Ruleset) MatchRules(lines []Line, ids ...string) []Finding {
	only := map[int]bool{}
	var add func(i int)
	add = func(i int) {
		if only[i] {
			return
		}
		only[i] = true
		for _, j := range rs.rules[i].near {
			add(j)
		}
	}
	for _, id := range ids {
		if i, ok := rs.byID[id]; ok {
			add(i)
		}
	}
	keep := map[string]bool{}
	for _, id := range ids {
		keep[id] = true
	}
	var out []Finding
	for _, f := range rs.match(lines, only) {
		if keep[f.Rule] {
			out = append(out, f)
		}
	}
	return out
}

// Has reports whether a rule id exists.
func (rs *Ruleset) Has(id string) bool { _, ok := rs.byID[id]; return ok }

func (rs *Ruleset) match(lines []Line, only map[int]bool) []Finding {
	prepared := make([]lineText, len(lines))
	for i := range lines {
		prepared[i] = prepare(i, &lines[i])
	}
	globalSpans := make([][][]int, len(lines))
	if len(rs.allow.res) > 0 {
		for i := range prepared {
			globalSpans[i] = rs.allow.spans(prepared[i].text)
		}
	}
	var scratch matchScratch
	hits := make([][]hit, len(rs.rules))
	// Line breaks a term may run across, and per line the first and last
	// token a rule's matches on the line took (see matchAcross).
	var pairs []wrapPair
	var edges []lineEdge
	pairsDone := false
	for _, ri := range rs.order {
		if only != nil && !only[ri] {
			continue
		}
		r := rs.rules[ri]
		if r.kind == kindNear {
			hits[ri] = rs.combine(r, hits)
			continue
		}
		across := r.kind == kindTerms || r.kind == kindHashed || r.kind == kindAmount
		if across && !pairsDone {
			pairsDone = true
			if pairs = wrapPairs(lines); len(pairs) > 0 {
				edges = make([]lineEdge, len(lines))
			}
		}
		for li := range prepared {
			lt := &prepared[li]
			if len(lt.text) == 0 {
				continue
			}
			var ruleSpans [][]int
			if len(r.allow.res) > 0 {
				ruleSpans = r.allow.spans(lt.text)
			}
			emit := func(start, end int, value *float64, cur string) bool {
				if inside(globalSpans[li], start, end) || inside(ruleSpans, start, end) {
					return false
				}
				hits[ri] = append(hits[ri], lt.hit(r, lt.text, lt.wordStart, start, end, value, cur))
				return true
			}
			switch r.kind {
			case kindTerms, kindHashed:
				ths := r.terms.find(lt, &scratch)
				for _, th := range ths {
					if emit(lt.tokens[th.lo].start, lt.tokens[th.hi].end, nil, "") {
						hits[ri][len(hits[ri])-1].f.Exact = exactTerm(th.dist, lt.tokens[th.lo:th.hi+1])
					}
				}
				if edges != nil {
					edges[li] = lineEdge{first: len(lt.tokens), last: -1}
					if len(ths) > 0 {
						edges[li] = lineEdge{first: ths[0].lo, last: ths[len(ths)-1].hi}
					}
				}
			case kindPattern:
				before := len(hits[ri])
				for _, m := range r.pattern.FindAllStringIndex(lt.text, -1) {
					if m[1] > m[0] {
						emit(m[0], m[1], nil, "")
					}
				}
				hits[ri] = append(hits[ri], rs.compactHits(r, lt, hits[ri][before:])...)
				hits[ri] = append(hits[ri], rs.splitHits(r, lt, hits[ri][before:])...)
			case kindAmount:
				for _, a := range findAmounts(lt.text) {
					if a.currency != r.cur || a.value < r.min || (r.max > 0 && a.value > r.max) {
						continue
					}
					v := a.value
					emit(a.start, a.end, &v, a.currency)
				}
			}
		}
		for _, p := range pairs {
			switch r.kind {
			case kindTerms, kindHashed:
				if h, ok := rs.matchAcross(r, &prepared[p.a], &prepared[p.b], edges[p.a], edges[p.b], &scratch); ok {
					hits[ri] = append(hits[ri], h)
				}
			case kindAmount:
				hits[ri] = rs.amountAcross(r, &prepared[p.a], &prepared[p.b], hits[ri], &scratch)
			}
		}
	}
	var out []Finding
	for ri, hs := range hits {
		if only != nil && !only[ri] {
			continue
		}
		for _, h := range hs {
			out = append(out, h.f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Box.Y != b.Box.Y {
			return a.Box.Y < b.Box.Y
		}
		return a.Box.X < b.Box.X
	})
	return out
}

// hit makes a finding of rule r from the byte range start..end of text (the
// line text or its compact form, whose word offsets are wordStart).
func (lt *lineText) hit(r *rule, text string, wordStart []int, start, end int, value *float64, cur string) hit {
	lo, hi := wordIndex(wordStart, start), wordIndex(wordStart, max(start, end-1))
	box, conf := lt.wordsBox(lo, hi)
	return hit{
		f: Finding{Rule: r.info.ID, Kind: r.info.Kind, Severity: r.info.Severity, Text: text[start:end],
			Value: value, Currency: cur, Box: box, Confidence: conf, Line: lt.idx},
		block: lt.line.Block, start: start, end: end, wlo: lo, whi: hi,
	}
}

// compactHits runs a pattern over the compact form of the line and keeps the
// matches that no match on the line as read already covers.
func (rs *Ruleset) compactHits(r *rule, lt *lineText, have []hit) []hit {
	text, starts := lt.compact()
	if text == "" {
		return nil
	}
	var spans [][]int
	if len(rs.allow.res) > 0 || len(r.allow.res) > 0 {
		spans = append(rs.allow.spans(text), r.allow.spans(text)...)
	}
	var out []hit
	for _, m := range r.pattern.FindAllStringIndex(text, -1) {
		if m[1] <= m[0] || inside(spans, m[0], m[1]) {
			continue
		}
		h := lt.hit(r, text, starts, m[0], m[1], nil, "")
		dup := false
		for _, o := range have {
			if o.wlo <= h.whi && h.wlo <= o.whi {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, h)
		}
	}
	return out
}

// maxSplitWords is the most OCR words one glyph run is taken to have been
// split into (see splitHits).
const maxSplitWords = 4

// splitHits runs a pattern over runs of words that OCR split inside one
// run of glyphs, joined without the space: small low-contrast text made
// Tesseract read AKIAIOSFODNN7EXAMPLE as "AKIAIOSFODNN7" and "EXAMPLE", 1 px
// apart, at 0.13, and the key was then matched at no --min-conf. Words are
// joined when closeWords; a match must start in the first word of the run
// and end in its last, and one overlapping a match already found is
// dropped. Each run is matched alone (the words beside it are not joined
// to it: "key" 1 px before the key would hide the key's \b). Text not read
// from pixels (no boxes; a document's paragraph) is never joined: a space
// typed is a space.
func (rs *Ruleset) splitHits(r *rule, lt *lineText, have []hit) []hit {
	ws := lt.line.Words
	if lt.line.Whole || len(ws) < 2 {
		return nil
	}
	var out []hit
	var starts [maxSplitWords]int
	for a := 0; a+1 < len(ws); a++ {
		if !closeWords(ws[a], ws[a+1]) {
			continue
		}
		text := ws[a].Text
		for e := a + 1; e < len(ws) && e-a < maxSplitWords && closeWords(ws[e-1], ws[e]); e++ {
			starts[e-a] = len(text)
			text += ws[e].Text
			var spans [][]int
			if len(rs.allow.res) > 0 || len(r.allow.res) > 0 {
				spans = append(rs.allow.spans(text), r.allow.spans(text)...)
			}
			for _, m := range r.pattern.FindAllStringIndex(text, -1) {
				if m[0] >= starts[1] || m[1] <= starts[e-a] || inside(spans, m[0], m[1]) {
					continue
				}
				if overlaps(have, a, e) || overlaps(out, a, e) {
					continue
				}
				box, conf := lt.wordsBox(a, e)
				out = append(out, hit{
					f: Finding{Rule: r.info.ID, Kind: r.info.Kind, Severity: r.info.Severity, Text: text[m[0]:m[1]],
						Box: box, Confidence: conf, Line: lt.idx},
					block: lt.line.Block, start: lt.wordStart[a] + m[0], end: lt.wordStart[e] + m[1] - starts[e-a], wlo: a, whi: e,
				})
			}
		}
	}
	return out
}

// overlaps reports whether a hit of hs covers any of words lo..hi.
func overlaps(hs []hit, lo, hi int) bool {
	for _, h := range hs {
		if h.wlo <= hi && lo <= h.whi {
			return true
		}
	}
	return false
}

// closeWords reports whether OCR words a and b (b right of a) may be one
// run of glyphs that OCR split: both have boxes, the split is between two
// letters or digits, and the gap between them (or their overlap) is at
// most a quarter of their height, 1 px at least. A space is about a third
// of an em and wider than that, except in the smallest text (2 px at
// 10 px), where OCR reads a split the same: which is why a join is only
// tried for patterns, only as a whole run.
func closeWords(a, b Word) bool {
	if a.Box.Empty() || b.Box.Empty() || a.Text == "" || b.Text == "" {
		return false
	}
	if !prevAlnum(a.Text, len(a.Text)) || !isAlnumAt(b.Text, 0) {
		return false
	}
	gap := b.Box.X - (a.Box.X + a.Box.W)
	return max(gap, -gap) <= max(1, max(a.Box.H, b.Box.H)/4)
}

// combine builds a near rule's findings: for each finding of its first part,
// the nearest finding of every other part within the distance; the combined
// box covers all of them.
func (rs *Ruleset) combine(r *rule, hits [][]hit) []hit {
	var out []hit
	for _, a := range hits[r.near[0]] {
		parts := []hit{a}
		for _, j := range r.near[1:] {
			best, bestGap := -1, 0
			for k, b := range hits[j] {
				if !r.within.holds(a, b) {
					continue
				}
				g := a.f.Box.Gap(b.f.Box)
				if best < 0 || g < bestGap {
					best, bestGap = k, g
				}
			}
			if best < 0 {
				parts = nil
				break
			}
			parts = append(parts, hits[j][best])
		}
		if parts == nil {
			continue
		}
		c := hit{f: Finding{Rule: r.info.ID, Kind: r.info.Kind, Severity: r.info.Severity, Line: a.f.Line, Confidence: 1, Exact: true}, block: a.block}
		texts := make([]string, len(parts))
		lowest := 1.0
		for i, p := range parts {
			texts[i] = p.f.Text
			c.f.Box = c.f.Box.Union(p.f.Box)
			c.f.Line = min(c.f.Line, p.f.Line)
			// Every part must be read with confidence for the whole to
			// count, except an Exact part, which counts whatever its
			// confidence (see Confident): the floor weighs the others.
			lowest = min(lowest, p.f.Confidence)
			if !p.f.Exact {
				c.f.Confidence = min(c.f.Confidence, p.f.Confidence)
				c.f.Exact = false
			}
			if c.f.Value == nil && p.f.Value != nil {
				c.f.Value, c.f.Currency = p.f.Value, p.f.Currency
			}
		}
		if c.f.Exact {
			c.f.Confidence = lowest
		}
		c.f.Text = strings.Join(texts, " … ")
		out = append(out, c)
	}
	return out
}

// holds reports whether two findings are within the rule's distance.
// "line" means the same OCR line or the same row on screen: Tesseract reads
// table columns as separate blocks, so a spreadsheet row's name and amount
// are often on different OCR lines but side by side.
func (w within) holds(a, b hit) bool {
	if a.f.Line == b.f.Line {
		return true
	}
	ab, bb := a.f.Box, b.f.Box
	geometry := !ab.Empty() && !bb.Empty()
	switch w.mode {
	case "block":
		return a.block == b.block
	case "px":
		return geometry && ab.Gap(bb) <= w.px
	default:
		if !geometry {
			return false
		}
		top, bottom := max(ab.Y, bb.Y), min(ab.Y+ab.H, bb.Y+bb.H)
		return bottom-top >= min(ab.H, bb.H)/2 && bottom > top
	}
}
