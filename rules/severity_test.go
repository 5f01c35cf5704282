package rules

import "testing"

func TestSeverityRank(t *testing.T) {
	for _, tt := range []struct {
		name string
		want int
	}{
		{"critical", 4}, {"high", 3}, {"medium", 2}, {"low", 1},
		{"", 0}, {"CRITICAL", 0}, {"severity(9)", 0},
	} {
		if got := SeverityRank(tt.name); got != tt.want {
			t.Errorf("SeverityRank(%q) = %d, want %d", tt.name, got, tt.want)
		}
	}
	if SeverityRank(Critical.String()) <= SeverityRank(High.String()) {
		t.Error("critical does not outrank high")
	}
}
