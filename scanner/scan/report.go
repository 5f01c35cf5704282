package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/office"
	"github.com/demoguard/demoguard/scanner/video"
)

// round2 keeps confidences to two decimals in reports: more digits are
// noise and would make the output churn between OCR builds.
func round2(f float64) float64 { return math.Round(f*100) / 100 }

// JSON is the machine-readable report. Field order and names are a contract
// (issue 3): {"findings":[…],"errors":[…],"scanned":N}.
type JSON struct {
	Findings []JSONFinding `json:"findings"`
	Errors   []JSONError   `json:"errors"`
	Scanned  int           `json:"scanned"`
}

// JSONFinding is one finding; page is 0-based, box in pixels of the page
// image (PDF pages as rendered), value the parsed amount or null. Office
// documents add location; their page is the slide index (0-based) for
// presentations, else 0, and box is null except for embedded images.
type JSONFinding struct {
	Source     string           `json:"source"`
	Page       int              `json:"page"`
	Rule       string           `json:"rule"`
	Severity   string           `json:"severity"`
	Text       string           `json:"text"`
	Value      *float64         `json:"value"`
	Box        *rules.Box       `json:"box"`
	Confidence float64          `json:"confidence"`
	Location   *office.Location `json:"location,omitempty"`
	// Recordings only: the exposure's span in seconds (end exclusive).
	Time *float64 `json:"time,omitempty"`
	End  *float64 `json:"end,omitempty"`
}

// JSONError is one source that could not be scanned.
type JSONError struct {
	Source string `json:"source"`
	Error  string `json:"error"`
}

// ToJSON converts a result; empty lists are [] rather than null so that
// consumers can iterate without checks.
func (r *Result) ToJSON() JSON {
	j := JSON{Findings: []JSONFinding{}, Errors: []JSONError{}, Scanned: r.Scanned}
	for _, f := range r.Findings {
		var box *rules.Box
		if f.Location == nil || f.Location.Part == "image" {
			b := f.Box
			box = &b
		}
		jf := JSONFinding{
			Source: f.Source, Page: f.Page, Rule: f.Rule, Severity: f.Severity.String(),
			Text: f.Text, Value: f.Value, Box: box, Confidence: round2(f.Confidence),
			Location: f.Location,
		}
		if f.Video {
			t, e := f.Time, f.End
			jf.Time, jf.End = &t, &e
		}
		j.Findings = append(j.Findings, jf)
	}
	for _, e := range r.Errors {
		j.Errors = append(j.Errors, JSONError{Source: e.Source, Error: e.Err.Error()})
	}
	return j
}

// WriteJSON writes the report as one JSON document, one finding or error
// per line: plain JSON for programs, greppable and diffable for people.
// HTML characters are left as they are (this is not embedded in a page).
func WriteJSON(w io.Writer, r *Result) error {
	j := r.ToJSON()
	ew := &errWriter{w: w}
	list := func(key string, items []any, last bool) {
		ew.printf("%q:[", key)
		for i, it := range items {
			sep := ","
			if i == len(items)-1 {
				sep = "\n"
			}
			b, err := marshal(it)
			if err != nil {
				ew.err = err
				return
			}
			ew.printf("\n%s%s", b, sep)
		}
		ew.printf("],")
		if !last {
			ew.printf("\n")
		}
	}
	fs := make([]any, len(j.Findings))
	for i := range j.Findings {
		fs[i] = j.Findings[i]
	}
	es := make([]any, len(j.Errors))
	for i := range j.Errors {
		es[i] = j.Errors[i]
	}
	ew.printf("{")
	list("findings", fs, false)
	list("errors", es, false)
	ew.printf("%q:%d}\n", "scanned", j.Scanned)
	return ew.err
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// printable quotes a name for the terminal if it contains anything that
// could move the cursor, hide text or start a new line (file names and OCR
// text are input): a name must not forge an "error:" line or send escape
// sequences. Invalid UTF-8 is quoted too, since a stray byte such as 0x9b
// is a control sequence introducer to some terminals. Plain names stay as
// they are, as in git and ls.
func printable(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// WriteText writes findings grouped by source and page, then errors, then a
// summary line. Pages are numbered from 1 here, for people; JSON and SARIF
// keep the 0-based page of the contract. minConf is stated in the summary
// when it dropped findings.
func WriteText(w io.Writer, r *Result, minConf float64) error {
	ew := &errWriter{w: w}
	type key struct {
		src  string
		page int
	}
	// Columns as wide as their longest entry, so a report lines up
	// whatever the rule ids; quoted text is capped so one long match does
	// not push every line off the screen.
	ruleW, textW := 4, 4
	for _, f := range r.Findings {
		ruleW = max(ruleW, len(f.Rule))
		textW = max(textW, min(40, len(strconv.Quote(f.Text))))
	}
	var cur *key
	officeRun := false
	for _, f := range r.Findings {
		if f.Location != nil {
			// Office findings: one line each, where it is in the document.
			if cur != nil {
				ew.printf("\n")
				cur = nil
			}
			ew.printf("%s\n", officeLine(f))
			officeRun = true
			continue
		}
		if officeRun && cur == nil {
			ew.printf("\n")
			officeRun = false
		}
		k := key{f.Source, f.Page}
		if cur == nil || *cur != k {
			if cur != nil {
				ew.printf("\n")
			}
			cur = &k
			head := printable(f.Source)
			if f.Paged {
				head += fmt.Sprintf(" page %d", f.Page+1)
			}
			ew.printf("%s\n", head)
		}
		if f.Video {
			ew.printf("  %s", TimeSpan(f.Time, f.End))
		}
		ew.printf("  %-8s  %-*s  %-*s  at %d,%d size %dx%d  conf %.2f",
			f.Severity, ruleW, f.Rule, textW, strconv.Quote(f.Text), f.Box.X, f.Box.Y, f.Box.W, f.Box.H, round2(f.Confidence))
		if f.Value != nil {
			ew.printf("  value %s", strconv.FormatFloat(*f.Value, 'f', -1, 64))
			if f.Currency != "" {
				ew.printf(" %s", f.Currency)
			}
		}
		ew.printf("\n")
	}
	if len(r.Findings) > 0 {
		ew.printf("\n")
	}
	if len(r.Errors) > 0 {
		for _, e := range r.Errors {
			ew.printf("error: %s: %s\n", printable(e.Source), printable(e.Err.Error()))
		}
		ew.printf("\n")
	}
	ew.printf("%s", Summary(r, minConf))
	ew.printf("\n")
	return ew.err
}

// Summary is the one-line verdict: what was scanned, what was found.
func Summary(r *Result, minConf float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scanned %d %s (%d %s)", r.Scanned, plural(r.Scanned, "source", "sources"), r.Pages, plural(r.Pages, "page", "pages"))
	if len(r.Findings) == 0 {
		b.WriteString(": no findings")
	} else {
		sevCount := map[rules.Severity]int{}
		sources := map[string]bool{}
		for _, f := range r.Findings {
			sevCount[f.Severity]++
			sources[f.Source] = true
		}
		fmt.Fprintf(&b, ": %d %s in %d %s (", len(r.Findings), plural(len(r.Findings), "finding", "findings"),
			len(sources), plural(len(sources), "source", "sources"))
		var parts []string
		for s := rules.Critical; s >= rules.Low; s-- {
			if n := sevCount[s]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, s))
			}
		}
		b.WriteString(strings.Join(parts, ", ") + ")")
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(&b, "; %d %s", len(r.Errors), plural(len(r.Errors), "error", "errors"))
	}
	if r.Dropped > 0 {
		fmt.Fprintf(&b, "; %d low-confidence %s below --min-conf %.2f ignored", r.Dropped, plural(r.Dropped, "match", "matches"), minConf)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}

// SARIF 2.1.0. Only the parts demoguard fills in are modelled.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	ShortDescription     sarifMessage   `json:"shortDescription"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           *int              `json:"ruleIndex,omitempty"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical          `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

// sarifLogicalLocation names a place inside an office document (slide,
// sheet and cell, notes, comment …): SARIF's way to point into a file that
// has no lines.
type sarifLogicalLocation struct {
	Name               string         `json:"name"`
	FullyQualifiedName string         `json:"fullyQualifiedName"`
	Kind               string         `json:"kind"`
	Properties         map[string]any `json:"properties,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI         string        `json:"uri,omitempty"`
	Description *sarifMessage `json:"description,omitempty"`
}

// sarifRegion maps a pixel box onto SARIF's text region: line = pixel row,
// column = pixel column, both 1-based, endColumn exclusive as SARIF defines
// it. SARIF has no notion of image regions; this keeps the box visible to
// every SARIF viewer, and properties.box has it in the JSON contract's terms.
type sarifRegion struct {
	StartLine   int            `json:"startLine"`
	StartColumn int            `json:"startColumn"`
	EndLine     int            `json:"endLine"`
	EndColumn   int            `json:"endColumn"`
	Properties  map[string]any `json:"properties"`
}

// sarifLevel maps severities onto SARIF's three levels.
func sarifLevel(s rules.Severity) string {
	switch s {
	case rules.Critical, rules.High:
		return "error"
	case rules.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the 0–10 score code-scanning services rank by.
func securitySeverity(s rules.Severity) string {
	switch s {
	case rules.Critical:
		return "9.5"
	case rules.High:
		return "8.0"
	case rules.Medium:
		return "5.5"
	}
	return "2.0"
}

// artifactFor makes a SARIF artifact location: a relative URI reference
// with '/' separators (percent-encoded), file:// for absolute paths; stdin
// has no URI, only a description.
func artifactFor(src string) sarifArtifact {
	if src == StdinName {
		return sarifArtifact{Description: &sarifMessage{Text: "standard input"}}
	}
	p := filepath.ToSlash(src)
	if filepath.IsAbs(src) {
		return sarifArtifact{URI: (&url.URL{Scheme: "file", Path: p}).String()}
	}
	// url.URL prefixes "./" when a colon in the first segment would read
	// as a scheme.
	return sarifArtifact{URI: (&url.URL{Path: p}).String()}
}

// WriteSARIF writes a SARIF 2.1.0 log. Messages carry the rule, severity,
// page and box but never the matched text or amount: SARIF files are
// uploaded to and kept by code-scanning services, exactly where the
// confidential text must not go. Use --format json to see the text.
func WriteSARIF(w io.Writer, r *Result, ruleInfos []rules.RuleInfo, toolVersion string) error {
	driver := sarifDriver{Name: "demoguard", Version: toolVersion, Rules: []sarifRule{}}
	index := map[string]int{}
	for _, ri := range ruleInfos {
		if _, dup := index[ri.ID]; dup {
			continue
		}
		index[ri.ID] = len(driver.Rules)
		desc := ri.Description
		if desc == "" {
			desc = ri.ID
		}
		props := map[string]any{
			"severity":          ri.Severity.String(),
			"security-severity": securitySeverity(ri.Severity),
		}
		if ri.File != "" {
			props["ruleFile"] = ri.File
		}
		if ri.Line > 0 {
			props["ruleLine"] = ri.Line
		}
		driver.Rules = append(driver.Rules, sarifRule{
			ID: ri.ID, ShortDescription: sarifMessage{Text: desc},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(ri.Severity)},
			Properties:           props,
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	inv := sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	for _, e := range r.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:     "error",
			Message:   sarifMessage{Text: e.Source + ": " + e.Err.Error()},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: artifactFor(e.Source)}}},
		})
	}
	run.Invocations = []sarifInvocation{inv}
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID:  f.Rule,
			Level:   sarifLevel(f.Severity),
			Message: sarifMessage{Text: sarifText(f)},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: artifactFor(f.Source),
				Region: &sarifRegion{
					StartLine: f.Box.Y + 1, StartColumn: f.Box.X + 1,
					EndLine: f.Box.Y + max(f.Box.H, 1), EndColumn: f.Box.X + max(f.Box.W, 1) + 1,
					Properties: map[string]any{"unit": "pixel", "page": f.Page, "box": f.Box},
				},
			}}},
			PartialFingerprints: map[string]string{"demoguardFinding/v1": fingerprint(f)},
			Properties: map[string]any{
				"page": f.Page, "box": f.Box, "confidence": round2(f.Confidence), "severity": f.Severity.String(),
			},
		}
		if f.Location != nil {
			officeSARIF(&res, f)
		}
		if f.Video {
			res.Properties["time"], res.Properties["end"] = f.Time, f.End
		}
		if i, ok := index[f.Rule]; ok {
			res.RuleIndex = &i
		}
		run.Results = append(run.Results, res)
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// sarifText says what and where, never the matched text; pages are
// numbered from 1 here as in every message (properties.page is 0-based).
func sarifText(f Finding) string {
	where := ""
	if f.Paged {
		where = fmt.Sprintf(" on page %d", f.Page+1)
	}
	if f.Video {
		where = " from " + TimeSpan(f.Time, f.End)
	}
	return fmt.Sprintf("%s finding of rule %s%s at x=%d y=%d (%dx%d px)",
		f.Severity, f.Rule, where, f.Box.X, f.Box.Y, f.Box.W, f.Box.H)
}

// fingerprint identifies a finding across runs by rule, place and page, not
// by its text: a hash of a customer name from a known list is reversible.
func fingerprint(f Finding) string {
	key := fmt.Sprintf("%s\x00%s\x00%d\x00%d,%d,%d,%d", f.Rule, f.Source, f.Page, f.Box.X, f.Box.Y, f.Box.W, f.Box.H)
	if f.Video {
		key += fmt.Sprintf("\x00%.3f", f.Time)
	}
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:8])
}

// TimeSpan prints an exposure's span: 00:12:31.200–00:12:36.800.
func TimeSpan(start, end float64) string {
	return video.Clock(start) + "–" + video.Clock(end)
}
