package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// signalContext returns a context cancelled by the first SIGINT or SIGTERM;
// a second one exits at once through exit (status 128+signal, as a shell
// reports a killed process).
//
// The second signal is handled here rather than by restoring the default
// action after the first: a process started with SIGINT ignored (a
// script's "demoguard watch &") gets that ignored disposition back when the
// handler is removed, and would then ignore every further Ctrl-C.
func signalContext(parent context.Context, stderr io.Writer, exit func(int)) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
			signal.Stop(sigs)
			return
		}
		s := <-sigs
		fmt.Fprintf(stderr, "demoguard: second %v: exiting at once\n", s)
		code := 130
		if n, ok := s.(syscall.Signal); ok {
			code = 128 + int(n)
		}
		exit(code)
	}()
	return ctx, cancel
}
