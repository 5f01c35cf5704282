package rules

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// loadOrHang runs Load and fails the test if it has not returned after a
// minute: a liveness check for inputs that used to block forever, not a
// timing assertion (a working Load returns in milliseconds).
func loadOrHang(t *testing.T, paths ...string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		rs, err := Load(paths...)
		if rs != nil {
			err = errors.New("loaded a ruleset")
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("Load(%q) blocked", paths)
		return nil
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNonRegularFilesRefused: a FIFO blocks open() until a writer comes, and
// /dev/zero never ends; neither may hang or grow a load, as a rule file, in
// a rules directory or as a terms file. Each is one located line.
func TestNonRegularFilesRefused(t *testing.T) {
	const rule = "[[rules]]\nid = \"customers\"\nterms_file = \"names.txt\"\n"
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to load
		want  string                                // the error, with dir replaced by "DIR"
	}{
		{"rule file is a FIFO", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "r.toml")
			mkfifo(t, p)
			return p
		}, "DIR/r.toml: not a regular file"},
		{"rule file links to /dev/zero", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "r.toml")
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
			return p
		}, "DIR/r.toml: not a regular file"},
		{"FIFO in a rules directory", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "a.toml"), "[[rules]]\nid = \"a\"\nterms = [\"Alpha\"]\n")
			mkfifo(t, filepath.Join(dir, "b.toml"))
			return dir
		}, "DIR/b.toml: not a regular file"},
		{"/dev/zero link in a rules directory", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "a.toml"), "[[rules]]\nid = \"a\"\nterms = [\"Alpha\"]\n")
			if err := os.Symlink("/dev/zero", filepath.Join(dir, "z.toml")); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "DIR/z.toml: not a regular file"},
		{"terms file is a FIFO", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "r.toml"), rule)
			mkfifo(t, filepath.Join(dir, "names.txt"))
			return filepath.Join(dir, "r.toml")
		}, `DIR/r.toml:3: rule "customers": terms_file: names.txt: not a regular file`},
		{"terms file links to /dev/zero", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "r.toml"), rule)
			if err := os.Symlink("/dev/zero", filepath.Join(dir, "names.txt")); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(dir, "r.toml")
		}, `DIR/r.toml:3: rule "customers": terms_file: names.txt: not a regular file`},
		{"terms file is a directory", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "r.toml"), rule)
			if err := os.Mkdir(filepath.Join(dir, "names.txt"), 0o700); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(dir, "r.toml")
		}, `DIR/r.toml:3: rule "customers": terms_file: names.txt: not a regular file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			err := loadOrHang(t, tt.setup(t, dir))
			var el ErrorList
			if !errors.As(err, &el) {
				t.Fatalf("want an ErrorList, got %v", err)
			}
			if got := strings.ReplaceAll(err.Error(), dir, "DIR"); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
	// ReadTerms (what `rules hash` uses) refuses a FIFO the same way.
	p := filepath.Join(t.TempDir(), "fifo.txt")
	mkfifo(t, p)
	done := make(chan error, 1)
	go func() {
		_, err := ReadTerms(context.Background(), p, func(string, int) {})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadTerms(FIFO) = %v, want ErrNotRegular", err)
		}
	case <-time.After(time.Minute):
		t.Error("ReadTerms(FIFO) blocked")
	}
}

// TestSizeLimits: files over the limits are refused before reading, and a
// file whose size does not say how much it holds (like those in /proc, or
// one growing while read) is still cut at the limit.
func TestSizeLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk space, but the size is over the limit.
	if err := os.Truncate(big, MaxRuleFileBytes+1); err != nil {
		t.Fatal(err)
	}
	if err := loadOrHang(t, big); err == nil || !strings.Contains(err.Error(), "big.toml: larger than 16 MB (the limit for a rule file)") {
		t.Errorf("rule file over the limit: %v", err)
	}
	names := filepath.Join(dir, "names.txt")
	writeFile(t, filepath.Join(dir, "r.toml"), "[[rules]]\nid = \"customers\"\nterms_file = \"names.txt\"\n")
	writeFile(t, names, "")
	if err := os.Truncate(names, MaxTermsFileBytes+1); err != nil {
		t.Fatal(err)
	}
	if err := loadOrHang(t, filepath.Join(dir, "r.toml")); err == nil || !strings.Contains(err.Error(), "names.txt: larger than 64 MB (the limit for a terms file)") {
		t.Errorf("terms file over the limit: %v", err)
	}

	// A file that never ends (one growing while read): reading stops just
	// past the limit.
	small := limit{100, "test file"}
	for _, tt := range []struct {
		name string
		read func(r *countingReader) error
	}{
		{"rule file", func(r *countingReader) error { _, err := readLimited(r, small); return err }},
		{"terms file", func(r *countingReader) error {
			_, err := scanTerms(context.Background(), r, small, func(string, int) {})
			return err
		}},
	} {
		r := &countingReader{}
		if err := tt.read(r); !errors.Is(err, ErrTooLarge) || r.n > small.bytes+1 {
			t.Errorf("%s without end: %v after %d bytes, want ErrTooLarge after at most %d", tt.name, err, r.n, small.bytes+1)
		}
	}

	// /proc/self/status reports size 0 and holds about a kilobyte.
	if _, err := readAll("/proc/self/status", small); !errors.Is(err, ErrTooLarge) {
		t.Errorf("readAll of a file with more than its size: %v, want ErrTooLarge", err)
	}
	if _, err := readTerms(context.Background(), "/proc/self/status", small, nil, func(string, int) {}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("readTerms of a file with more than its size: %v, want ErrTooLarge", err)
	}
	if b, err := readAll("/proc/self/status", limit{1 << 20, "test file"}); err != nil || len(b) < 100 {
		t.Errorf("readAll under the limit: %d bytes, %v", len(b), err)
	}
}

// countingReader is an endless stream of terms, counting what is read.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "ab\n"[(r.n+int64(i))%3]
	}
	r.n += int64(len(p))
	return len(p), nil
}

// nested makes n levels of one kind of nesting, starting on line 3.
func nested(kind string, n int) string {
	head := "# nesting\n\n"
	switch kind {
	case "inline tables":
		return head + "x = " + strings.Repeat("{a = ", n) + "1" + strings.Repeat("}", n) + "\n"
	case "arrays":
		return head + "x = " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "\n"
	case "mixed":
		return head + "x = " + strings.Repeat("[{a = ", n/2) + "1" + strings.Repeat("}]", n/2) + "\n"
	case "dotted key":
		return head + strings.Repeat("a.", n) + "a = 1\n"
	case "table header":
		return head + "[" + strings.Repeat("a.", n) + "a]\n"
	case "unclosed":
		return head + "x = " + strings.Repeat("{a = ", n)
	}
	panic(kind)
}

// TestDeepNestingRefused: deep nesting made the TOML decoder's memory grow
// with the square of the depth (12 KB took 234 MB, 600 KB was killed at 24
// GB). It must be refused before decoding, at its line, with little memory.
// The check is on memory, not time.
func TestDeepNestingRefused(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"inline tables", "arrays", "mixed", "dotted key", "table header", "unclosed"} {
		for _, size := range []int{12 << 10, 48 << 10, 600 << 10} {
			t.Run(fmt.Sprintf("%s/%dKB", kind, size>>10), func(t *testing.T) {
				depth := size / 5 // "{a = " is 5 bytes a level
				p := filepath.Join(dir, "deep.toml")
				writeFile(t, p, nested(kind, depth))
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				err := loadOrHang(t, p)
				runtime.ReadMemStats(&after)
				want := p + ":3: nested deeper than 32 levels"
				if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Count(err.Error(), "\n") != 0 {
					t.Errorf("got %.200v\nwant one line starting %q", err, want)
				}
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
					t.Errorf("refusing %d KB of nesting allocated %d MB, want under 64 MB", size>>10, alloc>>20)
				}
			})
		}
	}
	// The limit itself is allowed: a key and 31 arrays are 32 levels, and
	// decode (to fail only as an unknown key); one more is refused.
	p := filepath.Join(dir, "edge.toml")
	for _, arrays := range []int{MaxNesting - 1, MaxNesting} {
		writeFile(t, p, nested("arrays", arrays)+"[[rules]]\nid = \"a\"\nterms = [\"Alpha\"]\n")
		err := loadOrHang(t, p)
		if arrays < MaxNesting && (err == nil || err.Error() != p+`:3: unknown key "x"`) {
			t.Errorf("%d levels: %v, want only the unknown key", arrays+1, err)
		}
		if arrays == MaxNesting && (err == nil || !strings.Contains(err.Error(), "nested deeper")) {
			t.Errorf("%d levels: %v, want refused", arrays+1, err)
		}
	}
}

// TestElementBudget: bytes alone do not bound the decoder's memory (some
// 50–300 bytes per key or value), so a rule file with more than MaxElements
// is refused before decoding, and the worst file within the limits still
// decodes in bounded memory.
func TestElementBudget(t *testing.T) {
	dir := t.TempDir()
	// Many keys, each a little nested: the costliest shape per byte.
	var b strings.Builder
	for i := 0; b.Len() < 2<<20; i++ {
		fmt.Fprintf(&b, "k%d = {a = {a = {a = 1}}}\n", i)
	}
	p := filepath.Join(dir, "many.toml")
	writeFile(t, p, b.String())
	if err := loadOrHang(t, p); err == nil || !strings.Contains(err.Error(), "more than 1000000 keys and values") {
		t.Errorf("2 MB of nested keys: %.200v", err)
	}

	// Just within the budget, each shape: memory stays bounded.
	shapes := map[string]func(i int) string{
		"nested keys": func(i int) string { return fmt.Sprintf("k%07d = {a = {a = {a = 1}}}\n", i) },
		"deep keys": func(i int) string {
			return fmt.Sprintf("k%07d = %s1%s\n", i, strings.Repeat("{a = ", 30), strings.Repeat("}", 30))
		},
		"empty tables": func(i int) string { return "[[t]]\n" },
		"long deep keys": func(i int) string { // the decoder copies each key's whole path
			k := strings.Repeat("a", 1024)
			return fmt.Sprintf("k%07d = %s1%s\n", i, strings.Repeat("{"+k+" = ", 30), strings.Repeat("}", 30))
		},
	}
	for name, line := range shapes {
		t.Run(name, func(t *testing.T) {
			gen := func(n int) []byte {
				var b strings.Builder
				for i := range n {
					b.WriteString(line(i))
				}
				return []byte(b.String())
			}
			// Every line costs the same: as many as the budget allows.
			lo := MaxElements / shapeCost(t, gen(1))
			if _, _, msg := scanShape(gen(lo + 1)); msg == "" {
				t.Fatalf("%d lines are not over the budget", lo+1)
			}
			data := gen(lo)
			p := filepath.Join(dir, "budget.toml")
			writeFile(t, p, string(data))
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := loadOrHang(t, p)
			runtime.ReadMemStats(&after)
			if err == nil || strings.Contains(err.Error(), "more than") {
				t.Fatalf("%d lines within the budget: %.200v", lo, err)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d lines, %d KB within the budget: allocated %d MB", name, lo, len(data)>>10, alloc>>20)
			if alloc > 512<<20 {
				t.Errorf("a file within the limits allocated %d MB, want under 512 MB", alloc>>20)
			}
		})
	}
}

// shapeCost is what data counts against MaxElements.
func shapeCost(t *testing.T, data []byte) int {
	t.Helper()
	s := &shapeScanner{b: data, line: 1, table: keyCtx{rule: -1}, lines: fileLines{top: map[string]int{}}}
	s.run()
	if s.err != "" {
		t.Fatal(s.err)
	}
	return s.cost
}

// countingCtx reports cancellation from the nth check of Err on, and counts
// the checks made after that.
type countingCtx struct {
	context.Context
	n, calls, after atomic.Int64
}

func (c *countingCtx) Err() error {
	if c.calls.Add(1) >= c.n.Load() {
		c.after.Add(1)
		return context.Canceled
	}
	return nil
}

// TestLoadCancel: a signal must stop a load, including in the middle of a
// long terms file (rules check on a huge list ignored SIGTERM).
func TestLoadCancel(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for _, n := range genNames(100_000) {
		b.WriteString(n + "\n")
	}
	writeFile(t, filepath.Join(dir, "names.txt"), b.String())
	rf := filepath.Join(dir, "r.toml")
	writeFile(t, rf, "[[rules]]\nid = \"customers\"\nterms_file = \"names.txt\"\n")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rs, err := LoadContext(ctx, rf); rs != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: rs=%v err=%v", rs != nil, err)
	}

	// Count the checks a whole load makes, then cancel half way: the load
	// must stop at that check, not carry on to the end.
	live := &countingCtx{Context: context.Background()}
	live.n.Store(1 << 62)
	if _, err := LoadContext(live, rf); err != nil {
		t.Fatal(err)
	}
	total := live.calls.Load()
	if total < 20 {
		t.Fatalf("a 100,000-line terms file was checked for cancellation %d times, want one per %d lines", total, ctxEvery)
	}
	c := &countingCtx{Context: context.Background()}
	c.n.Store(total / 2)
	rs, err := LoadContext(c, rf)
	if rs != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled half way: rs=%v err=%v", rs != nil, err)
	}
	var el ErrorList
	if errors.As(err, &el) {
		t.Errorf("a cancelled load reported problems: %v", err)
	}
	if c.after.Load() > 3 {
		t.Errorf("after cancellation the load went on (%d more checks of %d)", c.after.Load(), total)
	}
}

// uniqueName is the ith of some 8 billion distinct company-like names, in
// scrambled order, so a long list needs no set to stay free of duplicates.
func uniqueName(i int) string {
	first := []string{"North", "South", "Blue", "Red", "Green", "Silver", "Golden", "Iron", "Star", "Sun", "Moon", "River", "Lake", "Ocean", "Summit", "Peak", "Prime", "Apex", "Nova", "Vertex", "Pioneer", "Atlas", "Orion", "Delta", "Harbor", "Maple", "Cedar", "Pine", "Oak", "Granite"}
	second := []string{"wind", "field", "bridge", "stone", "gate", "point", "ridge", "brook", "wood", "crest", "view", "dale", "haven", "ford", "port", "light", "water", "rock", "vale", "mont"}
	third := []string{"Traders", "Holdings", "Systems", "Logistics", "Partners", "Industries", "Foods", "Energy", "Health", "Capital", "Labs", "Networks", "Motors", "Retail", "Media", "Pharma", "Analytics", "Robotics", "Airlines", "Bank"}
	const suffixes, numbers = 677, 1001 // none or "Xy"; none or 0..999
	total := uint64(len(first)*len(second)*len(third)) * suffixes * numbers
	j := uint64(i) * 2654435761 % total // 2654435761 is prime: a bijection
	pick := func(n uint64) uint64 { d := j % n; j /= n; return d }
	name := first[pick(uint64(len(first)))] + second[pick(uint64(len(second)))] + " " + third[pick(uint64(len(third)))]
	if sfx := pick(suffixes); sfx > 0 {
		name += fmt.Sprintf(" %c%c", 'A'+(sfx-1)/26, 'a'+(sfx-1)%26)
	}
	if num := pick(numbers); num > 0 {
		name += fmt.Sprintf(" %d", num-1)
	}
	return name
}

// TestLargeTermsFile: a 50 MB terms file (some two million names) must still
// load; the limit is above it.
func TestLargeTermsFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "names.txt")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	n, size, last := 0, 0, ""
	for size < 50<<20 {
		last = uniqueName(n)
		w.WriteString(last + "\n")
		size += len(last) + 1
		n++
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rf := filepath.Join(dir, "r.toml")
	writeFile(t, rf, "[[rules]]\nid = \"customers\"\nterms_file = \"names.txt\"\n")
	rs, err := Load(rf)
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.Match([]Line{TextLine("renewal for " + last)}); len(got) != 1 {
		t.Errorf("the last of %d names (%q) is not found: %v", n, last, got)
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("%d MB, %d names: heap in use %d MB", size>>20, n, m.HeapInuse>>20)
	// The README says a terms file costs about 15 times its size.
	if m.HeapInuse > 20*uint64(size) {
		t.Errorf("heap in use %d MB for a %d MB terms file, want under 20 times", m.HeapInuse>>20, size>>20)
	}
	runtime.KeepAlive(rs)
}

// TestRuleLines: every rule's line is where it starts, and every key located
// for a message is on its own line, whatever the layout: multi-line arrays
// and strings, inline tables, comments between rules, the default pack.
func TestRuleLines(t *testing.T) {
	files := map[string][]byte{DefaultName: defaultPack}
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "rules", "*", "*.toml"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = b
	}
	checked := 0
	for name, data := range files {
		var doc map[string]any
		if _, err := toml.Decode(string(data), &doc); err != nil {
			continue // a syntax error: nothing to locate
		}
		lines, _, msg := scanShape(data)
		if msg != "" {
			if !strings.Contains(name, "nesting-too-deep") {
				t.Errorf("%s: %s", name, msg)
			}
			continue
		}
		src := strings.Split(string(data), "\n")
		for i, keys := range lines.rules {
			start := src[keys[""]-1]
			if !strings.Contains(start, "[[rules]]") && !strings.Contains(start, "{") {
				t.Errorf("%s: rule %d starts at line %d: %q", name, i, keys[""], start)
			}
			for key, l := range keys {
				if key == "" {
					continue
				}
				last := key[strings.LastIndexByte(key, '.')+1:]
				if !strings.Contains(src[l-1], last) {
					t.Errorf("%s: rule %d key %q located at line %d: %q", name, i, key, l, src[l-1])
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Errorf("checked %d keys", checked)
	}
	// The listing of the default pack: each rule at its [[rules]] line,
	// which is the line before its id.
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Split(string(defaultPack), "\n")
	for _, r := range rs.Rules() {
		if r.Line < 1 || src[r.Line-1] != "[[rules]]" || src[r.Line] != fmt.Sprintf("id = %q", r.ID) {
			t.Errorf("default rule %s listed at line %d", r.ID, r.Line)
		}
	}
}
