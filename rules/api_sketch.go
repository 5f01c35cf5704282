package rules

// THIS FILE IS A TEMPORARY API SKETCH so other packages compile while the
// rules engine is written; it is replaced by the real implementation.

// RuleInfo describes one compiled rule (for SARIF, the UI, `rules` output).
type RuleInfo struct {
	ID          string
	Description string
	Severity    Severity
	File        string // rule file it came from ("<default>" for the embedded pack)
	Line        int
}

// Ruleset is an immutable compiled set of rules; safe for concurrent Match.
type Ruleset struct{}

// Load reads rule files or directories (*.toml, recursively) into one
// compiled Ruleset. Any error leaves nothing half-loaded: it returns nil and
// an error whose lines start with file:line.
func Load(paths ...string) (*Ruleset, error) { return &Ruleset{}, nil }

// Default returns the embedded default rule pack.
func Default() (*Ruleset, error) { return &Ruleset{}, nil }

// Match runs every rule over the lines of one image (or one text input).
func (rs *Ruleset) Match(lines []Line) []Finding { return nil }

// Rules lists the rules in file order.
func (rs *Ruleset) Rules() []RuleInfo { return nil }

// Sources lists every file the ruleset was read from (rule files and terms
// files), so a watcher knows what to watch.
func (rs *Ruleset) Sources() []string { return nil }

// Error is one problem in a rule file. Error() reads "file:line: rule id: msg"
// (parts omitted when unknown).
type Error struct {
	File  string
	Line  int
	Rule  string
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.File + ": " + e.Msg }

// ErrorList is what Load returns when rule files are invalid; callers use
// errors.As to get file and line of the first problem.
type ErrorList []*Error

func (l ErrorList) Error() string { return l[0].Error() }
