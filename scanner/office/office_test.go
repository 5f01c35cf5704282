package office

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf16"
)

// collect is a Handler that keeps everything.
type collect struct {
	items    []Item
	images   []Item
	problems []error
}

func (c *collect) Text(items []Item) error { c.items = append(c.items, items...); return nil }
func (c *collect) Image(it Item) error     { c.images = append(c.images, it); return nil }
func (c *collect) Problem(err error)       { c.problems = append(c.problems, err) }

func (c *collect) find(text string) *Item {
	for i := range c.items {
		if strings.Contains(c.items[i].Text, text) {
			return &c.items[i]
		}
	}
	return nil
}

func walkBytes(t *testing.T, data []byte, lim Limits) (*collect, error) {
	t.Helper()
	c := &collect{}
	err := Walk(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Limits: lim}, c)
	return c, err
}

// part is one zip entry of a package made in a test.
type part struct {
	name string
	data []byte
	zip.FileHeader
}

func mkzip(t testing.TB, parts ...part) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		h := p.FileHeader
		h.Name = p.name
		if h.Method == 0 {
			h.Method = zip.Deflate
		}
		w, err := zw.CreateHeader(&h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	ctTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Default Extension="docx" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document"/>` +
		`<Default Extension="png" ContentType="image/png"/>` +
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`
	rootRels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`
)

// docx makes a minimal Word package whose body is body (inside w:body),
// embedding inner as word/embeddings/inner.docx when it is not nil.
func docx(t testing.TB, body string, inner []byte, extra ...part) []byte {
	t.Helper()
	parts := []part{
		{name: "[Content_Types].xml", data: []byte(ctTypes)},
		{name: "_rels/.rels", data: []byte(rootRels)},
		{name: "word/document.xml", data: []byte(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body + `</w:body></w:document>`)},
	}
	if inner != nil {
		parts = append(parts,
			part{name: "word/_rels/document.xml.rels", data: []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
				`<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/package" Target="embeddings/inner.docx"/></Relationships>`)},
			part{name: "word/embeddings/inner.docx", data: inner})
	}
	return mkzip(t, append(parts, extra...)...)
}

func wpara(s string) string { return `<w:p><w:r><w:t>` + s + `</w:t></w:r></w:p>` }

func TestRunsJoinedAndTrackedChanges(t *testing.T) {
	body := `<w:p><w:r><w:t>Wal</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>mart</w:t></w:r>` +
		`<w:del w:id="1"><w:r><w:delText>Contoso</w:delText></w:r></w:del>` +
		`<w:ins w:id="2"><w:r><w:t> renewal</w:t></w:r></w:ins></w:p>` +
		`<w:p><mc:AlternateContent xmlns:mc="x"><mc:Choice><w:txbxContent>` + wpara("Boxed") + `</w:txbxContent></mc:Choice><mc:Fallback>` + wpara("Boxed") + `</mc:Fallback></mc:AlternateContent></w:p>`
	c, err := walkBytes(t, docx(t, body, nil), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if it := c.find("Walmart"); it == nil || it.Text != "Walmart renewal" || it.Loc.Part != "body" {
		t.Errorf("body item %+v, want \"Walmart renewal\" in body", it)
	}
	if it := c.find("Contoso"); it == nil || it.Loc.Part != "deleted" {
		t.Errorf("deleted item %+v, want part deleted", it)
	}
	n := 0
	for _, it := range c.items {
		if it.Text == "Boxed" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("text box read %d times, want once (mc:Fallback repeats it)", n)
	}
}

func TestFormatCell(t *testing.T) {
	tests := []struct{ v, code, want string }{
		{"580400000", `"$"#,##0`, "$580,400,000"},
		{"580400000", "General", "580400000"},
		{"580400000", "", "580400000"},
		{"580400000", `[$€-407]#,##0.00`, "€580,400,000.00"},
		{"580400000", `#,##0,,"M"`, "580M"},
		{"580400000", `$#,##0_);($#,##0)`, "$580,400,000"},
		{"-580400000", `$#,##0_);($#,##0)`, "($580,400,000)"},
		{"0.25", "0%", "25%"},
		{"1234.5", "#,##0.00", "1,234.50"},
		{"45000", "yyyy-mm-dd", "2023-03-15"},
		{"45000", "mm-dd-yy", "2023-03-15"},
		{"12345", "0.00E+00", "1.23E+04"},
		{"abc", "0.00", "abc"},
	}
	for _, tt := range tests {
		if got := formatCell(tt.v, tt.code); got != tt.want {
			t.Errorf("formatCell(%q, %q) = %q, want %q", tt.v, tt.code, got, tt.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	deck, err := os.ReadFile(filepath.Join("..", "..", "testdata", "office", "deck.pptx"))
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat(wpara("Walmart"), 300_000) // 12 MiB of paragraphs, compresses ~1000:1
	var noisy bytes.Buffer
	for i := range 300_000 {
		fmt.Fprintf(&noisy, "w%d ", i*7919%1000003)
	}
	nest := func(depth int) []byte {
		inner := docx(t, wpara("deepest"), nil)
		for range depth {
			inner = docx(t, wpara("level"), inner)
		}
		return inner
	}
	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		want    error  // from Walk
		msg     string // in the error or the problem
		problem bool   // reported as a problem, the rest still read
	}{
		{name: "zip bomb ratio", data: docx(t, big, nil), want: ErrLimit, msg: "compression ratio"},
		{name: "part bound", data: docx(t, wpara(noisy.String()), nil), lim: Limits{MaxPartBytes: 1 << 20}, want: ErrLimit, msg: "more than 1048576 bytes"},
		{name: "total bound", data: docx(t, wpara(noisy.String()), nil), lim: Limits{MaxTotalBytes: 1 << 20}, want: ErrLimit, msg: "in all"},
		{name: "deep XML", data: docx(t, strings.Repeat("<w:p>", 5000)+strings.Repeat("</w:p>", 5000), nil), want: ErrLimit, msg: "nested deeper"},
		{name: "truncated", data: deck[:len(deck)/2], want: ErrTruncated},
		{name: "not office zip", data: mkzip(t, part{name: "a.txt", data: []byte("hi")}), want: ErrNotOffice},
		{name: "bad XML", data: docx(t, "<w:p><w:t>x</w:p>", nil), msg: "bad XML", problem: true},
		{name: "embedded past depth", data: nest(4), msg: "nested too deep", problem: true},
		{name: "encrypted", data: cfb(t, "EncryptionInfo", "EncryptedPackage"), want: ErrEncrypted},
		{name: "other OLE file", data: cfb(t, "__substg1.0_0037001F"), want: ErrNotOffice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := walkBytes(t, tt.data, tt.lim)
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && err != nil {
				t.Fatalf("err = %v, want the document read", err)
			}
			text := fmt.Sprint(err)
			if tt.problem {
				if len(c.problems) != 1 {
					t.Fatalf("problems = %v, want one", c.problems)
				}
				text = c.problems[0].Error()
				if strings.Contains(text, "\n") {
					t.Errorf("problem is more than one line: %q", text)
				}
			}
			if !strings.Contains(text, tt.msg) {
				t.Errorf("error %q does not say %q", text, tt.msg)
			}
		})
	}
}

// TestEmbeddedDepth: documents inside documents are read down to the bound
// and say where they are.
func TestEmbeddedDepth(t *testing.T) {
	inner := docx(t, wpara("Contoso"), nil)
	outer := docx(t, wpara("outer"), docx(t, wpara("middle"), inner))
	c, err := walkBytes(t, outer, Limits{})
	if err != nil || len(c.problems) > 0 {
		t.Fatal(err, c.problems)
	}
	it := c.find("Contoso")
	if it == nil || it.Loc.Embedded != "word/embeddings/inner.docx!word/embeddings/inner.docx" {
		t.Fatalf("nested item %+v", it)
	}
}

// TestManyParts: a package of 100,000 parts is refused from its end record,
// before archive/zip allocates an entry for each.
func TestManyParts(t *testing.T) {
	parts := make([]part, 100_000)
	for i := range parts {
		parts[i] = part{name: fmt.Sprintf("p%d", i), FileHeader: zip.FileHeader{Method: zip.Store}}
	}
	data := mkzip(t, parts...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := walkBytes(t, data, Limits{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "100000 parts") {
		t.Fatalf("err = %v, want the part count refused", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB refusing a %d KiB package of 100,000 parts", alloc>>10, len(data)>>10)
	if alloc > 1<<20 {
		t.Errorf("allocated %d bytes to refuse it, want under 1 MiB", alloc)
	}
}

// TestBombMemory measures what reading a zip bomb allocates: the ratio
// bound stops it after a few MiB of output whatever it claims.
func TestBombMemory(t *testing.T) {
	// 256 MiB of text in one paragraph, ~250 KiB zipped: ratio ~1000:1.
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range []part{{name: "[Content_Types].xml", data: []byte(ctTypes)}, {name: "_rels/.rels", data: []byte(rootRels)}} {
		w, _ := zw.Create(p.name)
		w.Write(p.data)
	}
	w, _ := zw.Create("word/document.xml")
	w.Write([]byte(`<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>`))
	for range 256 {
		w.Write(chunk)
	}
	w.Write([]byte(`</w:t></w:r></w:p></w:body></w:document>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	bomb := buf.Bytes()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := walkBytes(t, bomb, Limits{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("zip bomb (%d KiB zipped, 256 MiB inside): %d KiB allocated before it was refused", len(bomb)>>10, alloc>>10)
	if alloc > 64<<20 {
		t.Errorf("allocated %d MiB, want under 64", alloc>>20)
	}
}

// cfb makes an OLE compound file holding the named streams: a header and
// one directory sector. Enough for the directory scan, which is all an
// encrypted OOXML file needs to be recognised.
func cfb(t *testing.T, streams ...string) []byte {
	t.Helper()
	buf := make([]byte, 512+512)
	copy(buf, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
	entry := func(i int, name string, typ byte) {
		e := buf[512+128*i:]
		u := utf16.Encode([]rune(name))
		for k, c := range u {
			binary.LittleEndian.PutUint16(e[2*k:], c)
		}
		binary.LittleEndian.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66] = typ
	}
	entry(0, "Root Entry", 5)
	for i, s := range streams {
		entry(i+1, s, 2)
	}
	return buf
}

// TestPivotCache: a pivot table's cache keeps the source rows; one record
// is one item, so a name and an amount in it are on one line.
func TestPivotCache(t *testing.T) {
	types := `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/pivotCache/pivotCacheRecords1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheRecords+xml"/></Types>`
	rels := strings.Replace(rootRels, "word/document.xml", "xl/workbook.xml", 1)
	data := mkzip(t,
		part{name: "[Content_Types].xml", data: []byte(types)},
		part{name: "_rels/.rels", data: []byte(rels)},
		part{name: "xl/workbook.xml", data: []byte(`<workbook><sheets/></workbook>`)},
		part{name: "xl/pivotCache/pivotCacheRecords1.xml", data: []byte(`<pivotCacheRecords count="1"><r><s v="Contoso"/><n v="580400000"/></r></pivotCacheRecords>`)},
	)
	c, err := walkBytes(t, data, Limits{})
	if err != nil || len(c.problems) > 0 {
		t.Fatal(err, c.problems)
	}
	if it := c.find("Contoso"); it == nil || it.Text != "Contoso 580400000" || it.Loc.Part != "pivot" {
		t.Errorf("pivot record %+v", it)
	}
}
