package ocr

import (
	"testing"

	"github.com/demoguard/demoguard/rules"
)

func TestFixSlashedZero(t *testing.T) {
	tests := []struct{ in, want string }{
		{"$2.@B", "$2.0B"},
		{"1.@bn", "1.0bn"},
		{"8@", "80"},
		{"72,3@@", "72,300"},
		{"$1@,000", "$10,000"},
		{"4ØØ", "400"},
		{"user1@example.com", "user1@example.com"}, // an email stays
		{"a1@b.com", "a1@b.com"},
		{"p4ssw@rd", "p4ssw@rd"}, // not a digit context
		{"@dana", "@dana"},
		{"plain", "plain"},
	}
	for _, tc := range tests {
		if got := fixSlashedZero(tc.in); got != tc.want {
			t.Errorf("fixSlashedZero(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJoinSplitWords(t *testing.T) {
	w := func(text string, x, wd int) rules.Word {
		return rules.Word{Text: text, Box: rules.Box{X: x, Y: 10, W: wd, H: 14}, Conf: 0.9}
	}
	tests := []struct {
		name string
		in   []rules.Word
		want []string
	}{
		{"split before @", []rules.Word{w("priya.shah", 0, 70), w("@brightlane.io", 74, 90)}, []string{"priya.shah@brightlane.io"}},
		{"split after @", []rules.Word{w("deals@", 0, 40), w("halcyon.com", 43, 70)}, []string{"deals@halcyon.com"}},
		{"mention after a real space", []rules.Word{w("thanks", 0, 40), w("@dana", 52, 30)}, []string{"thanks", "@dana"}},
		{"two emails stay apart", []rules.Word{w("a@b.io", 0, 40), w("@c", 42, 20)}, []string{"a@b.io", "@c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := joinSplitWords(tc.in)
			var texts []string
			for _, g := range got {
				texts = append(texts, g.Text)
			}
			if len(texts) != len(tc.want) {
				t.Fatalf("got %q, want %q", texts, tc.want)
			}
			for i := range texts {
				if texts[i] != tc.want[i] {
					t.Fatalf("got %q, want %q", texts, tc.want)
				}
			}
		})
	}
}

func TestFixDollar(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{[]string{"s29.1mm"}, []string{"$29.1mm"}},
		{[]string{"S4,200"}, []string{"$4,200"}},
		{[]string{"uss", "4.7bn"}, []string{"US$", "4.7bn"}},
		{[]string{"USS", "Enterprise"}, []string{"USS", "Enterprise"}},
		{[]string{"s3cret"}, []string{"s3cret"}},
		{[]string{"s"}, []string{"s"}},
		{[]string{"sales", "42"}, []string{"sales", "42"}},
	}
	for _, tc := range tests {
		ws := make([]rules.Word, len(tc.in))
		for i, s := range tc.in {
			ws[i].Text = s
		}
		fixDollar(ws)
		for i := range ws {
			if ws[i].Text != tc.want[i] {
				t.Errorf("fixDollar(%q) = %q at %d, want %q", tc.in, ws[i].Text, i, tc.want[i])
			}
		}
	}
}

func TestFixInnerDash(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ostrava—data.eu", "ostrava-data.eu"},
		{"—----BEGIN", "-----BEGIN"},
		{"2024–2025", "2024-2025"},
		{"—", "—"}, // a dash on its own is punctuation, not a hyphen
		{"–", "–"},
		{"plain-word", "plain-word"},
	}
	for _, tc := range tests {
		if got := fixInnerDash(tc.in); got != tc.want {
			t.Errorf("fixInnerDash(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
