// Package event holds what flows out of the live pipeline: the Event the
// agent, the rule reloader and the actions emit, its Kind, and the Sink
// interface every output (terminal, JSON, log, webhook, presenter page, hub,
// actions) implements. It has no dependencies beyond rules' plain types, so
// outputs import it without importing the pipeline.
package event

import (
	"strings"
	"time"
	"unicode"

	"github.com/demoguard/demoguard/rules"
)

// Kind says what an event reports. It is a string so that it reads as the
// "event" field of the JSON every output writes.
type Kind string

const (
	// Alert: an incident opened (a rule matched something on screen).
	Alert Kind = "alert"
	// Clear: an incident closed (not seen for the grace period, display
	// removed, or shutdown).
	Clear Kind = "clear"
	// Reload: the rules in force changed (or watching started).
	Reload Kind = "reload"
	// Error: something failed that the user should know about; scanning goes on.
	Error Kind = "error"
)

// Event is what the agent emits: one JSON object per line on stdout with
// --format json, in the --log audit file, to webhooks, the UI and the hub.
// It never carries the matched text unmasked unless --show-text is given.
type Event struct {
	Event       Kind       `json:"event"`
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

// WithMatched returns the event carrying matched text: masked in Text, and
// unmasked only for sinks that ask through WithText(true).
func (e Event) WithMatched(raw string) Event {
	e.raw = raw
	e.Text = Mask(raw)
	return e
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

// Sink receives events. Emit must not block on anything slow (networks,
// child processes, a reader that stopped reading); Close flushes.
type Sink interface {
	Emit(Event)
	Close() error
}

// Mask hides matched text for alerts and logs: the first and last character
// stay (so the presenter recognises which item it is), everything else that
// is not a space becomes '*' — "Walmart" → "W*****t". Text of one or two
// characters is fully masked.
func Mask(s string) string {
	r := []rune(strings.TrimSpace(s))
	n := len(r)
	if n == 0 {
		return ""
	}
	out := make([]rune, n)
	for i, c := range r {
		switch {
		case n > 2 && (i == 0 || i == n-1):
			out[i] = c
		case unicode.IsSpace(c):
			out[i] = c
		default:
			out[i] = '*'
		}
	}
	return string(out)
}
