package xtest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// fatalRecorder captures a Fatalf instead of failing the real test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper()        {}
func (f *fatalRecorder) Cleanup(func()) {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// A missing Xvfb fails the test, saying how to install it.
func TestMissingXvfbFailsWithInstallHint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		StartXvfb(rec)
	}()
	<-done
	if !strings.Contains(rec.msg, "apt-get install -y xvfb") {
		t.Fatalf("Fatalf message %q lacks the install command", rec.msg)
	}
}

// Losing the race for a display number is an error (the caller then tries
// the next one), never a silent connection to someone else's server.
func TestStartOnTakenDisplayFails(t *testing.T) {
	srv := StartServer(t)
	other := &Server{t: t, screens: []string{"640x480x24"}}
	t.Cleanup(func() { other.Stop() })
	err := other.start(srv.Num)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Fatalf("start on taken :%d: err = %v", srv.Num, err)
	}
}
