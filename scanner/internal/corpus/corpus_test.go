package corpus

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/demoguard/demoguard/rules"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus from the generator")

const corpusDir = "../../../testdata/corpus"

var (
	genOnce sync.Once
	gen     []Screen
)

// corpus renders once per test binary: it takes seconds.
func corpus(t *testing.T) []Screen {
	t.Helper()
	genOnce.Do(func() { gen = Generate(DefaultSeed) })
	return gen
}

func manifestJSON(t *testing.T, screens []Screen) []byte {
	t.Helper()
	b, err := json.MarshalIndent(Manifest{Seed: DefaultSeed, Screens: screens}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func customersTxt() []byte {
	var b bytes.Buffer
	b.WriteString("# Invented customer names for the demoguard test corpus (one per line).\n")
	b.WriteString("# Generated from scanner/internal/corpus/customers.go by `go test ./scanner/internal/corpus -update`.\n")
	for _, n := range customerNames {
		b.WriteString(n + "\n")
	}
	return b.Bytes()
}

func TestCorpusGolden(t *testing.T) {
	screens := corpus(t)
	if *update {
		writeCorpus(t, screens)
	}
	for _, f := range []struct {
		name string
		want []byte
	}{
		{"manifest.json", manifestJSON(t, screens)},
		{"customers.txt", customersTxt()},
	} {
		got, err := os.ReadFile(filepath.Join(corpusDir, f.name))
		if err != nil {
			t.Fatalf("%v (run go test ./scanner/internal/corpus -update)", err)
		}
		if !bytes.Equal(got, f.want) {
			t.Errorf("%s differs from the generator; run go test ./scanner/internal/corpus -update", f.name)
		}
	}
	var total int64
	for _, s := range screens {
		t.Run(s.Name, func(t *testing.T) {
			path := filepath.Join(corpusDir, s.File())
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			total += st.Size()
			comparePNG(t, path, s.Image)
		})
	}
	pngs, _ := filepath.Glob(filepath.Join(corpusDir, "*.png"))
	if len(pngs) != len(screens) {
		t.Errorf("%d PNG files in %s, generator makes %d", len(pngs), corpusDir, len(screens))
	}
	if total > 15<<20 {
		t.Errorf("corpus PNGs take %.1f MB, budget is 15 MB", float64(total)/(1<<20))
	}
	t.Logf("%d screens, %.1f MB of PNG", len(screens), float64(total)/(1<<20))
}

func writeCorpus(t *testing.T, screens []Screen) {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(corpusDir, "*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	for _, s := range screens {
		var b bytes.Buffer
		if err := enc.Encode(&b, s.Image); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(corpusDir, s.File()), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string][]byte{"manifest.json": manifestJSON(t, screens), "customers.txt": customersTxt()} {
		if err := os.WriteFile(filepath.Join(corpusDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// comparePNG allows tiny differences: the rasterizer has assembly and pure Go
// paths that may round anti-aliased edges differently on other platforms.
func comparePNG(t *testing.T, path string, want *image.RGBA) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("size %v, generator makes %v", got.Bounds(), want.Bounds())
	}
	bad := 0
	b := want.Bounds()
	if g, ok := got.(*image.RGBA); ok && bytes.Equal(g.Pix, want.Pix) {
		return
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, _ := got.At(x, y).RGBA()
			w := want.RGBAAt(x, y)
			if absDiff(r1>>8, w.R) > 8 || absDiff(g1>>8, w.G) > 8 || absDiff(b1>>8, w.B) > 8 {
				bad++
			}
		}
	}
	if bad > b.Dx()*b.Dy()/2000 {
		t.Errorf("%d pixels differ from the generator; run go test ./scanner/internal/corpus -update", bad)
	}
}

func absDiff(a uint32, b uint8) uint32 {
	if a > uint32(b) {
		return a - uint32(b)
	}
	return uint32(b) - a
}

var kindRules = map[string][]string{
	KindCustomer:       {"customers"},
	KindAmount:         {"large-amount"},
	KindClassification: {"classification-marker"},
	KindCredential:     {"aws-access-key", "private-key", "jwt", "bearer-token", "connection-string", "github-token", "slack-token", "stripe-key"},
	KindEmail:          {"email-address"},
	KindCombo:          {"customer-spend"},
	KindDecoy:          {""},
}

func TestScreenInvariants(t *testing.T) {
	for _, s := range corpus(t) {
		t.Run(s.Name, func(t *testing.T) {
			if len(s.Items) == 0 {
				t.Fatal("no items")
			}
			for i, it := range s.Items {
				checkItem(t, s, it)
				for _, o := range s.Items[i+1:] {
					if overlaps(it.Box, o.Box) {
						t.Errorf("%q %v overlaps %q %v", it.Text, it.Box, o.Text, o.Box)
					}
				}
			}
		})
	}
}

func checkItem(t *testing.T, s Screen, it Item) {
	t.Helper()
	b := it.Box
	if b.Empty() || b.X < 0 || b.Y < 0 || b.X+b.W > s.W || b.Y+b.H > s.H {
		t.Errorf("%q: box %v outside %dx%d", it.Text, b, s.W, s.H)
		return
	}
	if !slices.Contains(kindRules[it.Kind], it.Rule) {
		t.Errorf("%q: kind %q with rule %q", it.Text, it.Kind, it.Rule)
	}
	if it.FontPx < minPx || it.FontPx > maxPx {
		t.Errorf("%q: font %d px", it.Text, it.FontPx)
	}
	inRegion := false
	for _, r := range s.region {
		if r.style == it.Style && contains(r.box, b) {
			inRegion = true
		}
	}
	if !inRegion {
		t.Errorf("%q: not inside any %q panel", it.Text, it.Style)
	}
	bg, fg, ink := inkStats(s.Image, b)
	if ink < 2*len(it.Text) {
		t.Errorf("%q: only %d ink pixels in %v", it.Text, ink, b)
	}
	if cr := contrast(bg, fg); cr < 3 {
		t.Errorf("%q: contrast %.2f between %v and %v", it.Text, cr, bg, fg)
	}
}

func overlaps(a, b rules.Box) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

func contains(outer, in rules.Box) bool {
	return in.X >= outer.X && in.Y >= outer.Y && in.X+in.W <= outer.X+outer.W && in.Y+in.H <= outer.Y+outer.H
}

// inkStats takes the background as the commonest colour on the ring just
// outside the box, the text colour as the pixel inside furthest from it in
// luminance, and counts pixels that differ clearly from the background.
func inkStats(img *image.RGBA, b rules.Box) (bg, fg color.RGBA, ink int) {
	count := map[color.RGBA]int{}
	ib := img.Bounds()
	for x := b.X - 1; x <= b.X+b.W; x++ {
		for _, y := range []int{b.Y - 1, b.Y + b.H} {
			if (image.Point{x, y}).In(ib) {
				count[img.RGBAAt(x, y)]++
			}
		}
	}
	for y := b.Y; y < b.Y+b.H; y++ {
		for _, x := range []int{b.X - 1, b.X + b.W} {
			if (image.Point{x, y}).In(ib) {
				count[img.RGBAAt(x, y)]++
			}
		}
	}
	for c, n := range count {
		if n > count[bg] || n == count[bg] && lum(c) > lum(bg) {
			bg = c
		}
	}
	lb := lum(bg)
	best := -1.0
	for y := b.Y; y < b.Y+b.H; y++ {
		for x := b.X; x < b.X+b.W; x++ {
			c := img.RGBAAt(x, y)
			d := math.Abs(lum(c) - lb)
			if d > best {
				best, fg = d, c
			}
			if d > 0.05 {
				ink++
			}
		}
	}
	return bg, fg, ink
}

// lum is WCAG relative luminance.
func lum(c color.RGBA) float64 {
	lin := func(v uint8) float64 {
		f := float64(v) / 255
		if f <= 0.03928 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

func contrast(a, b color.RGBA) float64 {
	la, lb := lum(a), lum(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func TestCoverage(t *testing.T) {
	screens := corpus(t)
	if n := len(screens); n < 48 || n > 64 {
		t.Errorf("%d screens, want 48–64", n)
	}
	layouts, styles, rulesSeen, kinds := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	sizes := map[string]bool{}
	fonts := map[int]int{}
	for _, s := range screens {
		layouts[s.Style]++
		sizes[fmt.Sprintf("%dx%d@%g", s.W, s.H, s.Scale)] = true
		for _, it := range s.Items {
			styles[it.Style]++
			rulesSeen[it.Rule]++
			kinds[it.Kind]++
			fonts[it.FontPx]++
		}
	}
	for _, c := range []struct {
		what string
		seen map[string]int
		want []string
		min  int
	}{
		{"layout", layouts, []string{"slides-light", "slides-dark", "spreadsheet", "code-editor", "document", "dashboard", "chat", "admin-console"}, 5},
		{"item style", styles, []string{"slide-light", "slide-dark", "notification-light-on-dark", "notification-dark-on-light", "spreadsheet", "code-editor-dark", "document", "dashboard-light", "dashboard-dark", "low-contrast-panel", "chat-bubble", "chat-received"}, 5},
		{"kind", kinds, []string{KindCustomer, KindAmount, KindClassification, KindCredential, KindEmail, KindCombo, KindDecoy}, 10},
		{"rule", rulesSeen, []string{"customers", "customer-spend", "large-amount", "classification-marker", "aws-access-key", "private-key", "jwt", "bearer-token", "connection-string", "github-token", "slack-token", "stripe-key", "email-address"}, 3},
	} {
		for _, w := range c.want {
			if c.seen[w] < c.min {
				t.Errorf("%s %q seen %d times, want at least %d", c.what, w, c.seen[w], c.min)
			}
		}
	}
	for _, sz := range []string{"1366x768@1", "1920x1080@1", "2560x1440@2"} {
		if !sizes[sz] {
			t.Errorf("no %s screen", sz)
		}
	}
	if fonts[10]+fonts[11]+fonts[12] == 0 || fonts[48] == 0 && fonts[46]+fonts[44]+fonts[42] == 0 {
		t.Errorf("font sizes do not span 10–48 px: %v", fonts)
	}
	t.Logf("kinds %v", kinds)
	t.Logf("styles %v", styles)
	t.Logf("fonts %v", fonts)
}

var (
	amountRe    = regexp.MustCompile(`(?i)(US\$|USD|\$)\s?(\d[\d,]*(?:\.\d+)?)\s?(mm|bn|million|billion|k|m|b)?\b`)
	amountWords = regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s?(million|billion)\s+dollars`)
	markerRe    = regexp.MustCompile(`(?i)\b(confidential|internal only|do not distribute|under nda|restricted|privileged &)\b`)
	emailRe     = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	credRe      = regexp.MustCompile(`AKIA[A-Z0-9]{16}|PRIVATE KEY|eyJ[\w-]+\.eyJ|(?i:bearer\s+[\w.-]{16,})|[a-z+]+://[^\s:/]+:[^\s@]+@|ghp_[A-Za-z0-9]{36}|xox[bap]-|sk_live_`)
)

func largeAmount(s string) bool {
	mult := map[string]float64{"": 1, "k": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}
	for _, m := range amountRe.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(strings.ReplaceAll(m[2], ",", ""), 64)
		if v*mult[strings.ToLower(m[3])] >= 1e6 {
			return true
		}
	}
	for _, m := range amountWords.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		if v*mult[strings.ToLower(m[2])] >= 1e6 {
			return true
		}
	}
	return false
}

func customerIn(s string) string {
	ls := strings.ToLower(s)
	for _, n := range customerNames {
		ln := strings.ToLower(n)
		for i := 0; ; {
			j := strings.Index(ls[i:], ln)
			if j < 0 {
				break
			}
			j += i
			end := j + len(ln)
			if (j == 0 || !isWordByte(ls[j-1])) && (end == len(ls) || !isWordByte(ls[end])) {
				return n
			}
			i = j + 1
		}
	}
	return ""
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_'
}

// sensitive is a rough stand-in for the rule pack, good enough to keep
// filler and decoys clean and to sanity-check planted items.
func sensitive(s string) []string {
	var out []string
	if largeAmount(s) {
		out = append(out, KindAmount)
	}
	if markerRe.MatchString(s) {
		out = append(out, KindClassification)
	}
	if emailRe.MatchString(s) {
		out = append(out, KindEmail)
	}
	if credRe.MatchString(s) {
		out = append(out, KindCredential)
	}
	if customerIn(s) != "" {
		out = append(out, KindCustomer)
	}
	return out
}

func TestFillerAndDecoysAreClean(t *testing.T) {
	for _, s := range corpus(t) {
		for _, l := range s.lines {
			if k := sensitive(l.filler); len(k) > 0 {
				t.Errorf("%s: filler %q looks like %v", s.Name, l.filler, k)
			}
		}
		for _, it := range s.Items {
			got := sensitive(it.Text)
			switch it.Kind {
			case KindDecoy:
				if len(got) > 0 {
					t.Errorf("%s: decoy %q looks like %v", s.Name, it.Text, got)
				}
			case KindCombo:
				if !slices.Contains(got, KindCustomer) || !slices.Contains(got, KindAmount) {
					t.Errorf("%s: combo %q looks like %v", s.Name, it.Text, got)
				}
			default:
				if !slices.Contains(got, it.Kind) {
					t.Errorf("%s: %s %q looks like %v", s.Name, it.Kind, it.Text, got)
				}
			}
		}
	}
}

func TestDecoyCompaniesAreFarFromCustomers(t *testing.T) {
	for _, d := range decoyCompanies {
		for _, n := range customerNames {
			if e := editDistance(strings.ToLower(d), strings.ToLower(n)); e <= 2 {
				t.Errorf("decoy %q is %d edits from customer %q", d, e, n)
			}
		}
		if c := customerIn(d); c != "" {
			t.Errorf("decoy %q contains customer %q", d, c)
		}
	}
}

func TestCustomerList(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range customerNames {
		if n != strings.TrimSpace(n) || n == "" || seen[strings.ToLower(n)] {
			t.Errorf("bad or duplicate customer name %q", n)
		}
		if !strings.Contains(n, " ") && len(n) < 7 {
			t.Errorf("customer name %q is short enough to occur in prose", n)
		}
		seen[strings.ToLower(n)] = true
	}
	if len(customerNames) < 280 {
		t.Errorf("%d customer names, want about 300", len(customerNames))
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := corpus(t)
	b := Generate(DefaultSeed)
	for i := range a {
		if !bytes.Equal(a[i].Image.Pix, b[i].Image.Pix) || !slices.Equal(a[i].Items, b[i].Items) {
			t.Fatalf("screen %s differs between two runs", a[i].Name)
		}
	}
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
