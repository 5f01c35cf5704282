package main

import (
	"context"
	"fmt"
	"os"

	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/ocr"
	"github.com/demoguard/demoguard/scanner/watch"
)

func init() {
	// OCR runs in worker processes that re-execute this binary; a worker
	// must turn into one before anything else happens (test binaries too).
	// main.go may call it as well; the first call in a worker never returns.
	ocr.MaybeRunWorker()
	register(&command{name: "watch", summary: "watch the screens live and alert on flagged items", run: runWatch})
}

// watchStarted, when set (tests, benchmarks), is given the agent before it runs.
var watchStarted func(*agent.Agent)

func runWatch(ctx context.Context, args []string, s stdio) error {
	// A first parse for usage errors and -h (and --config); then the
	// config file is read and the flags parsed again over it.
	first := watch.Defaults()
	fs := newFlags("watch", "watch [flags]", s)
	first.Flags(fs)
	if err := parseFlags(fs, args, s); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "demoguard watch: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	raw, err := watch.Load(first.Config, args)
	if err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	raw.Env(os.Getenv)
	cfg, err := raw.Validate()
	if err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	cfg.Stdout, cfg.Stderr, cfg.Started = s.out, s.err, watchStarted
	if err := watch.Run(ctx, cfg); err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	return nil
}
