package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// The loader, the amount parser and the matcher see untrusted input (rule
// files from anyone, OCR text of anything on screen): none may panic.

// FuzzLoad also holds the loader's bounds: the shape check never counts
// less nesting than the decoder builds (so nothing deeper than MaxNesting
// reaches it), every rule has a line, and errors are capped per file.
func FuzzLoad(f *testing.F) {
	f.Add(string(defaultPack))
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "rules", "*", "*.toml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	// Nesting of every kind, near and past the limit.
	for _, n := range []int{3, MaxNesting - 2, MaxNesting + 1, 200} {
		f.Add("x = " + strings.Repeat("{a = ", n) + "1" + strings.Repeat("}", n))
		f.Add("x = " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n))
		f.Add("x = " + strings.Repeat("[{a = ", n/2) + "1" + strings.Repeat("}]", n/2))
		f.Add(strings.Repeat("a.", n) + "a = 1")
		f.Add("[" + strings.Repeat("a.", n) + "a]\nb = 1")
		f.Add(strings.Repeat("[[a]]\n", 3) + "[" + strings.Repeat("a.", n/2) + "a]\nb = [{c = [1]}]")
	}
	f.Add("rules = [\n  { id = \"a\", terms = [\"Alpha\"], amount = { min = 5 } },\n  {\n    id = \"b\",\n    pattern = 'x\\d'\n  },\n]\n")
	f.Add("[[rules]]\nid = \"a\"\ndescription = \"\"\"\n[[rules]]\n\"\"\"\"\"\nterms = ['''x''', \"\"\"y\"\"\"]\n[rules.amount]\nmin = 1\n")
	dir := f.TempDir()
	os.WriteFile(filepath.Join(dir, "names.txt"), []byte("Walmart\nHome Depot\n"), 0o600)
	f.Fuzz(func(t *testing.T, src string) {
		p := filepath.Join(dir, "fuzz.toml")
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		rs, err := Load(p)
		if (rs == nil) == (err == nil) {
			t.Fatalf("Load returned rs=%v err=%v: exactly one must be nil", rs != nil, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), p) && !strings.HasPrefix(err.Error(), DefaultName) {
			t.Fatalf("error does not start with the file name: %v", err)
		}
		if err != nil && strings.Count(err.Error(), "\n") > 2*(MaxErrorsPerFile+1) {
			t.Fatalf("%d error lines for one rule file and one terms file", strings.Count(err.Error(), "\n"))
		}
		var doc map[string]any
		if _, derr := toml.Decode(src, &doc); derr == nil {
			sc := &shapeScanner{b: []byte(src), line: 1, table: keyCtx{rule: -1}, lines: fileLines{top: map[string]int{}}}
			sc.run()
			if d := treeDepth(doc); sc.err == "" && d > sc.maxLevel {
				t.Fatalf("the decoder built %d levels, the shape check counted %d", d, sc.maxLevel)
			}
		}
		if rs != nil {
			for _, r := range rs.Rules() {
				if r.Line <= 0 {
					t.Fatalf("rule %s has no line", r.ID)
				}
			}
			rs.Match([]Line{TextLine(src)})
		}
	})
}

// treeDepth is the nesting of a decoded document as the shape check counts
// it: each key and each array a level.
func treeDepth(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, c := range v {
			d = max(d, 1+treeDepth(c))
		}
	case []map[string]any:
		for _, c := range v {
			d = max(d, treeDepth(c))
		}
		d++
	case []any:
		for _, c := range v {
			d = max(d, treeDepth(c))
		}
		d++
	}
	return d
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"$580.4 million", "US$ 1.2bn", "USD 45,000,000", "$58O.4M", "€1.234.567,89", "1.5 million dollars", "S3", "$", "9" + strings.Repeat("9", 400)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, cur, ok := ParseAmount(s)
		if ok && (v < 0 || cur == "") {
			t.Fatalf("ParseAmount(%q) = %v %q", s, v, cur)
		}
		for _, h := range findAmounts(s) {
			if h.start < 0 || h.end > len(s) || h.start >= h.end {
				t.Fatalf("bad span %+v in %q", h, s)
			}
		}
	})
}

func FuzzMatch(f *testing.F) {
	rs, err := Load(filepath.Join("..", "testdata", "rules", "valid"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Walmart spent $580.4 million", "W almart", "-----BEGIN RSA PRIVATE KEY-----", "ACR acrylic", "\xff\xfe", "Walrnart  Home Depot", "SKU-ACR-7 X1-ACR ACR‐122U-", "Wàlmrt Walmärt-7 telefonía řn"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := []Line{TextLine(s), {Words: []Word{{Text: s, Box: Box{X: 1, Y: 2, W: 3, H: 4}, Conf: 0.5}}}}
		for _, fd := range rs.Match(lines) {
			if !rs.Has(fd.Rule) || fd.Text == "" {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}
