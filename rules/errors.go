package rules

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a rule file, located as precisely as the file
// allows: "customers.toml:12: rule \"customers\": terms_file: open x.txt: no
// such file or directory".
type Error struct {
	File  string
	Line  int // 1-based; 0 when unknown
	Rule  string
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", e.Rule)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is what Load returns when rule files are invalid: every problem
// found, in file and line order. Use errors.As to reach file and line.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

func (l ErrorList) sorted() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].File != l[j].File {
			return l[i].File < l[j].File
		}
		return l[i].Line < l[j].Line
	})
	return l
}

var errBadHash = errors.New("not a hex SHA-256 (64 hex digits)")

// MaxErrorsPerFile is how many problems of one file an ErrorList shows; the
// rest are counted in one "… and N more" entry, so a hostile or badly broken
// file cannot print megabytes of errors.
const MaxErrorsPerFile = 20

// keepPerFile bounds what is collected per file before sorting, so memory
// is bounded too (a terms file of a million bad lines), while the ones shown
// are still the first by line in almost every file.
const keepPerFile = 5 * MaxErrorsPerFile

// errorSink collects the problems of one load.
type errorSink struct {
	list    ErrorList
	perFile map[string]int // every problem seen, kept or not
}

func (s *errorSink) add(errs ...*Error) {
	if s.perFile == nil {
		s.perFile = map[string]int{}
	}
	for _, e := range errs {
		n := s.perFile[e.File]
		s.perFile[e.File] = n + 1
		if n < keepPerFile {
			s.list = append(s.list, e)
		}
	}
}

// count is how many problems were seen.
func (s *errorSink) count() int {
	n := 0
	for _, c := range s.perFile {
		n += c
	}
	return n
}

// result sorts the problems by file and line and keeps MaxErrorsPerFile of
// each file, followed by a count of the rest; nil when there were none.
func (s *errorSink) result() ErrorList {
	if len(s.list) == 0 {
		return nil
	}
	s.list.sorted()
	var out ErrorList
	for i := 0; i < len(s.list); {
		j := i
		for j < len(s.list) && s.list[j].File == s.list[i].File {
			j++
		}
		file := s.list[i].File
		out = append(out, s.list[i:min(j, i+MaxErrorsPerFile)]...)
		if more := s.perFile[file] - MaxErrorsPerFile; more > 0 {
			out = append(out, &Error{File: file, Msg: fmt.Sprintf("… and %d more problems in this file", more)})
		}
		i = j
	}
	return out
}

// add1 is add for one error, as a func(*Error).
func (s *errorSink) add1(e *Error) { s.add(e) }
