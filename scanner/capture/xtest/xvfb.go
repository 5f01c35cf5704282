// Package xtest gives tests a real, private X server (Xvfb) and a tiny X
// client to put content on it: images in override-redirect windows (a chat
// notification popping up), a root-window background (the slide), and
// RandR monitors carved out of one wide screen (side-by-side monitors).
//
// Everything talks X11 through github.com/jezek/xgb, so tests need only the
// Xvfb binary (Debian: apt-get install -y xvfb), no xrandr/xdotool.
package xtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
)

func init() {
	// Without an .Xauthority xgb logs on every connection; tests connect a
	// lot. Set in init so no xgb goroutine reads the logger concurrently.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// Display numbers we try: high enough to stay clear of real sessions (:0,
// :1, ssh's :10+) and of each other across concurrently running tests.
const (
	firstDisplay = 90
	lastDisplay  = 199
)

// startTimeout bounds how long Xvfb may take to accept connections; the
// build machines are shared and slow under load.
const startTimeout = 20 * time.Second

// Server is a running Xvfb owned by a test.
type Server struct {
	Display string // e.g. ":123"
	Num     int

	t       testing.TB
	screens []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    *syncBuffer
}

// StartXvfb starts `Xvfb :N -noreset -screen 0 1920x1080x24 ...` on a free
// display number and returns ":N". Each screens entry is a WxHxD spec for
// one more X screen (default: one 1920x1080x24 screen); entries starting
// with '+' or '-' are passed as server options (e.g. "+xinerama"). The server is killed
// in t.Cleanup. A missing Xvfb fails the test: skipping would hide that the
// capture path is untested.
func StartXvfb(t testing.TB, screens ...string) (display string) {
	t.Helper()
	return StartServer(t, screens...).Display
}

// StartServer is StartXvfb returning the Server, for tests that kill and
// restart it.
func StartServer(t testing.TB, screens ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatalf("xtest: Xvfb is not installed (%v); install it with: apt-get install -y xvfb", err)
	}
	if !slices.ContainsFunc(screens, func(s string) bool { return !strings.HasPrefix(s, "+") && !strings.HasPrefix(s, "-") }) {
		screens = append([]string{"1920x1080x24"}, screens...)
	}
	s := &Server{t: t, screens: screens}
	t.Cleanup(func() { s.Stop() })

	// Start at a random number so parallel test binaries rarely race for the
	// same one; Xvfb's own lock file settles the races that remain.
	span := lastDisplay - firstDisplay + 1
	off := rand.IntN(span)
	var tried []string
	for i := 0; i < span; i++ {
		n := firstDisplay + (off+i)%span
		if inUse(n) {
			continue
		}
		err := s.start(n)
		if err == nil {
			return s
		}
		tried = append(tried, fmt.Sprintf(":%d: %v", n, err))
		if len(tried) >= 5 {
			break
		}
	}
	t.Fatalf("xtest: could not start Xvfb:\n%s", strings.Join(tried, "\n"))
	return nil
}

func inUse(n int) bool {
	for _, p := range []string{fmt.Sprintf("/tmp/.X%d-lock", n), fmt.Sprintf("/tmp/.X11-unix/X%d", n)} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// start launches Xvfb on display n and waits until it is ready. -displayfd
// makes Xvfb write the display number once it accepts connections, which
// also proves the server listening is ours and not a neighbour's.
func (s *Server) start(n int) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	args := []string{":" + strconv.Itoa(n), "-noreset", "-nolisten", "tcp", "-displayfd", "3"}
	i := 0
	for _, spec := range s.screens {
		if strings.HasPrefix(spec, "+") || strings.HasPrefix(spec, "-") {
			args = append(args, spec) // a server option such as +xinerama
			continue
		}
		args = append(args, "-screen", strconv.Itoa(i), spec)
		i++
	}
	cmd := exec.Command("Xvfb", args...)
	logBuf := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logBuf, logBuf
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	w.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	ready := make(chan string, 1)
	go func() {
		// One line; EOF without it means Xvfb exited (display taken, bad args).
		line, _ := bufio.NewReader(io.LimitReader(r, 64)).ReadString('\n')
		ready <- strings.TrimSpace(line)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case got := <-ready:
		if got != strconv.Itoa(n) {
			<-waitOrKill(cmd, exited)
			return fmt.Errorf("xtest: Xvfb exited before it was ready: %s", lastLines(logBuf.String(), 3))
		}
	case <-timer.C:
		<-waitOrKill(cmd, exited)
		return fmt.Errorf("xtest: Xvfb not ready after %v: %s", startTimeout, lastLines(logBuf.String(), 3))
	}
	s.mu.Lock()
	s.Num, s.Display = n, ":"+strconv.Itoa(n)
	s.cmd, s.exited, s.log = cmd, exited, logBuf
	s.mu.Unlock()
	return nil
}

func waitOrKill(cmd *exec.Cmd, exited chan struct{}) chan struct{} {
	select {
	case <-exited:
	case <-time.After(100 * time.Millisecond):
		cmd.Process.Kill()
	}
	return exited
}

// Kill ends the server abruptly (SIGKILL), like a crashed X server.
func (s *Server) Kill() error { return s.signal(syscall.SIGKILL) }

// Stop ends the server cleanly (SIGTERM, then SIGKILL after 3 s). Called
// automatically in t.Cleanup.
func (s *Server) Stop() error { return s.signal(syscall.SIGTERM) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	cmd.Process.Signal(sigCont) // a paused server cannot act on SIGTERM
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	return nil
}

// Pause freezes the server (SIGSTOP): connections stay open but nothing is
// answered, like a hung X server. Resume undoes it.
func (s *Server) Pause() error { return s.send(sigStop) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error { return s.send(sigCont) }

func (s *Server) send(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("xtest: server not running")
	}
	return s.cmd.Process.Signal(sig)
}

// Restart starts a fresh server on the same display number (after Kill or
// Stop), as when the user's X server is restarted.
func (s *Server) Restart() error {
	s.Stop()
	var err error
	// A SIGKILLed server leaves its lock and socket; Xvfb clears stale ones
	// itself but may need a moment when the old process is being reaped.
	for i := 0; i < 5; i++ {
		if err = s.start(s.Num); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("xtest: restart Xvfb on %s: %w", s.Display, err)
}

// Log returns what the server printed, for failure messages.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return ""
	}
	return s.log.String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 64<<10 { // Xvfb is chatty about missing fonts; keep the tail bounded
		b.b.Reset()
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
