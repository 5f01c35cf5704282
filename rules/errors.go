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
