package rules

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNearPx(t *testing.T) {
	for _, c := range []struct {
		toml string
		want int
	}{
		{`[[rules]]
id = "a"
terms = ["x"]
`, 0},
		{`[[rules]]
id = "a"
terms = ["x"]
[[rules]]
id = "b"
amount = { min = 1000 }
[[rules]]
id = "c"
near = ["a", "b"]
within = "240px"
[[rules]]
id = "d"
near = ["a", "b"]
within = "line"
`, 240},
	} {
		path := filepath.Join(t.TempDir(), "t.toml")
		if err := os.WriteFile(path, []byte(c.toml), 0o600); err != nil {
			t.Fatal(err)
		}
		rs, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := rs.NearPx(); got != c.want {
			t.Errorf("NearPx = %d, want %d", got, c.want)
		}
	}
}
