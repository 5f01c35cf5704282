package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit codes shared by every scanning command.
const (
	exitClean    = 0 // nothing found
	exitFindings = 1 // findings (or failed rule tests)
	exitErr      = 2 // bad input, bad rules, environment problems
)

// exitError carries an exit code through run; msg is printed if not empty.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func exitWith(code int) error { return &exitError{code: code} }

// errUsage marks flag/usage problems; they exit 2 after the usage was printed.
var errUsage = errors.New("usage")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io stdio) error
}

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	s := stdio{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitWith(exitErr)
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run(ctx, []string{"-h"}, s)
			}
		}
		usage(stdout)
		return nil
	}
	c, ok := commands[name]
	if !ok || strings.HasPrefix(name, "_") {
		fmt.Fprintf(stderr, "demoguard: unknown command %q\n\n", name)
		usage(stderr)
		return exitWith(exitErr)
	}
	err := c.run(ctx, args[1:], s)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if errors.Is(err, errUsage) {
		return exitWith(exitErr)
	}
	return err
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "demoguard keeps confidential things off the big screen.")
	fmt.Fprintln(w, "\nUsage: demoguard <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		if !strings.HasPrefix(n, "_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "  help       this text; `demoguard help CMD` or `demoguard CMD -h` for a command")
	fmt.Fprintln(w, "\nExit codes: 0 nothing found, 1 findings, 2 errors.")
}

// newFlags makes a FlagSet that prints its usage to the command's stderr (or
// stdout for -h) and never exits the process.
func newFlags(name, synopsis string, s stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: demoguard %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses and maps -h to flag.ErrHelp with usage on stdout, other
// errors to errUsage (the flag package already printed the problem).
func parseFlags(fs *flag.FlagSet, args []string, s stdio) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(s.out)
			fs.Usage()
			return flag.ErrHelp
		}
		if a == "--" {
			break
		}
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	return nil
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
