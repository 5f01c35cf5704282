package rules

// ExampleFailure is a must_match example that no finding of its rule
// covers, or a must_not_match example that one does.
type ExampleFailure struct {
	Rule      string
	File      string
	Line      int
	Text      string
	WantMatch bool
}

// TestExamples runs the must_match / must_not_match examples of the named
// rules (all rules when ids is empty). Each example is one line of text,
// matched by its rule together with the rules it combines.
func (rs *Ruleset) TestExamples(ids ...string) (failures []ExampleFailure, run int) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for _, r := range rs.rules {
		if len(ids) > 0 && !want[r.info.ID] {
			continue
		}
		check := func(text string, wantMatch bool) {
			run++
			got := len(rs.MatchRules([]Line{TextLine(text)}, r.info.ID)) > 0
			if got != wantMatch {
				failures = append(failures, ExampleFailure{Rule: r.info.ID, File: r.info.File, Line: r.info.Line, Text: text, WantMatch: wantMatch})
			}
		}
		for _, ex := range r.info.MustMatch {
			check(ex, true)
		}
		for _, ex := range r.info.MustNotMatch {
			check(ex, false)
		}
	}
	return failures, run
}
