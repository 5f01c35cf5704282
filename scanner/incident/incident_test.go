package incident

import (
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
)

func finding(rule, text string, x, y int, conf float64) rules.Finding {
	return rules.Finding{Rule: rule, Severity: rules.High, Text: text, Box: rules.Box{X: x, Y: y, W: 80, H: 14}, Confidence: conf}
}

func TestTrackerIncidents(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := New(time.Second, 0.5, []byte("s"))
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	evs := tr.Observe(0, []rules.Finding{finding("c", "Walmart", 100, 100, 0.9), finding("c", "Walmart", 100, 700, 0.9), finding("c", "Acme", 400, 100, 0.2)}, at(0), nil)
	if len(evs) != 2 || evs[0].Event != event.Alert || evs[1].Event != event.Alert || evs[0].Incident == evs[1].Incident {
		t.Fatalf("want two alerts (two places; low confidence dropped): %+v", evs)
	}
	if evs[0].Text != "W*****t" || evs[0].WithText(true).Text != "Walmart" || *evs[0].ExposureMS != 0 {
		t.Fatalf("alert %+v", evs[0])
	}
	// Same place, a few px off (OCR jitter): same incident.
	if evs := tr.Observe(0, []rules.Finding{finding("c", "Walmart", 103, 101, 0.9), finding("c", "Walmart", 100, 700, 0.9)}, at(250), nil); len(evs) != 0 {
		t.Fatalf("continuing incidents raised %+v", evs)
	}
	// Other display: not this display's incidents.
	if evs := tr.Observe(1, nil, at(5000), nil); len(evs) != 0 {
		t.Fatalf("display 1 closed display 0's incidents: %+v", evs)
	}
	// One goes; within grace nothing, then clear; held ones stay.
	held := []image.Rectangle{image.Rect(90, 690, 200, 720)}
	if evs := tr.Observe(0, nil, at(1000), held); len(evs) != 0 {
		t.Fatalf("closed within grace: %+v", evs)
	}
	evs = tr.Observe(0, nil, at(1300), held)
	if len(evs) != 1 || evs[0].Event != event.Clear || *evs[0].ExposureMS != 250 || evs[0].LastSeen.Sub(*evs[0].FirstSeen) != 250*time.Millisecond {
		t.Fatalf("want one clear with 250ms exposure: %+v", evs)
	}
	if tr.Open() != 1 {
		t.Fatalf("%d open, want the held one", tr.Open())
	}
	evs = tr.CloseAll(at(2000))
	if len(evs) != 1 || evs[0].Event != event.Clear {
		t.Fatalf("CloseAll: %+v", evs)
	}
}

// Two items of one rule on adjacent lines are two incidents.
func TestTrackerAdjacentItemsAreSeparate(t *testing.T) {
	tr := New(time.Second, 0, []byte("s"))
	now := time.Now()
	evs := tr.Observe(0, []rules.Finding{finding("c", "Globex", 100, 100, 1)}, now, nil)
	evs = append(evs, tr.Observe(0, []rules.Finding{finding("c", "Globex", 100, 100, 1), finding("c", "Initech", 100, 118, 1)}, now, nil)...)
	if len(evs) != 2 {
		t.Fatalf("want two alerts, got %+v", evs)
	}
}

// TestTrackerFloorAndExactTerms: the live agent applies --min-conf through
// rules.Finding.Confident, as scan does, so a listed name read letter for
// letter at 0.44 (grey small text) raises an alert at the default floor,
// and a read one edit off does not.
func TestTrackerFloorAndExactTerms(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(p, []byte("[[rules]]\nid = \"customers\"\nterms = [\"Contoso\", \"ACR\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text  string
		conf  float64
		alert bool
	}{
		{"Contoso", 0.44, true},
		{"C0NTOSO", 0.44, true},
		{"Contosa", 0.44, false},
		{"Contosa", 0.6, true},
		{"ACR", 0.44, false},
	} {
		l := rules.Line{Words: []rules.Word{{Text: tc.text, Box: rules.Box{X: 10, Y: 10, W: 60, H: 12}, Conf: tc.conf}}}
		fs := rs.Match([]rules.Line{l})
		if len(fs) != 1 {
			t.Fatalf("%q: findings %+v, want one", tc.text, fs)
		}
		evs := New(time.Second, 0.5, []byte("s")).Observe(0, fs, time.Now(), nil)
		if got := len(evs) == 1; got != tc.alert {
			t.Errorf("%q at %.2f: alert %v, want %v", tc.text, tc.conf, got, tc.alert)
		}
	}
}
