package rules

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// genNames makes n distinct company-like names, deterministically: customer
// lists of 100,000 names are real and must cost about what ten cost.
func genNames(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	first := []string{"North", "South", "Blue", "Red", "Green", "Silver", "Golden", "Iron", "Star", "Sun", "Moon", "River", "Lake", "Ocean", "Summit", "Peak", "Prime", "Apex", "Nova", "Vertex", "Pioneer", "Atlas", "Orion", "Delta", "Harbor", "Maple", "Cedar", "Pine", "Oak", "Granite"}
	second := []string{"wind", "field", "bridge", "stone", "gate", "point", "ridge", "brook", "wood", "crest", "view", "dale", "haven", "ford", "port", "light", "water", "rock", "vale", "mont"}
	third := []string{"Traders", "Holdings", "Systems", "Logistics", "Partners", "Industries", "Foods", "Energy", "Health", "Capital", "Labs", "Networks", "Motors", "Retail", "Media", "Pharma", "Analytics", "Robotics", "Airlines", "Bank"}
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		name := first[r.IntN(len(first))] + second[r.IntN(len(second))] + " " + third[r.IntN(len(third))]
		if r.IntN(3) == 0 {
			name += fmt.Sprintf(" %c%c", 'A'+r.IntN(26), 'a'+r.IntN(26))
		}
		if r.IntN(4) == 0 {
			name = fmt.Sprintf("%s %d", name, r.IntN(1000))
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

func writeNames(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "customers.txt"), []byte(strings.Join(genNames(n), "\n")), 0o600); err != nil {
		tb.Fatal(err)
	}
	rf := filepath.Join(dir, "rules.toml")
	os.WriteFile(rf, []byte("[[rules]]\nid = \"customers\"\nterms_file = \"customers.txt\"\n"), 0o600)
	return rf
}

// denseScreen is the OCR text of a dense screen: ~400 lines, ~6,000
// characters, with a few customer names in it.
func denseScreen(names []string) []Line {
	r := rand.New(rand.NewPCG(3, 4))
	vocab := strings.Fields("the of and revenue region total quarter growth margin Q3 Q4 EMEA APAC spend forecast pipeline account owner status open closed won lost renewal date amount notes review team cloud storage compute network 12.5% 3,400 $4.99 2026-11-24 ok")
	lines := make([]Line, 400)
	for i := range lines {
		var ws []string
		for len(strings.Join(ws, " ")) < 12 {
			ws = append(ws, vocab[r.IntN(len(vocab))])
		}
		if i%40 == 0 {
			ws = append(ws, names[r.IntN(len(names))])
		}
		lines[i] = words(strings.Join(ws, " "), 10, 14*i, i/20)
	}
	return lines
}

func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		rf := writeNames(b, n)
		b.Run(fmt.Sprintf("names=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var rs *Ruleset
			for b.Loop() {
				var err error
				if rs, err = Load(rf); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heapMB")
			runtime.KeepAlive(rs)
		})
	}
}

func BenchmarkMatchDenseScreen(b *testing.B) {
	names := genNames(100_000)
	lines := denseScreen(names)
	chars := 0
	for _, l := range lines {
		for _, w := range l.Words {
			chars += len(w.Text) + 1
		}
	}
	for _, n := range []int{10, 100_000} {
		rf := writeNames(b, n)
		rs, err := Load(rf)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("names=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			found := 0
			for b.Loop() {
				found = len(rs.Match(lines))
			}
			b.ReportMetric(float64(chars), "chars")
			b.ReportMetric(float64(found), "findings")
		})
	}
	def, _ := Default()
	b.Run("default-pack", func(b *testing.B) {
		for b.Loop() {
			def.Match(lines)
		}
	})
}

// TestGeneratedNamesMatch keeps the benchmark honest: the names planted in
// the dense screen are really found among 100,000.
func TestGeneratedNamesMatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-name index")
	}
	names := genNames(100_000)
	rs, err := Load(writeNames(t, len(names)))
	if err != nil {
		t.Fatal(err)
	}
	lines := denseScreen(names)
	got := rs.Match(lines)
	if len(got) < 10 {
		t.Errorf("found %d customer names in the dense screen, want 10", len(got))
	}
	typo := strings.Replace(names[42], "o", "0", 1)
	if f := rs.Match([]Line{TextLine("renewal for " + typo)}); len(f) != 1 {
		t.Errorf("%q (from %q) not found", typo, names[42])
	}
}
