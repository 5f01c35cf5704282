package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/demoguard/demoguard/scanner/hub"
)

func init() {
	register(&command{name: "hub", summary: "AV booth page with one tile per room, fed by agents (watch --hub)", run: runHub})
}

func runHub(ctx context.Context, args []string, s stdio) error {
	fs := newFlags("hub", "hub [--listen ADDR] [--token T]", s)
	listen := fs.String("listen", hub.DefaultAddr, "address to serve the page and the agents' API on; any non-loopback address requires a token")
	token := fs.String("token", "", "token agents and browsers must present (or $DEMOGUARD_HUB_TOKEN); generated and printed when needed and not given")
	offline := fs.Duration("offline-after", 0, "show a room offline after this long without a heartbeat (default: 3 of the agent's heartbeats + 1s)")
	if err := parseFlags(fs, args, s); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "demoguard hub: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *token == "" {
		*token = os.Getenv("DEMOGUARD_HUB_TOKEN")
	}
	if *offline < 0 {
		return &exitError{code: exitErr, msg: fmt.Sprintf("--offline-after %v: want a positive duration", *offline)}
	}
	srv, err := hub.Start(hub.Options{Addr: *listen, Token: *token, OfflineAfter: *offline})
	if err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	srv.Announce(s.err)
	fmt.Fprintln(s.err, "demoguard: hub running; Ctrl-C stops")
	<-ctx.Done()
	// Agents keep their events queued while the hub is away, and the
	// next hub rebuilds its view from their heartbeats: nothing to save.
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			return &exitError{code: exitErr, msg: err.Error()}
		}
	case <-time.After(5 * time.Second):
	}
	return nil
}
