// Package scanner holds the live pipeline: capture → change detection → OCR →
// match → incidents → alerts. cgo and X11 code live in subpackages so the
// pipeline logic can be tested with fakes.
package scanner

import (
	"time"

	"github.com/demoguard/demoguard/rules"
)

// Event is what the agent emits: one JSON object per line on stdout with
// --format json, in the --log audit file, to webhooks, the UI and the hub.
// It never carries the matched text unmasked unless --show-text is given.
type Event struct {
	Event       string     `json:"event"` // alert | clear | reload | error
	Time        time.Time  `json:"time"`
	Rule        string     `json:"rule,omitempty"`
	Severity    string     `json:"severity,omitempty"`
	Display     *int       `json:"display,omitempty"`
	Box         *rules.Box `json:"box,omitempty"`
	FirstSeen   *time.Time `json:"first_seen,omitempty"`
	LastSeen    *time.Time `json:"last_seen,omitempty"`
	ExposureMS  *int64     `json:"exposure_ms,omitempty"`
	Fingerprint string     `json:"fingerprint,omitempty"`
	Text        string     `json:"text,omitempty"`
	Incident    string     `json:"incident,omitempty"` // stable id of the incident an alert/clear belongs to
	File        string     `json:"file,omitempty"`
	Line        int        `json:"line,omitempty"`
	Message     string     `json:"message,omitempty"`
	Rules       int        `json:"rules,omitempty"` // reload: number of rules now in force

	// raw is the unmasked matched text; only sinks told --show-text use it.
	// Unexported, so it never reaches JSON by accident.
	raw string
}

// WithText returns the event with its text unmasked when show is set and
// masked otherwise (whatever it carried before).
func (e Event) WithText(show bool) Event {
	if e.raw != "" {
		if show {
			e.Text = e.raw
		} else {
			e.Text = Mask(e.raw)
		}
	}
	return e
}
