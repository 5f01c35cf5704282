// Package incident turns per-frame findings into incidents (an alert when
// one opens, a clear when it closes) and gives matched text a salted
// fingerprint, so events identify an item without carrying its text.
package incident

import (
	"fmt"
	"image"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/internal/geom"
)

// Tracker turns per-frame findings into incidents: the same rule at about
// the same place on consecutive observations is one incident, opened (alert)
// when first seen and closed (clear) when it has not been seen for Grace.
// It is not safe for concurrent use; the agent serialises calls.
type Tracker struct {
	Grace   time.Duration
	MinConf float64
	Salt    []byte

	open []*incident
	seq  int
	pfx  string
}

type incident struct {
	id          string
	display     int
	rule, sev   string
	box         rules.Box
	first, last time.Time
	fp          string
	raw         string
	seen        bool // matched in the current Observe call
}

// New makes a tracker; salt nil means a random per-process salt.
func New(grace time.Duration, minConf float64, salt []byte) *Tracker {
	if salt == nil {
		salt = NewSalt()
	}
	return &Tracker{Grace: grace, MinConf: minConf, Salt: salt, pfx: Fingerprint(NewSalt(), "")[:6]}
}

// Open returns the number of open incidents.
func (t *Tracker) Open() int { return len(t.open) }

// Observe records the findings currently on display d as of time at. held
// are areas of the display whose content is being re-read: an incident
// there is neither confirmed nor closed until the OCR is back, so a redraw
// does not produce a clear followed by a new alert.
func (t *Tracker) Observe(d int, fs []rules.Finding, at time.Time, held []image.Rectangle) []event.Event {
	var evs []event.Event
	for _, inc := range t.open {
		inc.seen = false
	}
	for _, f := range fs {
		if !f.Confident(t.MinConf) {
			continue
		}
		fp := Fingerprint(t.Salt, f.Text)
		if inc := t.find(d, f, fp); inc != nil {
			inc.seen = true
			if at.After(inc.last) {
				inc.last = at
			}
			inc.box = f.Box
			continue
		}
		t.seq++
		inc := &incident{
			id:      fmt.Sprintf("%s-%d", t.pfx, t.seq),
			display: d, rule: f.Rule, sev: f.Severity.String(),
			box: f.Box, first: at, last: at, fp: fp, raw: f.Text, seen: true,
		}
		t.open = append(t.open, inc)
		evs = append(evs, inc.event(event.Alert, at))
	}
	kept := t.open[:0]
	for _, inc := range t.open {
		if inc.display != d || inc.seen || heldBy(inc.box, held) || at.Sub(inc.last) < t.Grace {
			kept = append(kept, inc)
			continue
		}
		evs = append(evs, inc.event(event.Clear, at))
	}
	clear(t.open[len(kept):])
	t.open = kept
	return evs
}

// CloseAll closes every open incident (shutdown, display removed) with a
// clear event each.
func (t *Tracker) CloseAll(now time.Time) []event.Event {
	var evs []event.Event
	for _, inc := range t.open {
		evs = append(evs, inc.event(event.Clear, now))
	}
	t.open = nil
	return evs
}

// CloseDisplay closes the incidents of one display (it was unplugged).
func (t *Tracker) CloseDisplay(d int, now time.Time) []event.Event {
	var evs []event.Event
	kept := t.open[:0]
	for _, inc := range t.open {
		if inc.display == d {
			evs = append(evs, inc.event(event.Clear, now))
			continue
		}
		kept = append(kept, inc)
	}
	clear(t.open[len(kept):])
	t.open = kept
	return evs
}

// find returns the open incident a finding continues: same display and rule,
// and either the same text nearby or overlapping boxes.
func (t *Tracker) find(d int, f rules.Finding, fp string) *incident {
	var best *incident
	bestGap := 1 << 30
	for _, inc := range t.open {
		if inc.seen || inc.display != d || inc.rule != f.Rule {
			continue
		}
		gap := inc.box.Gap(f.Box)
		var ok bool
		if inc.fp == fp {
			// The same text: OCR jitter, a redraw, a window moved a bit.
			ok = gap <= max(inc.box.H, f.Box.H, 200)
		} else {
			// Other text (a misread of it, or another item of the same
			// rule on the next line): only where the boxes overlap.
			ok = geom.Rect(inc.box).Overlaps(geom.Rect(f.Box))
		}
		if ok && gap < bestGap {
			best, bestGap = inc, gap
		}
	}
	return best
}

func heldBy(b rules.Box, held []image.Rectangle) bool {
	r := geom.Rect(b)
	for _, h := range held {
		if h.Overlaps(r) {
			return true
		}
	}
	return false
}

func (inc *incident) event(kind event.Kind, now time.Time) event.Event {
	d := inc.display
	box := inc.box
	first, last := inc.first, inc.last
	exp := last.Sub(first).Milliseconds()
	return event.Event{
		Event: kind, Time: now, Rule: inc.rule, Severity: inc.sev,
		Display: &d, Box: &box, FirstSeen: &first, LastSeen: &last, ExposureMS: &exp,
		Fingerprint: inc.fp, Incident: inc.id,
	}.WithMatched(inc.raw)
}
