package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The loader, the amount parser and the matcher see untrusted input (rule
// files from anyone, OCR text of anything on screen): none may panic.

func FuzzLoad(f *testing.F) {
	f.Add(string(defaultPack))
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "rules", "*", "*.toml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
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
		if rs != nil {
			rs.Match([]Line{TextLine(src)})
		}
	})
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
	for _, s := range []string{"Walmart spent $580.4 million", "W almart", "-----BEGIN RSA PRIVATE KEY-----", "ACR acrylic", "\xff\xfe", "Walrnart  Home Depot"} {
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
