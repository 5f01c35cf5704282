package rules

import (
	"regexp"
	"strings"
)

// allowList holds exceptions: text inside one of their matches never counts.
// Terms are matched case-insensitively as whole words with any spacing.
type allowList struct {
	res []*regexp.Regexp
}

func (a *allowList) merge(b allowList) { a.res = append(a.res, b.res...) }

func compileAllow(terms, patterns []string, fail func(msg string) *Error) (allowList, ErrorList) {
	var al allowList
	var errs ErrorList
	var alts []string
	for _, t := range terms {
		words := strings.Fields(t)
		if len(words) == 0 {
			errs = append(errs, fail("empty allow term"))
			continue
		}
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		alts = append(alts, `(?:^|\b|\s)`+strings.Join(words, `\s+`)+`(?:\b|\s|$)`)
	}
	if len(alts) > 0 {
		re, err := regexp.Compile(`(?i)` + strings.Join(alts, "|"))
		if err != nil {
			errs = append(errs, fail(err.Error()))
		} else {
			al.res = append(al.res, re)
		}
	}
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			errs = append(errs, fail("re:"+p+": "+err.Error()))
			continue
		}
		if re.MatchString("") {
			errs = append(errs, fail("re:"+p+": matches empty text"))
			continue
		}
		al.res = append(al.res, re)
	}
	return al, errs
}

// spans returns the allowed byte ranges of a line.
func (a *allowList) spans(text string) [][]int {
	var out [][]int
	for _, re := range a.res {
		out = append(out, re.FindAllStringIndex(text, -1)...)
	}
	return out
}

func inside(spans [][]int, start, end int) bool {
	for _, s := range spans {
		if s[0] <= start && end <= s[1] {
			return true
		}
	}
	return false
}
