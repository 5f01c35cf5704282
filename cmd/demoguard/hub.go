package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/demoguard/demoguard/scanner/hub"
	"github.com/demoguard/demoguard/scanner/secret"
)

func init() {
	register(&command{name: "hub", summary: "AV booth page with one tile per room, fed by agents (watch --hub)", run: runHub})
}

func runHub(ctx context.Context, args []string, s stdio) error {
	fs := newFlags("hub", "hub [--listen ADDR] [--token T | --token-file F] [--agent-token A | --agent-token-file F]", s)
	listen := fs.String("listen", hub.DefaultAddr, "address to serve the page and the agents' API on; any non-loopback address requires tokens")
	token := fs.String("token", "", "token people need to view the hub's page (or --token-file, or $DEMOGUARD_HUB_TOKEN); generated and printed when needed and not given")
	tokenFile := fs.String("token-file", "", "read the viewers' token from `FILE` (kept out of ps; the URL is then printed without it)")
	agentToken := fs.String("agent-token", "", "token agents need to report (or --agent-token-file, or $DEMOGUARD_AGENT_TOKEN); must differ from --token; generated and printed when needed and not given")
	agentTokenFile := fs.String("agent-token-file", "", "read the agents' token from `FILE`")
	offline := fs.Duration("offline-after", 0, "show a room offline after this long without a heartbeat (default: 3 of the agent's heartbeats + 1s)")
	if err := parseFlags(fs, args, s); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "demoguard hub: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *offline < 0 {
		return &exitError{code: exitErr, msg: fmt.Sprintf("--offline-after %v: want a positive duration", *offline)}
	}
	o := hub.Options{Addr: *listen, OfflineAfter: *offline}
	var warnings []string
	for _, sc := range []struct {
		src       secret.Source
		val, from *string
	}{
		{secret.Source{Flag: "token", Value: *token, File: *tokenFile, Env: "DEMOGUARD_HUB_TOKEN"}, &o.Token, &o.TokenFrom},
		{secret.Source{Flag: "agent-token", Value: *agentToken, File: *agentTokenFile, Env: "DEMOGUARD_AGENT_TOKEN"}, &o.AgentToken, &o.AgentTokenFrom},
	} {
		v, from, warn, err := sc.src.Resolve(os.Getenv)
		if err != nil {
			return &exitError{code: exitErr, msg: "hub: " + err.Error()}
		}
		if warn != "" {
			warnings = append(warnings, warn)
		}
		*sc.val, *sc.from = v, from
	}
	srv, err := hub.Start(o)
	if err != nil {
		return &exitError{code: exitErr, msg: err.Error()}
	}
	// The hub serves from here on, even while stderr does not take these
	// lines (a pipe nobody reads); a signal ends the wait.
	errw := ctxWriter{ctx, s.err}
	for _, w := range warnings {
		fmt.Fprintln(errw, "demoguard: warning:", w)
	}
	srv.Announce(errw)
	fmt.Fprintln(errw, "demoguard: hub running; Ctrl-C stops")
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
	case <-time.After(time.Second): // a signal ends the hub within 2 s
	}
	return nil
}
