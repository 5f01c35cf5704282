package rules

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

type kind int

const (
	kindTerms kind = iota + 1
	kindHashed
	kindPattern
	kindAmount
	kindNear
)

// RuleInfo describes one compiled rule (for SARIF, the UI, listings).
type RuleInfo struct {
	ID           string
	Description  string
	Severity     Severity
	Kind         string // terms | hashed-terms | pattern | amount | near
	File         string // rule file it came from (DefaultName for the embedded pack)
	Line         int
	MustMatch    []string
	MustNotMatch []string
}

type within struct {
	mode string // line | block | px
	px   int
}

type rule struct {
	info    RuleInfo
	kind    kind
	terms   *termIndex
	pattern *regexp.Regexp
	min     float64
	max     float64 // 0: none
	cur     string
	near    []int
	within  within
	allow   allowList
}

// Ruleset is an immutable compiled set of rules; safe for concurrent use.
type Ruleset struct {
	rules   []*rule
	byID    map[string]int
	order   []int // evaluation order: base rules, then near rules after their parts
	allow   allowList
	sources []string
}

// Rules lists the rules in file order.
func (rs *Ruleset) Rules() []RuleInfo {
	out := make([]RuleInfo, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.info
	}
	return out
}

// Len is the number of rules.
func (rs *Ruleset) Len() int { return len(rs.rules) }

// Sources lists every file the ruleset was read from, rule files and terms
// files, so a watcher knows what to watch. The embedded pack is not a file.
func (rs *Ruleset) Sources() []string { return append([]string(nil), rs.sources...) }

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

var withinPx = regexp.MustCompile(`^([0-9]{1,5})px$`)

// compile validates decoded files together (ids are global, near may name a
// rule of another file) and builds the matchers.
// Problems go to sink; the Ruleset is only meaningful when there were none
// (and ctx was not cancelled: then compile returns early).
func compile(ctx context.Context, files []*parsedFile, sink *errorSink) *Ruleset {
	rs := &Ruleset{byID: map[string]int{}}
	before := sink.count()
	type pending struct {
		r    *rule
		raw  *rawRule
		pf   *parsedFile
		idx  int
		line func(key string) int
	}
	var all []pending
	seen := map[string]*Error{}
	for _, pf := range files {
		if pf.name != DefaultName {
			rs.sources = append(rs.sources, pf.name)
		}
		if pf.raw.Allow != nil {
			line := pf.lines.top["allow"]
			al, aerrs := compileAllow(pf.raw.Allow.Terms, pf.raw.Allow.Patterns, func(msg string) *Error {
				return &Error{File: pf.name, Line: line, Field: "allow", Msg: msg}
			})
			sink.add(aerrs...)
			rs.allow.merge(al)
		}
		for i := range pf.raw.Rules {
			if ctx.Err() != nil {
				return nil
			}
			raw := &pf.raw.Rules[i]
			pf, i := pf, i
			line := func(key string) int { return pf.lines.rule(i, key) }
			fail := func(field, format string, a ...any) {
				sink.add(&Error{File: pf.name, Line: line(field), Rule: raw.ID, Field: field, Msg: fmt.Sprintf(format, a...)})
			}
			r := &rule{info: RuleInfo{ID: raw.ID, Description: raw.Description, File: pf.name, Line: line(""),
				MustMatch: raw.MustMatch, MustNotMatch: raw.MustNotMatch}}
			switch {
			case raw.bad["id"]:
			case raw.ID == "":
				fail("id", "missing id (every rule needs a unique id)")
			case !idPattern.MatchString(raw.ID):
				fail("id", "%q: ids are lowercase letters, digits and single dashes", raw.ID)
			case seen[raw.ID] != nil:
				prev := seen[raw.ID]
				fail("id", "duplicate id (first defined at %s:%d)", prev.File, prev.Line)
			default:
				seen[raw.ID] = &Error{File: pf.name, Line: line("id")}
			}
			r.info.Severity = Medium
			if raw.Severity != "" && !raw.bad["severity"] {
				s, ok := ParseSeverity(raw.Severity)
				if !ok {
					fail("severity", "%q is not one of low, medium, high, critical", raw.Severity)
				}
				r.info.Severity = s
			}
			kinds := []string{}
			if raw.Terms != nil || raw.TermsFile != "" {
				kinds = append(kinds, "terms")
			}
			if raw.TermsSHA256 != nil {
				kinds = append(kinds, "terms_sha256")
			}
			if raw.Pattern != "" {
				kinds = append(kinds, "pattern")
			}
			if raw.Amount != nil {
				kinds = append(kinds, "amount")
			}
			if raw.Near != nil {
				kinds = append(kinds, "near")
			}
			badMatcher := raw.bad["terms"] || raw.bad["terms_file"] || raw.bad["terms_sha256"] || raw.bad["pattern"] || raw.bad["amount"] || raw.bad["near"]
			switch len(kinds) {
			case 0:
				if badMatcher {
					break // its wrong type was reported
				}
				fail("", "no matcher: give one of terms/terms_file, terms_sha256, pattern, amount or near")
			case 1:
			default:
				fail(kinds[1], "a rule has exactly one kind of matcher, this one has %s", strings.Join(kinds, " and "))
			}
			if len(kinds) == 1 {
				compileMatcher(ctx, rs, r, raw, pf, kinds[0], fail, sink)
			}
			if raw.Within != "" && raw.Near == nil {
				fail("within", "within applies to near rules only")
			}
			if raw.Salt != "" && raw.TermsSHA256 == nil {
				fail("salt", "salt applies to terms_sha256 only")
			}
			if (raw.CaseSensitive != nil || raw.Fuzzy != nil) && (len(kinds) != 1 || kinds[0] != "terms") {
				field := "fuzzy"
				if raw.CaseSensitive != nil {
					field = "case_sensitive"
				}
				fail(field, "%s applies to terms and terms_file only", field)
			}
			al, aerrs := compileAllow(termsOnly(raw.Allow), patternsOnly(raw.Allow), func(msg string) *Error {
				return &Error{File: pf.name, Line: line("allow"), Rule: raw.ID, Field: "allow", Msg: msg}
			})
			sink.add(aerrs...)
			r.allow = al
			for _, ex := range append(append([]string{}, raw.MustMatch...), raw.MustNotMatch...) {
				if strings.TrimSpace(ex) == "" {
					fail("must_match", "empty example")
				}
			}
			all = append(all, pending{r: r, raw: raw, pf: pf, idx: i, line: line})
		}
	}
	for i, p := range all {
		rs.rules = append(rs.rules, p.r)
		if _, dup := rs.byID[p.r.info.ID]; !dup {
			rs.byID[p.r.info.ID] = i
		}
	}
	// near references, resolved once every file's ids are known.
	for _, p := range all {
		if p.raw.Near == nil {
			continue
		}
		fail := func(format string, a ...any) {
			sink.add(&Error{File: p.pf.name, Line: p.line("near"), Rule: p.raw.ID, Field: "near", Msg: fmt.Sprintf(format, a...)})
		}
		if len(p.raw.Near) < 2 {
			fail("name at least two rules")
		}
		dup := map[string]bool{}
		for _, name := range p.raw.Near {
			j, ok := rs.byID[name]
			switch {
			case !ok:
				fail("unknown rule %q%s", name, didYouMean(name, ids(rs)))
			case name == p.raw.ID:
				fail("a rule cannot be near itself")
			case dup[name]:
				fail("%q named twice", name)
			default:
				p.r.near = append(p.r.near, j)
			}
			dup[name] = true
		}
	}
	if sink.count() == before {
		if cyc := findCycle(rs); cyc != nil {
			r := rs.rules[cyc[0]]
			names := make([]string, len(cyc))
			for i, j := range cyc {
				names[i] = rs.rules[j].info.ID
			}
			sink.add(&Error{File: r.info.File, Line: r.info.Line, Rule: r.info.ID, Field: "near",
				Msg: "near rules form a cycle: " + strings.Join(names, " → ")})
		}
	}
	if sink.count() != before {
		return nil
	}
	rs.order = topoOrder(rs)
	return rs
}

func ids(rs *Ruleset) []string {
	out := make([]string, 0, len(rs.byID))
	for id := range rs.byID {
		out = append(out, id)
	}
	return out
}

func compileMatcher(ctx context.Context, rs *Ruleset, r *rule, raw *rawRule, pf *parsedFile, k string, fail func(field, format string, a ...any), sink *errorSink) {
	switch k {
	case "terms":
		r.kind, r.info.Kind = kindTerms, "terms"
		r.terms = newTermIndex()
		fuzzy := raw.Fuzzy == nil || *raw.Fuzzy
		explicitCase := raw.CaseSensitive != nil && *raw.CaseSensitive
		n := 0
		add := func(t string) bool {
			if !hasTokenRune(t) {
				return false
			}
			cs := explicitCase || (raw.CaseSensitive == nil && isShortCaps(t))
			r.terms.add(t, cs, fuzzy && !cs)
			n++
			return true
		}
		for _, t := range raw.Terms {
			if !add(t) {
				fail("terms", "term %q has no letters or digits", t)
			}
		}
		if raw.TermsFile != "" {
			path := raw.TermsFile
			if !filepath.IsAbs(path) && pf.name != DefaultName {
				path = filepath.Join(pf.dir, path)
			}
			rs.sources = append(rs.sources, path)
			bad := 0
			read, err := readTerms(ctx, path, termsFileLimit, func(size int64) {
				// Customer names average well over 16 bytes a line.
				r.terms.reserve(int(size / 16))
			}, func(t string, line int) {
				if !add(t) {
					bad++
					sink.add(&Error{File: path, Line: line, Rule: raw.ID, Msg: fmt.Sprintf("term %q has no letters or digits", t)})
				}
			})
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				fail("terms_file", "%s: %s", raw.TermsFile, errMsg(err))
			case read == 0 && bad == 0:
				fail("terms_file", "%s holds no terms", raw.TermsFile)
			}
		}
		if n == 0 && raw.TermsFile == "" && len(raw.Terms) == 0 {
			fail("terms", "empty term list")
		}
		r.terms.build(ctx)
	case "terms_sha256":
		r.kind, r.info.Kind = kindHashed, "hashed-terms"
		r.terms = newTermIndex()
		if raw.Salt == "" {
			fail("salt", "terms_sha256 needs the salt it was made with")
		}
		if len(raw.TermsSHA256) == 0 {
			fail("terms_sha256", "empty hash list")
		}
		for i, h := range raw.TermsSHA256 {
			if err := r.terms.addHashed(raw.Salt, []string{strings.ToLower(strings.TrimSpace(h))}); err != nil {
				fail("terms_sha256", "entry %d: %v", i+1, err)
				break
			}
		}
	case "pattern":
		r.kind, r.info.Kind = kindPattern, "pattern"
		re, err := regexp.Compile(raw.Pattern)
		if err != nil {
			fail("pattern", "%v", err)
			return
		}
		if re.MatchString("") {
			fail("pattern", "%q matches empty text, so it would match everywhere", raw.Pattern)
			return
		}
		r.pattern = re
	case "amount":
		r.kind, r.info.Kind = kindAmount, "amount"
		a := raw.Amount
		if a.Min != nil {
			r.min = *a.Min
		}
		if r.min < 0 {
			fail("amount.min", "must not be negative")
		}
		if a.Max != nil {
			r.max = *a.Max
			if r.max <= r.min {
				fail("amount.max", "%g must be above min (%g)", r.max, r.min)
			}
		}
		r.cur = "USD"
		if a.Currency != "" {
			r.cur = strings.ToUpper(a.Currency)
			if !currencies[r.cur] {
				fail("amount.currency", "%q not supported (USD, EUR, GBP)", a.Currency)
			}
		}
	case "near":
		r.kind, r.info.Kind = kindNear, "near"
		w := raw.Within
		switch {
		case w == "" || w == "line":
			r.within = within{mode: "line"}
		case w == "block":
			r.within = within{mode: "block"}
		case withinPx.MatchString(w):
			n, _ := strconv.Atoi(withinPx.FindStringSubmatch(w)[1])
			r.within = within{mode: "px", px: n}
		default:
			fail("within", "%q: use \"line\", \"block\" or a distance like \"200px\"", w)
		}
	}
}

func termsOnly(entries []string) []string {
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e, "re:") {
			out = append(out, e)
		}
	}
	return out
}

func patternsOnly(entries []string) []string {
	var out []string
	for _, e := range entries {
		if p, ok := strings.CutPrefix(e, "re:"); ok {
			out = append(out, p)
		}
	}
	return out
}

// findCycle returns the rules of a near cycle, or nil.
func findCycle(rs *Ruleset) []int {
	state := make([]int, len(rs.rules)) // 0 new, 1 on stack, 2 done
	var stack []int
	var cyc []int
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = 1
		stack = append(stack, i)
		for _, j := range rs.rules[i].near {
			if state[j] == 1 {
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k] == j {
						cyc = append(append([]int{}, stack[k:]...), j)
						return true
					}
				}
			}
			if state[j] == 0 && visit(j) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
		return false
	}
	for i := range rs.rules {
		if state[i] == 0 && visit(i) {
			return cyc
		}
	}
	return nil
}

// topoOrder lists rules so that every near rule comes after its parts.
func topoOrder(rs *Ruleset) []int {
	done := make([]bool, len(rs.rules))
	var order []int
	var visit func(i int)
	visit = func(i int) {
		if done[i] {
			return
		}
		done[i] = true
		for _, j := range rs.rules[i].near {
			visit(j)
		}
		order = append(order, i)
	}
	for i := range rs.rules {
		visit(i)
	}
	return order
}
