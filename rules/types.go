package rules

import "fmt"

// Box is an axis-aligned rectangle in pixels of the source image.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Empty reports whether the box covers no pixels.
func (b Box) Empty() bool { return b.W <= 0 || b.H <= 0 }

// Union returns the smallest box covering b and o; an empty box is ignored
// so that words without geometry (plain text input) do not drag boxes to 0,0.
func (b Box) Union(o Box) Box {
	if b.Empty() {
		return o
	}
	if o.Empty() {
		return b
	}
	x0, y0 := min(b.X, o.X), min(b.Y, o.Y)
	x1, y1 := max(b.X+b.W, o.X+o.W), max(b.Y+b.H, o.Y+o.H)
	return Box{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
}

// Gap is the distance in pixels between the nearest edges of two boxes
// (0 when they touch or overlap).
func (b Box) Gap(o Box) int {
	dx := max(0, max(b.X, o.X)-min(b.X+b.W, o.X+o.W))
	dy := max(0, max(b.Y, o.Y)-min(b.Y+b.H, o.Y+o.H))
	if dx > dy {
		return dx
	}
	return dy
}

func (b Box) String() string { return fmt.Sprintf("%dx%d+%d+%d", b.W, b.H, b.X, b.Y) }

// Word is one OCR word. Conf is Tesseract's confidence scaled to 0..1.
type Word struct {
	Text string  `json:"text"`
	Box  Box     `json:"box"`
	Conf float64 `json:"conf"`
}

// Line is a run of words that OCR read as one text line. Block numbers the
// layout block (paragraph, table column, panel) the line belongs to; lines of
// one image share a numbering. Whole marks a line that is a whole paragraph
// or cell, as a document file holds it (not read from pixels): no term runs
// on from it onto the next line, as one does at a wrap.
type Line struct {
	Words []Word `json:"words"`
	Box   Box    `json:"box"`
	Block int    `json:"block"`
	Whole bool   `json:"whole,omitempty"`
}

// TextLine builds a Line from plain text with no geometry, one word per
// whitespace-separated field and full confidence. Used for `match`, rule
// examples and tests.
func TextLine(s string) Line {
	var l Line
	for _, f := range splitFields(s) {
		l.Words = append(l.Words, Word{Text: f, Conf: 1})
	}
	return l
}

func splitFields(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		space := r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0xA0
		if space {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// Severity orders findings; the zero value is invalid so a missing default is
// caught by validation rather than silently becoming "low".
type Severity int

const (
	Low Severity = iota + 1
	Medium
	High
	Critical
)

var severityNames = map[Severity]string{Low: "low", Medium: "medium", High: "high", Critical: "critical"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity accepts the names used in rule files.
func ParseSeverity(s string) (Severity, bool) {
	for k, v := range severityNames {
		if v == s {
			return k, true
		}
	}
	return 0, false
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// SeverityRank orders severities given by name, as events carry them:
// critical 4, high 3, medium 2, low 1, anything else 0. The one ranking
// every output sorts and escalates by.
func SeverityRank(name string) int {
	s, ok := ParseSeverity(name)
	if !ok {
		return 0
	}
	return int(s)
}

// Finding is one match of one rule. Text is the matched text as read; it is
// sensitive and must not reach logs or events unmasked. Value is the parsed
// amount for amount rules (in Currency units), nil otherwise. Line is the
// index of the (first) line in the input; Confidence is the highest word
// confidence among the words matched, so a finding made only of low
// confidence words can be dropped by the caller (see Confident). Exact
// marks a finding that is kept whatever its confidence: a term match with
// no edit after folding, on a term of at least exactTermLen folded
// characters, or a near finding all of whose parts are such.
type Finding struct {
	Rule       string   `json:"rule"`
	Kind       string   `json:"-"` // the rule's kind: terms, hashed-terms, pattern, amount, near
	Severity   Severity `json:"severity"`
	Text       string   `json:"text"`
	Value      *float64 `json:"value"`
	Currency   string   `json:"currency,omitempty"`
	Box        Box      `json:"box"`
	Confidence float64  `json:"confidence"`
	Line       int      `json:"line"`
	Exact      bool     `json:"-"`
}

// structuralLen is how long a pattern match must be before OCR confidence no
// longer decides whether it counts (see Confident).
const structuralLen = 16

// exactTermLen is how long a term (in folded characters) must be for a
// match of it with no edit to count whatever its OCR confidence (Exact).
const exactTermLen = fuzzyMinLen

// Confident reports whether a finding clears a confidence floor. The floor
// exists to keep OCR noise (garbage read from icons, borders, photos) from
// producing findings; noise is short and arbitrary. Two kinds of finding
// are kept whatever their confidence, because noise does not produce them:
//   - a pattern match of 16 or more characters (an access key, a JWT, a
//     connection string): Tesseract gives exactly such random strings low
//     confidence because no dictionary backs them;
//   - an Exact finding: a listed term of 5 or more characters spelled
//     letter for letter (after folding). Grey small text (a chat sidebar's
//     preview line) is read right at 0.4; a fuzzy match of such a read
//     keeps the floor, as an edit plus low confidence is what a chance
//     resemblance looks like.
func (f Finding) Confident(floor float64) bool {
	if f.Confidence >= floor || f.Exact {
		return true
	}
	if f.Kind != "pattern" {
		return false
	}
	n := 0
	for _, r := range f.Text {
		if r != ' ' {
			n++
		}
	}
	return n >= structuralLen
}
