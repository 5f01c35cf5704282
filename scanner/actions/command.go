package actions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/demoguard/demoguard/scanner/event"
)

// run runs argv with stdin, killing it (and, on Unix, the processes it
// started) after timeout. The event's kind, severity and rule are in the
// environment too, for scripts that do not parse JSON.
func run(ctx context.Context, argv []string, timeout time.Duration, stdin []byte, e event.Event) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(stdin)
	out := &tail{max: 2048}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(),
		"DEMOGUARD_EVENT="+string(e.Event), "DEMOGUARD_SEVERITY="+e.Severity,
		"DEMOGUARD_RULE="+e.Rule, "DEMOGUARD_INCIDENT="+e.Incident)
	killGroup(cmd)
	// A child that keeps our pipes open must not keep us waiting.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("timed out after %v", timeout)
	case err != nil && out.String() != "":
		return fmt.Errorf("%w: %s", err, out.String())
	case err != nil:
		return err
	}
	return nil
}

// tail keeps the last max bytes written, for an error message.
type tail struct {
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

// String is the last line of output, trimmed.
func (t *tail) String() string {
	s := strings.TrimSpace(string(t.b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
