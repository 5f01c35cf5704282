package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits on what one rule file may ask of the loader. The README
// (Rule files → Validation) states them and why.
const (
	// MaxRuleFileBytes bounds a rule file. 16 MB holds about 240,000
	// terms_sha256 entries (what `rules hash` makes of a large customer
	// list); longer plain lists belong in a terms_file.
	MaxRuleFileBytes = 16 << 20
	// MaxTermsFileBytes bounds a terms file: about 2.5 million names. The
	// compiled index takes about 15 times the file's size in memory, so this
	// also bounds a terms file's cost to about 1 GB.
	MaxTermsFileBytes = 64 << 20
	// MaxNesting bounds how deep keys, inline tables and arrays may nest. The
	// TOML decoder's memory grows with the square of the depth (every nested
	// key keeps its whole path), so a few kilobytes of `x = {a = {a = …}}`
	// used to cost gigabytes; the rule schema itself needs 4 levels.
	MaxNesting = 32
	// MaxElements bounds the keys and values of one rule file, a key
	// counting 2 plus its depth plus an eighth of its full path's length
	// (keyCost), every other value 1 or 2: the decoder holds some 50 to 300
	// bytes for each, so bytes alone do not bound its memory.
	// The worst file within the limit allocates under 300 MB in all (see
	// TestElementBudget); 16 MB of hashes, or of names over 16 bytes a line,
	// stay under it.
	MaxElements = 1_000_000
)

// fileLines locates keys for messages: the TOML decoder does not report
// positions of valid-but-wrong values, and keeps one position per key name,
// so every [[rules]] table but the last would be misplaced.
type fileLines struct {
	top   map[string]int   // dotted key or table path (outside rules) → line
	rules []map[string]int // per rule: dotted key inside the rule → line; "" → where the rule starts
}

// rule returns the line of a key of rule i (a dotted path such as
// "amount.min"), falling back to its parent key and then to where the rule
// starts.
func (fl fileLines) rule(i int, key string) int {
	if i < 0 || i >= len(fl.rules) {
		return 0
	}
	for {
		if l, ok := fl.rules[i][key]; ok {
			return l
		}
		j := strings.LastIndexByte(key, '.')
		if j < 0 {
			return fl.rules[i][""]
		}
		key = key[:j]
	}
}

// topLine returns the line of a dotted key outside the rules, or of its
// nearest parent that has one.
func (fl fileLines) topLine(key string) int {
	for {
		if l, ok := fl.top[key]; ok {
			return l
		}
		j := strings.LastIndexByte(key, '.')
		if j < 0 {
			return 0
		}
		key = key[:j]
	}
}

// keyCtx is where keys being read belong: a rule (and a path inside it) or
// a path outside the rules.
type keyCtx struct {
	rule  int      // index into fileLines.rules, -1 outside the rules
	path  []string // inside the rule when rule >= 0, else from the top
	level int      // nesting depth of the keys' container
	bytes int      // length of the container's full key path
	mute  bool     // inside an array of inline tables that are not rules: not located
}

type frame struct {
	array bool
	ctx   keyCtx // for an inline table: where its keys go; for an array: its level in ctx.level
	rules bool   // the top-level `rules = [ … ]` array: its inline tables are rules
}

// shapeScanner reads a rule file's bytes once, before the decoder does: it
// refuses files nested deeper than MaxNesting or holding more than
// MaxElements, and records where tables and keys are. It understands TOML's
// comments and four kinds of string, so brackets inside them do not count,
// and it never fails on invalid input (the decoder reports syntax errors):
// on a byte it cannot place it moves on. Its memory is a stack of at most
// MaxNesting frames plus the located keys.
type shapeScanner struct {
	b     []byte
	i     int
	line  int
	stack []frame
	table keyCtx // the context set by the last [table] header
	lines fileLines
	cost  int
	// arrayTables holds the paths of [[array.of.tables]] seen: a header
	// path through one is a level deeper than its parts (the index).
	arrayTables map[string]bool
	maxLevel    int // deepest level seen, for tests

	errLine int
	err     string
}

// scanShape checks the shape limits and locates keys. On a limit it returns
// the line where the limit was passed and a message.
func scanShape(data []byte) (fileLines, int, string) {
	s := &shapeScanner{b: data, line: 1, table: keyCtx{rule: -1},
		lines: fileLines{top: map[string]int{}}}
	s.run()
	return s.lines, s.errLine, s.err
}

func (s *shapeScanner) fail(format string, a ...any) {
	if s.err == "" {
		s.errLine, s.err = s.line, fmt.Sprintf(format, a...)
	}
}

func (s *shapeScanner) spend(n int) {
	s.cost += n
	if s.cost > MaxElements {
		s.fail("more than %d keys and values (the limit for one rule file; use a terms_file for long lists)", MaxElements)
	}
}

// keyCost is what a key at a level with a full path of so many bytes
// counts against MaxElements: the decoder keeps and copies the whole path of
// every key (at 1 KB a part, 30 levels deep, 15 MB of keys allocated 5.5
// GB), so a long path costs in proportion.
func keyCost(level, pathBytes int) int { return 2 + level + pathBytes/8 }

func partsLen(parts []string) int {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	return n
}

func (s *shapeScanner) deeper(level int) bool {
	s.maxLevel = max(s.maxLevel, level)
	if level > MaxNesting {
		s.fail("nested deeper than %d levels of keys, tables and arrays", MaxNesting)
		return true
	}
	return false
}

func (s *shapeScanner) run() {
	for s.err == "" {
		s.skipSpace(true)
		if s.i >= len(s.b) {
			return
		}
		c := s.b[s.i]
		if len(s.stack) == 0 {
			if c == '[' {
				s.header()
			} else {
				s.keyValue(s.table)
			}
			continue
		}
		f := &s.stack[len(s.stack)-1]
		switch {
		case c == ',':
			s.i++
		case c == ']' || c == '}':
			s.stack = s.stack[:len(s.stack)-1]
			s.i++
		case f.array:
			s.arrayElement(f)
		default:
			s.keyValue(f.ctx)
		}
	}
}

// skipSpace skips blanks and, when newlines is set, line ends and comments.
func (s *shapeScanner) skipSpace(newlines bool) {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r':
			s.i++
		case '\n':
			if !newlines {
				return
			}
			s.line++
			s.i++
		case '#':
			if !newlines {
				return
			}
			for s.i < len(s.b) && s.b[s.i] != '\n' {
				s.i++
			}
		default:
			return
		}
	}
}

func isBare(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// key reads a dotted key; ok is false (and nothing consumed) when no key
// starts here.
func (s *shapeScanner) key() (parts []string, ok bool) {
	for {
		s.skipSpace(false)
		if s.i >= len(s.b) {
			return parts, len(parts) > 0
		}
		start := s.i
		switch c := s.b[s.i]; {
		case c == '"' || c == '\'':
			s.str()
			raw := string(s.b[start:s.i])
			part := strings.Trim(raw, `"'`)
			if c == '"' {
				if u, err := strconv.Unquote(raw); err == nil {
					part = u
				}
			}
			parts = append(parts, part)
		case isBare(c):
			for s.i < len(s.b) && isBare(s.b[s.i]) {
				s.i++
			}
			parts = append(parts, string(s.b[start:s.i]))
		default:
			return parts, len(parts) > 0
		}
		if len(parts) > MaxNesting {
			s.deeper(len(parts))
			return parts, false
		}
		s.skipSpace(false)
		if s.i >= len(s.b) || s.b[s.i] != '.' {
			return parts, true
		}
		s.i++
	}
}

// str skips one string of any of TOML's four kinds. A one-line string ends
// at the line end even when unterminated: the decoder reports that.
func (s *shapeScanner) str() {
	q := s.b[s.i]
	if s.i+2 < len(s.b) && s.b[s.i+1] == q && s.b[s.i+2] == q {
		s.i += 3
		for s.i < len(s.b) {
			c := s.b[s.i]
			switch {
			case c == '\n':
				s.line++
				s.i++
			case c == '\\' && q == '"':
				s.i++
				if s.i < len(s.b) {
					if s.b[s.i] == '\n' {
						s.line++
					}
					s.i++
				}
			case c == q && s.i+2 < len(s.b) && s.b[s.i+1] == q && s.b[s.i+2] == q:
				s.i += 3
				// Up to two more quotes belong to the content: """a""""".
				for k := 0; k < 2 && s.i < len(s.b) && s.b[s.i] == q; k++ {
					s.i++
				}
				return
			default:
				s.i++
			}
		}
		return
	}
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '\n':
			return
		case c == '\\' && q == '"':
			s.i += 2
			if s.i > len(s.b) {
				s.i = len(s.b)
			}
		case c == q:
			s.i++
			return
		default:
			s.i++
		}
	}
}

// record notes the line of every prefix of a key not seen before: the first
// definition is where a message should point.
func (s *shapeScanner) record(ctx keyCtx, parts []string, line int) {
	if ctx.mute {
		return
	}
	m := s.lines.top
	if ctx.rule >= 0 {
		m = s.lines.rules[ctx.rule]
	}
	key := strings.Join(ctx.path, ".")
	for _, p := range parts {
		if key != "" {
			key += "."
		}
		key += p
		if _, seen := m[key]; !seen {
			m[key] = line
		}
	}
}

func (s *shapeScanner) newRule(line int) int {
	s.lines.rules = append(s.lines.rules, map[string]int{"": line})
	return len(s.lines.rules) - 1
}

// header reads [table] or [[array.of.tables]] and sets where the following
// keys belong.
func (s *shapeScanner) header() {
	line := s.line
	s.i++
	array := s.i < len(s.b) && s.b[s.i] == '['
	if array {
		s.i++
	}
	parts, ok := s.key()
	if !ok {
		s.skipLine()
		return
	}
	if s.arrayTables == nil {
		s.arrayTables = map[string]bool{}
	}
	level := len(parts)
	for k := 1; k <= len(parts); k++ {
		p := strings.Join(parts[:k], ".")
		if k == len(parts) && array {
			s.arrayTables[p] = true
		}
		if s.arrayTables[p] {
			level++
		}
	}
	if s.deeper(level) {
		return
	}
	bytes := partsLen(parts)
	s.spend(keyCost(level, bytes))
	s.skipSpace(false)
	for n := 1 + btoi(array); n > 0 && s.i < len(s.b) && s.b[s.i] == ']'; n-- {
		s.i++
	}
	switch {
	case parts[0] == "rules" && len(parts) == 1 && array:
		s.table = keyCtx{rule: s.newRule(line), level: level, bytes: bytes}
	case parts[0] == "rules" && len(s.lines.rules) > 0:
		// [rules.amount] continues the last [[rules]] table.
		s.table = keyCtx{rule: len(s.lines.rules) - 1, path: parts[1:], level: level, bytes: bytes}
		s.record(keyCtx{rule: s.table.rule}, parts[1:], line)
	default:
		s.table = keyCtx{rule: -1, path: parts, level: level, bytes: bytes}
		s.record(keyCtx{rule: -1}, parts, line)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *shapeScanner) skipLine() {
	for s.i < len(s.b) && s.b[s.i] != '\n' {
		s.i++
	}
}

// keyValue reads `key = value` in ctx; a value that opens an array or inline
// table pushes a frame, read by run.
func (s *shapeScanner) keyValue(ctx keyCtx) {
	line := s.line
	parts, ok := s.key()
	if !ok {
		if s.err == "" && len(parts) == 0 {
			s.i++ // not a key: the decoder reports it
		}
		return
	}
	level := ctx.level + len(parts)
	if s.deeper(level) {
		return
	}
	bytes := ctx.bytes + partsLen(parts)
	s.spend(keyCost(level, bytes))
	s.record(ctx, parts, line)
	s.skipSpace(false)
	if s.i >= len(s.b) || s.b[s.i] != '=' {
		return
	}
	s.i++
	s.skipSpace(false)
	if s.i >= len(s.b) || s.b[s.i] == '\n' || s.b[s.i] == '#' {
		return
	}
	inner := keyCtx{rule: ctx.rule, path: append(append([]string(nil), ctx.path...), parts...), level: level, bytes: bytes, mute: ctx.mute}
	isRules := ctx.rule < 0 && !ctx.mute && len(inner.path) == 1 && inner.path[0] == "rules"
	s.value(inner, isRules)
}

// value reads one value whose keys (if it is an inline table) belong in ctx.
func (s *shapeScanner) value(ctx keyCtx, rulesArray bool) {
	switch c := s.b[s.i]; c {
	case '"', '\'':
		s.str()
		s.spend(1)
	case '[':
		s.i++
		ctx.level++
		if s.deeper(ctx.level) {
			return
		}
		s.spend(2)
		s.stack = append(s.stack, frame{array: true, ctx: ctx, rules: rulesArray})
	case '{':
		s.i++
		s.spend(2)
		s.stack = append(s.stack, frame{ctx: ctx})
	default:
		start := s.i
		for s.i < len(s.b) && !strings.ContainsRune(",]}#\n", rune(s.b[s.i])) {
			s.i++
		}
		if s.i == start {
			s.i++
		}
		s.spend(1)
	}
}

// arrayElement reads one element of the array f.
func (s *shapeScanner) arrayElement(f *frame) {
	ctx := keyCtx{rule: -1, level: f.ctx.level, bytes: f.ctx.bytes, mute: true}
	if f.rules && s.b[s.i] == '{' {
		// rules = [{ id = "a", … }, …]: each inline table is a rule.
		ctx = keyCtx{rule: s.newRule(s.line), level: f.ctx.level, bytes: f.ctx.bytes}
	}
	s.value(ctx, false)
}
