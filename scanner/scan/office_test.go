package scan

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/office"
)

const officeFixtures = "../../testdata/office"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(officeFixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func noOCR() fakeRecognizer {
	return fakeRecognizer{recognize: func(context.Context, image.Image) ([]rules.Line, error) { return nil, nil }}
}

// TestOfficeByContent: files are recognised by what they are, not by their
// names: a .docx that is a PNG is scanned as a PNG, a .png that is a deck
// as a deck, and a directory of office files is scanned, not skipped.
func TestOfficeByContent(t *testing.T) {
	dir := t.TempDir()
	pngAsDocx := write(t, filepath.Join(dir, "in", "report.docx"), encode(t, "png", solid(321, 40, color.White)))
	write(t, filepath.Join(dir, "in", "deck.pptx"), readFixture(t, "deck.pptx"))
	write(t, filepath.Join(dir, "in", "model.ods"), readFixture(t, "model.ods"))
	write(t, filepath.Join(dir, "in", "notes.txt"), []byte("hello"))
	deckAsPNG := write(t, filepath.Join(dir, "deck.png"), readFixture(t, "deck.pptx"))
	var notes []string
	s := newTestScanner(t, Options{
		Recognizer: sizeOCR(map[int]rules.Word{321: {Text: "Walmart", Box: rules.Box{X: 1, Y: 2, W: 50, H: 10}, Conf: 0.9}}),
		Matcher:    wordMatcher("Walmart", "Fabrikam"),
		Note:       func(m string) { notes = append(notes, m) },
	})
	res, err := s.Run(context.Background(), []string{filepath.Join(dir, "in"), deckAsPNG})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 || res.Scanned != 4 {
		t.Fatalf("scanned %d, errors %v; want 4 sources scanned", res.Scanned, res.Errors)
	}
	var sawPNG, sawHidden, sawODS int
	for _, f := range res.Findings {
		switch {
		case f.Source == pngAsDocx && f.Location == nil && f.Box.X == 1:
			sawPNG++
		case f.Location != nil && f.Text == "Fabrikam" && f.Location.Hidden && f.Location.Slide == 2:
			sawHidden++ // the deck, by directory and under a .png name
		case f.Location != nil && f.Text == "Fabrikam" && f.Location.Sheet == "Ops":
			sawODS++
		}
	}
	if sawPNG != 1 || sawHidden != 2 || sawODS != 1 {
		t.Errorf("png-as-docx %d, hidden slide %d (want 2), ods %d; findings %+v", sawPNG, sawHidden, sawODS, res.Findings)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "skipping "+filepath.Join(dir, "in", "notes.txt")+": not an image, PDF, office document or recording") {
		t.Errorf("notes %q", notes)
	}
}

// TestOfficeBadFiles: each broken office file is one error line naming it;
// the good one next to them is still scanned.
func TestOfficeBadFiles(t *testing.T) {
	dir := t.TempDir()
	deck := readFixture(t, "deck.pptx")
	truncated := write(t, filepath.Join(dir, "cut.pptx"), deck[:len(deck)/3])
	plainZip := write(t, filepath.Join(dir, "archive.docx"), mkZip(t, "readme.txt", "hello"))
	good := write(t, filepath.Join(dir, "plan.docx"), readFixture(t, "plan.docx"))
	s := newTestScanner(t, Options{Recognizer: noOCR(), Matcher: wordMatcher("Kestrel")})
	res, err := s.Run(context.Background(), []string{truncated, plainZip, good})
	if err != nil {
		t.Fatal(err)
	}
	if got := errorSources(res); len(got) != 2 || got[0] != truncated || got[1] != plainZip {
		t.Fatalf("errors %v, want one for %s and one for %s", res.Errors, truncated, plainZip)
	}
	for _, e := range res.Errors {
		if strings.Contains(e.Error(), "\n") {
			t.Errorf("error is more than a line: %q", e.Error())
		}
	}
	if !strings.Contains(res.Errors[0].Error(), "truncated") || !strings.Contains(res.Errors[1].Error(), "not an office document") {
		t.Errorf("errors %v", res.Errors)
	}
	if res.Scanned != 1 || len(res.Findings) != 1 || res.Findings[0].Source != good {
		t.Errorf("scanned %d, findings %+v", res.Scanned, res.Findings)
	}
}

func mkZip(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(content))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOfficeReports: the JSON contract gains "location" and a null box for
// text; text output says where in the document and masks the text; SARIF
// points there with a logical location and no pixel region.
func TestOfficeReports(t *testing.T) {
	dir := t.TempDir()
	deck := write(t, filepath.Join(dir, "deck.pptx"), readFixture(t, "deck.pptx"))
	var notes []string
	s := newTestScanner(t, Options{Recognizer: noOCR(), Matcher: wordMatcher("Contoso"), RedactDir: t.TempDir(),
		Note: func(m string) { notes = append(notes, m) }})
	res, err := s.Run(context.Background(), []string{deck})
	if err != nil || len(res.Findings) != 1 {
		t.Fatalf("err %v, findings %+v", err, res.Findings)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []map[string]json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	f := doc.Findings[0]
	if string(f["box"]) != "null" || string(f["location"]) != `{"part":"notes","slide":1}` || string(f["page"]) != "0" {
		t.Errorf("JSON finding %s", js.String())
	}
	var txt bytes.Buffer
	if err := WriteText(&txt, res, 0.5); err != nil {
		t.Fatal(err)
	}
	if want := deck + `: slide 1 (notes): customers (high) "C*****o"`; !strings.Contains(txt.String(), want) {
		t.Errorf("text report:\n%s\nwant the line %s", txt.String(), want)
	}
	var sarif bytes.Buffer
	if err := WriteSARIF(&sarif, res, nil, "test"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sarif.String(), `"logicalLocations"`) || !strings.Contains(sarif.String(), `"fullyQualifiedName": "slide 1/notes"`) ||
		strings.Contains(sarif.String(), `"region"`) || strings.Contains(sarif.String(), "Contoso") {
		t.Errorf("SARIF:\n%s", sarif.String())
	}
	if !strings.Contains(strings.Join(notes, "\n"), "not redacted") {
		t.Errorf("notes %q: want a word that office files are not redacted", notes)
	}
}

func TestMaskText(t *testing.T) {
	for in, want := range map[string]string{"Walmart": "W*****t", "Northwind Traders": "N*******d T*****s", "$580.4 million": "$****4 m*****n", "ab": "**"} {
		if got := maskText(in); got != want {
			t.Errorf("maskText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOfficeStdin: an office document on standard input is read like a file.
func TestOfficeStdin(t *testing.T) {
	s := newTestScanner(t, Options{Recognizer: noOCR(), Matcher: wordMatcher("Contoso"), Stdin: bytes.NewReader(readFixture(t, "model.xlsx"))})
	res, err := s.Run(context.Background(), []string{"-"})
	if err != nil || len(res.Errors) > 0 || len(res.Findings) != 1 {
		t.Fatalf("err %v, errors %v, findings %+v", err, res.Errors, res.Findings)
	}
	if l := res.Findings[0].Location; res.Findings[0].Source != StdinName || l.Sheet != "Q3" || l.Cell != "C14" || !l.Hidden {
		t.Errorf("finding %+v at %+v", res.Findings[0], l)
	}
}

// TestOfficeParagraphsNotJoined: a document's paragraphs are whole, so a
// term is never read across two of them as across a wrapped line, though
// they sit one under the other in a shape as wrapped lines do on screen.
func TestOfficeParagraphsNotJoined(t *testing.T) {
	dir := t.TempDir()
	rf := filepath.Join(dir, "rules.toml")
	if err := os.WriteFile(rf, []byte("[[rules]]\nid = \"plan\"\nterms = [\"Consumed Revenue Plan\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load(rf)
	if err != nil {
		t.Fatal(err)
	}
	lines := []rules.Line{
		gridLine(office.Item{Text: "the forecast of the Consumed", Row: 1, Block: 1}),
		gridLine(office.Item{Text: "Revenue Plan is up this year", Row: 2, Block: 1}),
	}
	if f := rs.Match(lines); len(f) != 0 {
		t.Errorf("two paragraphs joined: %+v", f)
	}
	lines[0].Whole, lines[1].Whole = false, false
	if f := rs.Match(lines); len(f) != 1 {
		t.Errorf("the same lines from pixels: %d findings, want 1 (the test's premise)", len(f))
	}
}
