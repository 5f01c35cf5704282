package scan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
)

// TestVideoReports: a recording's findings carry their span in every
// format; image findings keep the contract unchanged (no time, no end).
func TestVideoReports(t *testing.T) {
	res := &Result{Scanned: 2, Findings: []Finding{
		{Source: "talk.mp4", Video: true, Time: 751.2, End: 756.8,
			Finding: rules.Finding{Rule: "customers", Severity: rules.High, Text: "Acme Corp", Box: rules.Box{X: 10, Y: 20, W: 30, H: 12}, Confidence: 0.9}},
		{Source: "shot.png", Finding: rules.Finding{Rule: "customers", Severity: rules.High, Text: "Acme Corp", Box: rules.Box{X: 1, Y: 2, W: 3, H: 4}, Confidence: 0.9}},
	}}
	var j bytes.Buffer
	if err := WriteJSON(&j, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(j.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Findings[0]["time"] != 751.2 || doc.Findings[0]["end"] != 756.8 || doc.Findings[0]["page"] != 0.0 {
		t.Errorf("video finding %v: want time 751.2, end 756.8, page 0", doc.Findings[0])
	}
	if _, ok := doc.Findings[1]["time"]; ok {
		t.Errorf("image finding has a time: %v", doc.Findings[1])
	}
	var txt bytes.Buffer
	WriteText(&txt, res, 0.5)
	if !strings.Contains(txt.String(), "00:12:31.200–00:12:36.800  high      customers") {
		t.Errorf("text output:\n%s", txt.String())
	}
	var sarif bytes.Buffer
	if err := WriteSARIF(&sarif, res, nil, "test"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Message    struct{ Text string }
				Properties map[string]any
			}
		}
	}
	json.Unmarshal(sarif.Bytes(), &log)
	r := log.Runs[0].Results[0]
	if r.Properties["time"] != 751.2 || r.Properties["end"] != 756.8 || !strings.Contains(r.Message.Text, "00:12:31.200") {
		t.Errorf("SARIF result %+v", r)
	}
	if strings.Contains(sarif.String(), "Acme") {
		t.Error("SARIF carries the matched text")
	}
}

func TestVideoProgress(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	p := Progress{Pages: 1, Sources: 1, Started: start, VideoStarted: start, Position: 60, Duration: 600}
	want := "scan: 0/1 pages, 0/1 files, video 00:01:00.000/00:10:00.000, 3.0× real time, ETA 3:00"
	if got := FormatProgress(p, start.Add(20*time.Second)); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestVideoEvidenceName(t *testing.T) {
	if got, want := VideoEvidenceName("talks/day 1.mp4", 751.2, "customers"), "talks_day_1.mp4-00h12m31.200s-customers.evidence.png"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
