package scan

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/scan/golden")

const goldenDir = "../../testdata/scan/golden"

func ptr(f float64) *float64 { return &f }

// goldenResult covers what the writers must handle: several sources and
// severities, a PDF page, an amount, a finding below the floor (dropped),
// stdin, a path that needs quoting or escaping, errors.
func goldenResult() (*Result, []rules.RuleInfo) {
	res := &Result{
		Findings: []Finding{
			{Source: "slides/03.png", Finding: rules.Finding{Rule: "customers", Severity: rules.High, Text: "Walmart", Box: rules.Box{X: 1400, Y: 820, W: 92, H: 21}, Confidence: 0.934}},
			{Source: "slides/03.png", Finding: rules.Finding{Rule: "large-amount", Severity: rules.High, Text: "$4.2M", Value: ptr(4200000), Currency: "USD", Box: rules.Box{X: 1500, Y: 820, W: 60, H: 21}, Confidence: 0.88}},
			{Source: "deck.pdf", Page: 2, Paged: true, Finding: rules.Finding{Rule: "aws-access-key", Severity: rules.Critical, Text: "AKIAIOSFODNN7EXAMPLE", Box: rules.Box{X: 100, Y: 200, W: 300, H: 18}, Confidence: 0.91}},
			{Source: "my shots/a:b.png", Finding: rules.Finding{Rule: "email-address", Severity: rules.Low, Text: `a<b>"c"@example.com`, Box: rules.Box{X: 5, Y: 6, W: 7, H: 8}, Confidence: 0.5}},
			{Source: StdinName, Finding: rules.Finding{Rule: "classification-marker", Severity: rules.Medium, Text: "TOP SECRET", Box: rules.Box{X: 0, Y: 0, W: 136, H: 19}, Confidence: 1}},
		},
		Errors: []Error{
			{Source: "bad.png", Err: errors.New("truncated png image")},
			{Source: "deck.pdf", Err: errors.New("page 4: pdftoppm: Syntax Error: Couldn't read xref table")},
		},
		Scanned: 4,
		Pages:   7,
		Dropped: 3,
	}
	infos := []rules.RuleInfo{
		{ID: "large-amount", Description: "A money amount of one million or more", Severity: rules.High, File: rules.DefaultName, Line: 6},
		{ID: "customers", Description: "Customer names", Severity: rules.High, File: "testdata/rules.toml", Line: 3},
		{ID: "aws-access-key", Description: "AWS access key id", Severity: rules.Critical, File: rules.DefaultName, Line: 59},
		{ID: "email-address", Description: "", Severity: rules.Low, File: rules.DefaultName, Line: 148},
		{ID: "classification-marker", Description: "Classification markings", Severity: rules.Medium, File: rules.DefaultName, Line: 31},
	}
	return res, infos
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if intended)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	res, infos := goldenResult()
	tests := []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return WriteText(b, res, 0.5) }},
		{"report.json", func(b *bytes.Buffer) error { return WriteJSON(b, res) }},
		{"report.sarif", func(b *bytes.Buffer) error { return WriteSARIF(b, res, infos, "1.2.3") }},
		{"empty.txt", func(b *bytes.Buffer) error { return WriteText(b, &Result{Scanned: 2, Pages: 2}, 0.5) }},
		{"empty.json", func(b *bytes.Buffer) error { return WriteJSON(b, &Result{Scanned: 2, Pages: 2}) }},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(tc.file, ".json") || strings.HasSuffix(tc.file, ".sarif") {
				if !json.Valid(buf.Bytes()) {
					t.Fatalf("not valid JSON:\n%s", buf.Bytes())
				}
			}
			checkGolden(t, tc.file, buf.Bytes())
		})
	}
}

// TestJSONContract pins the keys and their order of the contract,
// independently of the golden file (which -update could silently rewrite).
func TestJSONContract(t *testing.T) {
	res, _ := goldenResult()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`{"findings":[`,
		`{"source":"slides/03.png","page":0,"rule":"customers","severity":"high","text":"Walmart","value":null,"box":{"x":1400,"y":820,"w":92,"h":21},"confidence":0.93}`,
		`"value":4200000,`,
		`"errors":[`,
		`{"source":"bad.png","error":"truncated png image"}`,
		`"scanned":4}`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}
}

// TestSARIFHasNoText: SARIF goes to code-scanning services; the matched
// text and amounts must not.
func TestSARIFHasNoText(t *testing.T) {
	res, infos := goldenResult()
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, res, infos, "x"); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Walmart", "AKIAIOSFODNN7EXAMPLE", "4200000", "4.2M", "TOP SECRET", "example.com"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("SARIF contains %q", secret)
		}
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleIndex int `json:"ruleIndex"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct {
							StartLine, StartColumn, EndLine, EndColumn int
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0].Results[0]
	loc := r.Locations[0].PhysicalLocation
	if log.Version != "2.1.0" || r.RuleIndex != 1 || loc.ArtifactLocation.URI != "slides/03.png" {
		t.Errorf("version %s ruleIndex %d uri %s", log.Version, r.RuleIndex, loc.ArtifactLocation.URI)
	}
	// Box 92x21 at 1400,820 → rows 821..841, columns 1401..1493 (exclusive end).
	if g := loc.Region; g.StartLine != 821 || g.EndLine != 841 || g.StartColumn != 1401 || g.EndColumn != 1493 {
		t.Errorf("region %+v", g)
	}
	if uri := log.Runs[0].Results[3].Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "my%20shots/a:b.png" {
		t.Errorf("uri %q; want my%%20shots/a:b.png", uri)
	}
}
