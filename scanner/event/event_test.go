package event

import "testing"

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"Walmart":     "W*****t",
		"$2,500,000":  "$********0",
		"TOP SECRET":  "T** *****T",
		"ab":          "**",
		"":            "",
		"  Acme  ":    "A**e",
		"Müller GmbH": "M***** ***H",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
