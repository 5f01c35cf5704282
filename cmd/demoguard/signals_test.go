package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// With DEMOGUARD_TEST_SIGNALS=1 the test binary installs the real signal
// handling, says "ready", and after the first signal says "first" and
// never finishes shutting down: only a working second signal ends it.
func init() {
	if os.Getenv("DEMOGUARD_TEST_SIGNALS") != "1" {
		return
	}
	ctx, _ := signalContext(context.Background(), os.Stderr, os.Exit)
	fmt.Println("ready")
	<-ctx.Done()
	fmt.Println("first")
	select {}
}

func TestSecondSignalExits(t *testing.T) {
	tests := []struct {
		name   string
		ignore bool // started with SIGINT ignored, as "cmd &" in a script does
		sig    syscall.Signal
	}{
		{"interrupt", false, syscall.SIGINT},
		{"interrupt, started ignored", true, syscall.SIGINT},
		{"terminate", false, syscall.SIGTERM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{os.Args[0], "-test.run=^$"}
			if tc.ignore {
				// trap '' INT sets SIG_IGN, which exec keeps for the child.
				args = append([]string{"/bin/sh", "-c", `trap '' INT; exec "$@"`, "sh"}, args...)
			}
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Env = append(os.Environ(), "DEMOGUARD_TEST_SIGNALS=1")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			lines := make(chan string, 4)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			expect := func(want string) {
				t.Helper()
				select {
				case l := <-lines:
					if l != want {
						t.Fatalf("got %q, want %q", l, want)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("no %q from the child", want)
				}
			}
			expect("ready")
			cmd.Process.Signal(tc.sig)
			expect("first")
			cmd.Process.Signal(tc.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !asExit(err, &ee) || ee.ExitCode() != 128+int(tc.sig) {
					t.Fatalf("exit: %v, want status %d; stderr: %s", err, 128+int(tc.sig), stderr.String())
				}
				if !strings.Contains(stderr.String(), "exiting at once") {
					t.Errorf("stderr %q does not say why it exited", stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the second signal did not end the process")
			}
		})
	}
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

// One signal and a shutdown that never finishes (a write that does not
// return): the process exits by itself after shutdownLimit, saying so.
func TestShutdownLimit(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DEMOGUARD_TEST_SIGNALS=1", noRaceExitSleep())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("child said %q, want ready", sc.Text())
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	if !sc.Scan() || sc.Text() != "first" {
		t.Fatalf("child said %q, want first", sc.Text())
	}
	err = cmd.Wait()
	took := time.Since(sent)
	var ee *exec.ExitError
	if !asExit(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Fatalf("exit: %v, want status %d; stderr: %s", err, 128+int(syscall.SIGTERM), stderr.String())
	}
	if took < shutdownLimit || took > shutdownLimit+300*time.Millisecond {
		t.Errorf("exited %v after the signal, want between %v and %v", took, shutdownLimit, shutdownLimit+300*time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "SIGTERM: not stopped after") {
		t.Errorf("stderr %q does not say why it exited", stderr.String())
	}
}
