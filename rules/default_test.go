package rules

import "testing"

func TestDefaultPackExamples(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules() {
		if len(r.MustMatch) == 0 || len(r.MustNotMatch) == 0 {
			t.Errorf("default rule %s has no must_match or no must_not_match examples", r.ID)
		}
	}
	failures, run := rs.TestExamples()
	if run == 0 {
		t.Fatal("no examples ran")
	}
	for _, f := range failures {
		if f.WantMatch {
			t.Errorf("%s: must match %q, did not", f.Rule, f.Text)
		} else {
			t.Errorf("%s: must not match %q, did", f.Rule, f.Text)
		}
	}
}
