package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/event"
)

// fillPipe writes into w until the pipe is full: its reader never reads,
// so the next write blocks for good (a program that stopped reading).
func fillPipe(t *testing.T, w *os.File) {
	t.Helper()
	buf := make([]byte, 4096)
	for {
		if err := w.SetWriteDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(buf); err != nil {
			if !os.IsTimeout(err) {
				t.Fatal(err)
			}
			break
		}
	}
	w.SetWriteDeadline(time.Time{})
}

// blockedState is what the test reads of the page's /state.json.
type blockedState struct {
	Alerts []struct{ Incident, Rule string } `json:"alerts"`
	Status struct {
		Displays []string
		Outputs  string
	} `json:"status"`
}

// `demoguard watch --format json > pipe` whose reader stopped reading
// before the first event: detection goes on, the alert reaches the --log
// file and the presenter page, the page says stdout is losing events, and
// SIGTERM ends the process within 2 s (status 0: the outputs' wait is
// bounded, the backstop in signalContext is not what ends it). The same
// with stderr on such a pipe too.
func TestWatchStdoutNeverRead(t *testing.T) {
	t.Run("stdout", func(t *testing.T) { watchNeverRead(t, false) })
	t.Run("stdout and stderr", func(t *testing.T) { watchNeverRead(t, true) })
}

func watchNeverRead(t *testing.T, blockStderr bool) {
	disp := xtest.StartXvfb(t, "1920x1080x24")
	if err := xtest.SetRootImage(disp, slide()); err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close() // never read
	fillPipe(t, pw)

	logFile := filepath.Join(t.TempDir(), "audit.jsonl")
	addr := "127.0.0.1:0"
	if blockStderr { // the page's address cannot be read from stderr
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr().String()
		l.Close()
	}
	cmd := exec.Command(os.Args[0], "watch", "--format", "json", "--interval", "100ms", "--log", logFile, "--ui", addr)
	cmd.Env = append(os.Environ(), "DEMOGUARD_TEST_MAIN=1", noRaceExitSleep(), "DISPLAY="+disp, "XDG_CONFIG_HOME="+t.TempDir())
	cmd.Stdout = pw
	var stderr syncBuf
	cmd.Stderr = &stderr
	if blockStderr {
		cmd.Stderr = pw
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close() // the child holds it
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()

	// waitFor polls cond until it holds, failing after d.
	waitFor := func(d time.Duration, what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond() {
			select {
			case err := <-exited:
				t.Fatalf("watch exited (%v) waiting for %s; stderr:\n%s", err, what, stderr.String())
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s within %v; stderr:\n%s", what, d, stderr.String())
			}
		}
	}
	base := "http://" + addr
	waitFor(60*time.Second, "presenter page", func() bool {
		if blockStderr {
			resp, err := http.Get(base + "/state.json")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil
		}
		m := regexp.MustCompile(`presenter page: (http://\S+)`).FindStringSubmatch(stderr.String())
		if m != nil {
			base = strings.TrimSuffix(m[1], "/")
		}
		return m != nil
	})
	state := func() blockedState {
		t.Helper()
		resp, err := http.Get(base + "/state.json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st blockedState
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	logged := func() []event.Event {
		f, err := os.Open(logFile)
		if err != nil {
			return nil
		}
		defer f.Close()
		var es []event.Event
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var e event.Event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				es = append(es, e)
			}
		}
		return es
	}
	// The start-up event, which used to block for good on stdout, reaches
	// the log, and the agent runs (it used to show no displays).
	waitFor(60*time.Second, "start-up event in the log", func() bool {
		es := logged()
		return len(es) > 0 && es[0].Event == event.Reload
	})
	waitFor(30*time.Second, "display on the page", func() bool { return len(state().Status.Displays) > 0 })
	time.Sleep(time.Second) // the first frame read

	win := show(t, disp, card("Memo: TOP SECRET"), 600, 500)
	defer win.Close()
	var alert event.Event
	waitFor(30*time.Second, "alert in the log", func() bool {
		for _, e := range logged() {
			if e.Event == event.Alert {
				alert = e
				return true
			}
		}
		return false
	})
	waitFor(5*time.Second, "alert on the page", func() bool {
		for _, a := range state().Alerts {
			if a.Incident == alert.Incident {
				return true
			}
		}
		return false
	})
	// stdout has been blocked since the first event: the page says so.
	waitFor(10*time.Second, "stdout named on the page", func() bool {
		return strings.Contains(state().Status.Outputs, "stdout: blocked for")
	})

	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		took := time.Since(sent)
		t.Logf("exit %v after SIGTERM in %v", err, took)
		if took > 2*time.Second {
			t.Errorf("SIGTERM took %v to end watch, want < 2s", took)
		}
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0 (the outputs' wait is bounded); stderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("watch still running 10s after SIGTERM; stderr:\n%s", stderr.String())
	}
	if !blockStderr && !regexp.MustCompile(`events lost: stdout: (blocked for \d+s, )?(\d+ events dropped, )?\d+ undelivered at shutdown`).MatchString(stderr.String()) {
		t.Errorf("stderr does not count stdout's lost events:\n%s", stderr.String())
	}
	cleared := false
	for _, e := range logged() {
		cleared = cleared || (e.Event == event.Clear && e.Incident == alert.Incident)
	}
	if !cleared {
		t.Errorf("the log has no clear of %s after SIGTERM", alert.Incident)
	}
}

// noRaceExitSleep is GORACE without the race detector's 1 s sleep at every
// process exit (atexit_sleep_ms), which the timings here would count: the
// agent's OCR workers are this test binary too.
func noRaceExitSleep() string {
	return "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// neverRead returns the write end of a pipe that is full and whose reader
// never reads; the reader is closed when the test ends.
func neverRead(t *testing.T) *os.File {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	fillPipe(t, pw)
	return pw
}

// blockedWriting reports whether a thread of process pid sleeps in a pipe
// write (Linux's wchan), and whether that could be told at all.
func blockedWriting(pid int) (blocked, known bool) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", pid))
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil || string(b) == "0" || len(b) == 0 {
			continue
		}
		known = true
		if strings.Contains(string(b), "pipe_write") {
			return true, true
		}
	}
	return false, known
}

// stopWithin sends SIGTERM and waits for the process, failing if it takes
// longer than d; it returns how it exited.
func stopWithin(t *testing.T, cmd *exec.Cmd, exited <-chan error, d time.Duration, stderr fmt.Stringer) error {
	t.Helper()
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		took := time.Since(sent)
		t.Logf("exit %v after SIGTERM in %v", err, took)
		if took > d {
			t.Errorf("SIGTERM took %v, want < %v", took, d)
		}
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after SIGTERM; stderr:\n%s", stderr)
	}
	return nil
}

// `demoguard scan` whose report goes into a pipe nobody reads: SIGTERM
// ends it within 2 s, with exit status 2 and a line saying why, not by the
// signal backstop.
func TestScanStdoutNeverRead(t *testing.T) {
	pw := neverRead(t)
	cmd := exec.Command(os.Args[0], "scan", "--rules", "../../testdata/office/rules.toml", "../../testdata/office/plan.docx")
	cmd.Env = append(os.Environ(), "DEMOGUARD_TEST_MAIN=1", noRaceExitSleep(), "XDG_CONFIG_HOME="+t.TempDir())
	cmd.Stdout = pw
	var stderr syncBuf
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	// The report is being written once a thread sleeps in the pipe's write.
	start, everKnown := time.Now(), false
	deadline := start.Add(30 * time.Second)
	for {
		blocked, known := blockedWriting(cmd.Process.Pid)
		everKnown = everKnown || known
		if blocked {
			break
		}
		if !everKnown && time.Since(start) > 3*time.Second {
			break // wchan tells nothing here; a docx is read well within that
		}
		select {
		case err := <-exited:
			t.Fatalf("scan exited (%v) with its report into a full pipe; stderr:\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("scan not blocked writing its report after 30s; stderr:\n%s", stderr.String())
		}
	}
	err := stopWithin(t, cmd, exited, 2*time.Second, &stderr)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitErr || !strings.Contains(stderr.String(), "interrupted while writing") {
		t.Errorf("exit %v, want status %d saying the report was interrupted; stderr:\n%s", err, exitErr, stderr.String())
	}
}

// `demoguard hub` with stdout and stderr on pipes nobody reads: it serves
// (its start-up lines wait), and SIGTERM ends it within 2 s, status 0.
func TestHubOutputNeverRead(t *testing.T) {
	pw := neverRead(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "hub", "--listen", addr)
	cmd.Env = append(os.Environ(), "DEMOGUARD_TEST_MAIN=1", noRaceExitSleep(), "XDG_CONFIG_HOME="+t.TempDir())
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/state.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("hub state: %s", resp.Status)
			}
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("hub exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub not serving after 30s: %v", err)
		}
	}
	if blocked, known := blockedWriting(cmd.Process.Pid); known && !blocked {
		t.Logf("no thread of the hub in a pipe write (its lines may have fitted?)")
	}
	if err := stopWithin(t, cmd, exited, 2*time.Second, &syncBuf{}); err != nil {
		t.Errorf("hub exit: %v, want status 0", err)
	}
}
