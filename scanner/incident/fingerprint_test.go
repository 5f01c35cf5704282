package incident

import "testing"

func TestFingerprint(t *testing.T) {
	s1, s2 := []byte("salt-1"), []byte("salt-2")
	a := Fingerprint(s1, "Walmart Inc")
	if a != Fingerprint(s1, "  walmart   INC ") {
		t.Error("case/spacing variants of one text differ")
	}
	if a == Fingerprint(s2, "Walmart Inc") {
		t.Error("salt does not change the fingerprint")
	}
	if a == Fingerprint(s1, "Walmart") {
		t.Error("different texts, same fingerprint")
	}
	if len(a) != 16 {
		t.Errorf("fingerprint %q, want 16 hex digits", a)
	}
}
