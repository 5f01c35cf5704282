package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// shutdownLimit is how long the process may take to stop after the first
// SIGINT or SIGTERM. Shutdown is bounded where it waits (outputs, actions,
// webhook, hub: watch.OutputWait), but a write into a pipe nobody reads
// never returns, whoever makes it (stdout, stderr, the last line of a
// report): past this the process exits anyway, as a second signal makes it.
//
// A binary built with the race detector (tests) is given 3 s more: it runs
// several times slower, and shutdown paths that end well within the limit
// otherwise (a cancelled rule load) do not under it.
var shutdownLimit = 1700*time.Millisecond + raceSlack

// signalContext returns a context cancelled by the first SIGINT or SIGTERM;
// a second one exits at once through exit (status 128+signal, as a shell
// reports a killed process).
//
// Past shutdownLimit after the first signal it exits as on a second one
// (a write blocked for good must not need SIGKILL), unless the returned
// cancel was called (the caller is exiting on its own). Its last line on
// stderr is given 100 ms, as stderr may be the pipe that blocks.
//
// The second signal is handled here rather than by restoring the default
// action after the first: a process started with SIGINT ignored (a
// script's "demoguard watch &") gets that ignored disposition back when the
// handler is removed, and would then ignore every further Ctrl-C.
func signalContext(parent context.Context, stderr io.Writer, exit func(int)) (context.Context, context.CancelFunc) {
	ctx, cancelCtx := context.WithCancel(parent)
	stopped := make(chan struct{})
	var once sync.Once
	// cancel also disarms the shutdown limit: the caller is exiting.
	cancel := func() { once.Do(func() { close(stopped) }); cancelCtx() }
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		var first os.Signal
		select {
		case first = <-sigs:
			cancelCtx()
		case <-ctx.Done():
			signal.Stop(sigs)
			return
		}
		code := func(s os.Signal) int {
			if n, ok := s.(syscall.Signal); ok {
				return 128 + int(n)
			}
			return 130
		}
		select {
		case <-stopped:
		case s := <-sigs:
			say(stderr, fmt.Sprintf("demoguard: second %v: exiting at once\n", s))
			exit(code(s))
		case <-time.After(shutdownLimit):
			say(stderr, fmt.Sprintf("demoguard: %s: not stopped after %v (a write that does not return?): exiting; what was not written is lost\n", sigName(first), shutdownLimit))
			exit(code(first))
		}
	}()
	return ctx, cancel
}

// say writes msg to w, waiting at most 100 ms: w may be a pipe nobody reads.
func say(w io.Writer, msg string) {
	done := make(chan struct{})
	go func() { defer close(done); io.WriteString(w, msg) }()
	select {
	case <-done:
	case <-time.After(100 * time.Millisecond):
	}
}

func sigName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
