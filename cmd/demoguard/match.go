package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/demoguard/demoguard/rules"
)

func init() {
	register(&command{name: "match", summary: "match text against the rules (arguments or stdin lines)", run: runMatch})
}

type matchFinding struct {
	Source   string   `json:"source"`
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Text     string   `json:"text"`
	Value    *float64 `json:"value"`
}

func runMatch(ctx context.Context, args []string, s stdio) error {
	fs := newFlags("match", "match [--rules F]... [--rule ID]... [--format text|json] [TEXT...]\n\nEach TEXT argument, or each line of stdin when there is none, is matched as one line of text.", s)
	var rulePaths, only multiFlag
	fs.Var(&rulePaths, "rules", "rule file or directory (repeatable; default: the embedded rules)")
	fs.Var(&only, "rule", "match only this rule (repeatable)")
	format := fs.String("format", "text", "output format: text or json")
	texts, err := parseInterspersed(fs, args, s)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(s.err, "demoguard match: --format %q: use text or json\n", *format)
		return errUsage
	}
	rs, err := loadRulesReport(ctx, rulePaths, s)
	if err != nil {
		return err
	}
	for _, id := range only {
		if !rs.Has(id) {
			fmt.Fprintf(s.err, "demoguard match: no rule %q\n", id)
			return exitWith(exitErr)
		}
	}
	var found []matchFinding
	matchLine := func(n int, text string) {
		line := []rules.Line{rules.TextLine(text)}
		var fs []rules.Finding
		if len(only) > 0 {
			fs = rs.MatchRules(line, only...)
		} else {
			fs = rs.Match(line)
		}
		for _, f := range fs {
			found = append(found, matchFinding{Source: fmt.Sprintf("line %d", n), Rule: f.Rule, Severity: f.Severity.String(), Text: f.Text, Value: f.Value})
		}
	}
	if len(texts) > 0 {
		for i, t := range texts {
			matchLine(i+1, t)
		}
	} else {
		sc := bufio.NewScanner(s.in)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for n := 1; sc.Scan(); n++ {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			matchLine(n, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("match: read stdin: %w", err)
		}
	}
	if *format == "json" {
		out := struct {
			Findings []matchFinding `json:"findings"`
		}{Findings: found}
		if out.Findings == nil {
			out.Findings = []matchFinding{}
		}
		enc := json.NewEncoder(s.out)
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for _, f := range found {
			v := ""
			if f.Value != nil {
				v = fmt.Sprintf(" value=%s", formatValue(*f.Value))
			}
			fmt.Fprintf(s.out, "%s: %s (%s): %q%s\n", f.Source, f.Rule, f.Severity, f.Text, v)
		}
		if len(found) == 0 {
			fmt.Fprintln(s.err, "no findings")
		}
	}
	if len(found) > 0 {
		return exitWith(exitFindings)
	}
	return nil
}

// formatValue prints an amount without float noise: 580400000, not 5.804e+08.
func formatValue(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	return strings.TrimSuffix(strings.TrimSuffix(s, "00"), ".")
}
