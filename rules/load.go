package rules

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

//go:embed default.toml
var defaultPack []byte

// DefaultName is the file name errors and RuleInfo use for the embedded pack.
const DefaultName = "<default>"

// rawFile and rawRule mirror the TOML schema; decoding is strict about types
// and unknown keys are reported with their line.
type rawFile struct {
	Extends string    `toml:"extends"`
	Allow   *rawAllow `toml:"allow"`
	Rules   []rawRule `toml:"rules"`
}

type rawAllow struct {
	Terms    []string `toml:"terms"`
	Patterns []string `toml:"patterns"`
}

type rawRule struct {
	ID            string     `toml:"id"`
	Description   string     `toml:"description"`
	Severity      string     `toml:"severity"`
	Terms         []string   `toml:"terms"`
	TermsFile     string     `toml:"terms_file"`
	TermsSHA256   []string   `toml:"terms_sha256"`
	Salt          string     `toml:"salt"`
	Pattern       string     `toml:"pattern"`
	Amount        *rawAmount `toml:"amount"`
	Near          []string   `toml:"near"`
	Within        string     `toml:"within"`
	CaseSensitive *bool      `toml:"case_sensitive"`
	Fuzzy         *bool      `toml:"fuzzy"`
	Allow         []string   `toml:"allow"`
	MustMatch     []string   `toml:"must_match"`
	MustNotMatch  []string   `toml:"must_not_match"`
}

type rawAmount struct {
	Min      *float64 `toml:"min"`
	Max      *float64 `toml:"max"`
	Currency string   `toml:"currency"`
}

var knownRuleKeys = []string{"id", "description", "severity", "terms", "terms_file", "terms_sha256", "salt",
	"pattern", "amount", "near", "within", "case_sensitive", "fuzzy", "allow", "must_match", "must_not_match"}

// parsedFile is one decoded rule file with the line of every key, because
// the TOML decoder does not report positions of valid-but-wrong values.
type parsedFile struct {
	name  string
	dir   string
	raw   rawFile
	lines fileLines
}

type fileLines struct {
	top   map[string]int   // top-level keys and table headers
	rules []map[string]int // per [[rules]] table: key → line; "" → header line
}

func (fl fileLines) rule(i int, key string) int {
	if i < len(fl.rules) {
		if l, ok := fl.rules[i][key]; ok {
			return l
		}
		return fl.rules[i][""]
	}
	return 0
}

var keyLine = regexp.MustCompile(`^\s*("?)([A-Za-z0-9_-]+)("?)\s*=`)

// scanLines records where tables and keys start. It is only a locator for
// messages: the TOML decoder has already accepted the syntax.
func scanLines(data []byte) fileLines {
	fl := fileLines{top: map[string]int{}}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	depth := 0 // open brackets of a multi-line array
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if depth > 0 {
			depth += bracketDelta(line)
			continue
		}
		switch {
		case strings.HasPrefix(line, "[["):
			table = strings.TrimSpace(strings.Trim(line, "[] \t"))
			if i := strings.IndexByte(table, '#'); i >= 0 {
				table = strings.TrimSpace(strings.Trim(table[:i], "[] \t"))
			}
			if table == "rules" {
				fl.rules = append(fl.rules, map[string]int{"": n})
			}
			continue
		case strings.HasPrefix(line, "["):
			table = strings.TrimSpace(strings.Trim(strings.SplitN(line, "#", 2)[0], "[] \t"))
			fl.top[table] = n
			continue
		}
		m := keyLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := m[2]
		switch {
		case table == "rules" && len(fl.rules) > 0:
			if _, dup := fl.rules[len(fl.rules)-1][key]; !dup {
				fl.rules[len(fl.rules)-1][key] = n
			}
		case table == "":
			fl.top[key] = n
		default:
			fl.top[table+"."+key] = n
		}
		depth = bracketDelta(line[strings.IndexByte(line, '=')+1:])
	}
	return fl
}

// bracketDelta counts unclosed '[' outside strings, for multi-line arrays.
func bracketDelta(s string) int {
	d := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return d
		case c == '[':
			d++
		case c == ']':
			d--
		}
	}
	return max(d, 0)
}

var (
	lineInMsg = regexp.MustCompile(`^toml: line (\d+)`)
	lastKey   = regexp.MustCompile(`^\(last key "([^"]*)"\):\s*(.*)$`)
)

// parseFile decodes one rule file; syntax and type errors come back located.
func parseFile(name string, data []byte) (*parsedFile, ErrorList) {
	pf := &parsedFile{name: name, dir: filepath.Dir(name)}
	md, err := toml.Decode(string(data), &pf.raw)
	if err != nil {
		e := &Error{File: name, Msg: err.Error()}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			e.Line, e.Msg = pe.Position.Line, pe.Message
		} else if m := lineInMsg.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = strings.TrimSpace(strings.TrimPrefix(err.Error(), m[0]))
			if k := lastKey.FindStringSubmatch(e.Msg); k != nil {
				e.Field, e.Msg = k[1], k[2]
			}
			e.Msg = strings.TrimSpace(strings.TrimPrefix(e.Msg, ":"))
			e.Msg = strings.ReplaceAll(e.Msg, "destination has type", "expected")
		}
		return nil, ErrorList{e}
	}
	pf.lines = scanLines(data)
	var errs ErrorList
	for _, k := range md.Undecoded() {
		errs = append(errs, pf.unknownKey(k)...)
	}
	return pf, errs
}

func (pf *parsedFile) unknownKey(k toml.Key) []*Error {
	if len(k) >= 2 && k[0] == "rules" {
		key := k[1]
		var out []*Error
		hint := didYouMean(key, knownRuleKeys)
		for i, m := range pf.lines.rules {
			if l, ok := m[key]; ok && len(k) == 2 {
				id := ""
				if i < len(pf.raw.Rules) {
					id = pf.raw.Rules[i].ID
				}
				out = append(out, &Error{File: pf.name, Line: l, Rule: id, Msg: "unknown key " + strconv.Quote(key) + hint})
			}
		}
		if len(out) > 0 {
			return out
		}
		if len(k) == 3 && k[1] == "amount" {
			line, id := 0, ""
			for i := range pf.raw.Rules {
				if pf.raw.Rules[i].Amount != nil && line == 0 {
					line, id = pf.lines.rule(i, "amount"), pf.raw.Rules[i].ID
				}
			}
			return []*Error{{File: pf.name, Line: line, Rule: id, Field: "amount", Msg: "unknown key " + strconv.Quote(k[2]) + didYouMean(k[2], []string{"min", "max", "currency"})}}
		}
	}
	line := pf.lines.top[k.String()]
	if line == 0 && len(k) > 0 {
		line = pf.lines.top[k[0]]
	}
	return []*Error{{File: pf.name, Line: line, Msg: "unknown key " + strconv.Quote(k.String()) + didYouMean(k.String(), []string{"extends", "allow", "rules", "allow.terms", "allow.patterns"})}}
}

// didYouMean suggests a known key within two edits of a typo.
func didYouMean(key string, known []string) string {
	var s matchScratch
	best, bestD := "", 3
	for _, k := range known {
		if d := osaDistance(key, k, 2, &s); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + strconv.Quote(best) + "?)"
}

// Load reads rule files and directories (every *.toml below a directory, in
// name order) into one compiled Ruleset. On any error it returns nil and an
// ErrorList naming file, line and rule of every problem found: there is no
// half-loaded result.
func Load(paths ...string) (*Ruleset, error) {
	var files []string
	var errs ErrorList
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Msg: errMsg(err)})
			continue
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &Error{File: path, Msg: errMsg(err)})
				return nil
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".toml") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, &Error{File: p, Msg: errMsg(err)})
		}
		if len(found) == 0 {
			errs = append(errs, &Error{File: p, Msg: "directory holds no *.toml rule files"})
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	if len(paths) == 0 {
		errs = append(errs, &Error{File: "(none)", Msg: "no rule files given"})
	}
	var parsed []*parsedFile
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, &Error{File: f, Msg: errMsg(err)})
			continue
		}
		pf, perrs := parseFile(f, data)
		errs = append(errs, perrs...)
		if pf != nil {
			parsed = append(parsed, pf)
		}
	}
	withDefault := false
	for _, pf := range parsed {
		switch pf.raw.Extends {
		case "":
		case "default":
			withDefault = true
		default:
			errs = append(errs, &Error{File: pf.name, Line: pf.lines.top["extends"], Field: "extends",
				Msg: fmt.Sprintf("unknown pack %q (the only pack is \"default\")", pf.raw.Extends)})
		}
	}
	if withDefault {
		def, derrs := parseFile(DefaultName, defaultPack)
		if derrs != nil {
			return nil, derrs
		}
		parsed = append([]*parsedFile{def}, parsed...)
	}
	// Files that decoded are still compiled when another had problems, so
	// one run reports every problem.
	rs, cerrs := compile(parsed)
	errs = append(errs, cerrs...)
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	return rs, nil
}

// Default returns the embedded default rule pack.
func Default() (*Ruleset, error) {
	pf, errs := parseFile(DefaultName, defaultPack)
	if errs != nil {
		return nil, errs
	}
	rs, cerrs := compile([]*parsedFile{pf})
	if len(cerrs) > 0 {
		return nil, cerrs
	}
	return rs, nil
}

// DefaultSource returns the text of the embedded pack, for `rules show`-like
// uses and documentation.
func DefaultSource() []byte { return append([]byte(nil), defaultPack...) }

// errMsg keeps OS errors short: the path is already the Error's File.
func errMsg(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
