package rules

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

//go:embed default.toml
var defaultPack []byte

// DefaultName is the file name errors and RuleInfo use for the embedded pack.
const DefaultName = "<default>"

// rawFile and rawRule mirror the TOML schema; binding (bind.go) is strict
// about types and reports unknown keys with their line.
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

	bad map[string]bool // keys whose value had the wrong type (already reported)
}

type rawAmount struct {
	Min      *float64 `toml:"min"`
	Max      *float64 `toml:"max"`
	Currency string   `toml:"currency"`
}

// parsedFile is one decoded rule file with the line of every key.
type parsedFile struct {
	name  string
	dir   string
	raw   rawFile
	lines fileLines
}

// parseFile checks a rule file's shape, decodes it and binds it to the
// schema; every problem goes to fail, located. It returns nil when the file
// could not be decoded at all.
func parseFile(name string, data []byte, fail func(*Error)) *parsedFile {
	pf := &parsedFile{name: name, dir: filepath.Dir(name)}
	// Shape first: the decoder's memory is what a hostile file attacks.
	lines, errLine, msg := scanShape(data)
	if msg != "" {
		fail(&Error{File: name, Line: errLine, Msg: msg})
		return nil
	}
	pf.lines = lines
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		e := &Error{File: name, Msg: err.Error()}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			e.Line, e.Msg = pe.Position.Line, pe.Message
		}
		fail(e)
		return nil
	}
	(&binder{pf: pf, fail: fail}).bindFile(doc)
	return pf
}

// didYouMean suggests a known key within two edits of a typo.
func didYouMean(key string, known []string) string {
	var s matchScratch
	best, bestD := "", 3
	for _, k := range known {
		if len(key) > 2*len(k)+2 {
			continue // far apart, and keeps a huge key from costing much
		}
		if strings.EqualFold(key, k) {
			best, bestD = k, 0
		} else if d := osaDistance(key, k, 2, &s); d < bestD {
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
	return LoadContext(context.Background(), paths...)
}

// LoadContext is Load that stops when ctx is done: it checks between files,
// between rules and every few thousand lines of a terms file, and then
// returns an error that wraps ctx.Err() (and no ErrorList).
//
// Only regular files are read (a FIFO or a link to /dev/zero is an error,
// without blocking), rule files up to MaxRuleFileBytes, terms files up to
// MaxTermsFileBytes, and a rule file's nesting and number of values are
// checked before it is decoded (MaxNesting, MaxElements).
func LoadContext(ctx context.Context, paths ...string) (*Ruleset, error) {
	var files []string
	var sink errorSink
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			sink.add(&Error{File: p, Msg: errMsg(err)})
			continue
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				sink.add(&Error{File: path, Msg: errMsg(err)})
				return nil
			}
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			// Anything named *.toml that is not a directory is a rule file;
			// one that is not a regular file is reported when read.
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".toml") {
				found = append(found, path)
			}
			return nil
		})
		if cerr := ctx.Err(); cerr != nil {
			return nil, stopped(cerr)
		}
		if err != nil {
			sink.add(&Error{File: p, Msg: errMsg(err)})
		}
		if len(found) == 0 {
			sink.add(&Error{File: p, Msg: "directory holds no *.toml rule files"})
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	if len(paths) == 0 {
		sink.add(&Error{File: "(none)", Msg: "no rule files given"})
	}
	var parsed []*parsedFile
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, stopped(err)
		}
		data, err := readRuleFile(f)
		if err != nil {
			sink.add(&Error{File: f, Msg: errMsg(err)})
			continue
		}
		if pf := parseFile(f, data, sink.add1); pf != nil {
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
			sink.add(&Error{File: pf.name, Line: pf.lines.topLine("extends"), Field: "extends",
				Msg: fmt.Sprintf("unknown pack %q (the only pack is \"default\")", pf.raw.Extends)})
		}
	}
	if withDefault {
		var dsink errorSink
		def := parseFile(DefaultName, defaultPack, dsink.add1)
		if errs := dsink.result(); errs != nil {
			return nil, errs
		}
		parsed = append([]*parsedFile{def}, parsed...)
	}
	// Files that decoded are still compiled when another had problems, so
	// one run reports every problem.
	rs := compile(ctx, parsed, &sink)
	if err := ctx.Err(); err != nil {
		return nil, stopped(err)
	}
	if errs := sink.result(); errs != nil {
		return nil, errs
	}
	return rs, nil
}

// stopped wraps the context's error when a load was cancelled.
func stopped(err error) error { return fmt.Errorf("loading rules stopped: %w", err) }

// Default returns the embedded default rule pack.
func Default() (*Ruleset, error) {
	var sink errorSink
	pf := parseFile(DefaultName, defaultPack, sink.add1)
	if pf == nil {
		return nil, sink.result()
	}
	rs := compile(context.Background(), []*parsedFile{pf}, &sink)
	if errs := sink.result(); errs != nil {
		return nil, errs
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
