package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/demoguard/demoguard/rules"
)

func init() {
	register(&command{name: "rules", summary: "check, test, list and hash rule files", run: runRules})
}

const rulesUsage = `Usage: demoguard rules <check|test|list|hash> ...

  rules check [FILE|DIR...]            validate rule files (no argument: the embedded defaults);
                                       every problem as file:line: rule "id": message; exit 2 on any
  rules test [--rule ID]... [FILE|DIR...]
                                       run every must_match / must_not_match example; exit 1 on a failure
  rules list [FILE|DIR...]             list the rules with kind, severity and where they are defined
  rules hash [--salt S] TERMS_FILE     print terms_sha256 entries for a terms file, so a customer
                                       list can be shared without being readable
`

func runRules(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		fmt.Fprint(s.err, rulesUsage)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(s.out, rulesUsage)
		return nil
	case "check":
		return rulesCheck(ctx, args[1:], s)
	case "test":
		return rulesTest(ctx, args[1:], s)
	case "list":
		return rulesList(ctx, args[1:], s)
	case "hash":
		return rulesHash(ctx, args[1:], s)
	}
	fmt.Fprintf(s.err, "demoguard rules: unknown subcommand %q\n\n%s", args[0], rulesUsage)
	return errUsage
}

// loadRulesReport loads rules and, on failure, prints every problem on its
// own line (file:line: ...) so editors and CI can jump to them; the rules
// package caps them at rules.MaxErrorsPerFile a file. A signal (ctx) stops
// the load: main cancels ctx on SIGINT/SIGTERM.
func loadRulesReport(ctx context.Context, paths []string, s stdio) (*rules.Ruleset, error) {
	var rs *rules.Ruleset
	var err error
	if len(paths) == 0 {
		rs, err = rules.Default()
	} else {
		rs, err = rules.LoadContext(ctx, paths...)
	}
	if err == nil {
		return rs, nil
	}
	var el rules.ErrorList
	if errors.As(err, &el) {
		for _, e := range el {
			fmt.Fprintln(s.err, e.Error())
		}
		return nil, exitWith(exitErr)
	}
	return nil, err
}

func describeSources(paths []string) string {
	if len(paths) == 0 {
		return "the embedded default rules"
	}
	return strings.Join(paths, ", ")
}

// parseAndLoad parses a rules subcommand's flags (set up by flags, which may
// be nil) and loads the rule files named by the remaining arguments.
func parseAndLoad(ctx context.Context, name string, args []string, s stdio, flags func(*flag.FlagSet)) (*rules.Ruleset, []string, error) {
	fs := newFlags(name, name+" [FILE|DIR...]", s)
	if flags != nil {
		flags(fs)
	}
	paths, err := parseInterspersed(fs, args, s)
	if err != nil {
		return nil, nil, err
	}
	rs, err := loadRulesReport(ctx, paths, s)
	return rs, paths, err
}

func rulesCheck(ctx context.Context, args []string, s stdio) error {
	rs, paths, err := parseAndLoad(ctx, "rules check", args, s, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "ok: %d rules from %s\n", rs.Len(), describeSources(paths))
	return nil
}

func rulesTest(ctx context.Context, args []string, s stdio) error {
	var only multiFlag
	rs, paths, err := parseAndLoad(ctx, "rules test", args, s, func(fs *flag.FlagSet) {
		fs.Var(&only, "rule", "run only this rule's examples (repeatable)")
	})
	if err != nil {
		return err
	}
	for _, id := range only {
		if !rs.Has(id) {
			fmt.Fprintf(s.err, "demoguard rules test: no rule %q in %s\n", id, describeSources(paths))
			return exitWith(exitErr)
		}
	}
	failures, run := rs.TestExamples(only...)
	for _, f := range failures {
		verb := "must match"
		if !f.WantMatch {
			verb = "must not match"
		}
		fmt.Fprintf(s.out, "FAIL %s:%d: rule %q %s %q\n", f.File, f.Line, f.Rule, verb, f.Text)
	}
	noExamples := 0
	for _, r := range rs.Rules() {
		if len(only) > 0 && !contains(only, r.ID) {
			continue
		}
		if len(r.MustMatch)+len(r.MustNotMatch) == 0 {
			noExamples++
		}
	}
	fmt.Fprintf(s.out, "%d examples: %d passed, %d failed", run, run-len(failures), len(failures))
	if noExamples > 0 {
		fmt.Fprintf(s.out, " (%d rules have no examples)", noExamples)
	}
	fmt.Fprintln(s.out)
	if len(failures) > 0 {
		return exitWith(exitFindings)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func rulesList(ctx context.Context, args []string, s stdio) error {
	rs, _, err := parseAndLoad(ctx, "rules list", args, s, nil)
	if err != nil {
		return err
	}
	for _, r := range rs.Rules() {
		fmt.Fprintf(s.out, "%-24s %-9s %-13s %s:%d  %s\n", r.ID, r.Severity, r.Kind, r.File, r.Line, oneLineText(r.Description))
	}
	return nil
}

// oneLineText keeps a listing one line a rule: a multi-line description is
// joined, and control characters (escape sequences) become spaces.
func oneLineText(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

func rulesHash(ctx context.Context, args []string, s stdio) error {
	fs := newFlags("rules hash", "rules hash [--salt S] TERMS_FILE", s)
	salt := fs.String("salt", "", "salt for the hashes (default: a new random salt, printed with the output)")
	paths, err := parseInterspersed(fs, args, s)
	if err != nil {
		return err
	}
	if len(paths) != 1 {
		fmt.Fprintln(s.err, "demoguard rules hash: give exactly one terms file")
		return errUsage
	}
	if *salt == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		*salt = hex.EncodeToString(b)
	}
	var terms []string
	// The same reader as terms_file: regular files within the size limit
	// only, so a FIFO or /dev/zero cannot hang or exhaust `rules hash`.
	_, err = rules.ReadTerms(ctx, paths[0], func(t string, _ int) { terms = append(terms, t) })
	if err != nil {
		return fmt.Errorf("rules hash: %s: %w", paths[0], err)
	}
	if len(terms) == 0 {
		fmt.Fprintf(s.err, "demoguard rules hash: %s holds no terms\n", paths[0])
		return exitWith(exitErr)
	}
	return writeHashed(s.out, paths[0], *salt, terms)
}

// writeHashed prints a TOML fragment to paste into a [[rules]] table. The
// hashes are sorted so the output does not reveal the list's order.
func writeHashed(w io.Writer, name, salt string, terms []string) error {
	seen := map[string]bool{}
	var hashes []string
	for _, t := range terms {
		h := rules.HashTerm(salt, t)
		if !seen[h] {
			seen[h] = true
			hashes = append(hashes, h)
		}
	}
	sort.Strings(hashes)
	fmt.Fprintf(w, "# %d terms from %s, made by `demoguard rules hash`\n", len(hashes), name)
	fmt.Fprintf(w, "salt = %q\n", salt)
	fmt.Fprintln(w, "terms_sha256 = [")
	for _, h := range hashes {
		fmt.Fprintf(w, "  %q,\n", h)
	}
	_, err := fmt.Fprintln(w, "]")
	return err
}
