package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/event"
)

// The test binary doubles as the demoguard binary (no separate build): with
// DEMOGUARD_TEST_MAIN=1 it runs main() with its arguments before any test.
func init() {
	if os.Getenv("DEMOGUARD_TEST_MAIN") == "1" {
		main()
	}
}

// SIGINT while an incident is open: a clear event for it, exit status 0.
func TestWatchSIGINT(t *testing.T) {
	disp := xtest.StartXvfb(t, "1920x1080x24")
	if err := xtest.SetRootImage(disp, slide()); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "watch", "--format", "json", "--interval", "100ms")
	cmd.Env = append(os.Environ(), "DEMOGUARD_TEST_MAIN=1", "DISPLAY="+disp, "XDG_CONFIG_HOME="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuf
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	events := make(chan event.Event, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e event.Event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				events <- e
			}
		}
		close(events)
	}()
	next := func(d time.Duration) event.Event {
		t.Helper()
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("watch exited early; stderr:\n%s", stderr.String())
			}
			return e
		case <-time.After(d):
			t.Fatalf("no event within %v; stderr:\n%s", d, stderr.String())
		}
		return event.Event{}
	}
	if e := next(60 * time.Second); e.Event != event.Reload {
		t.Fatalf("first event %+v", e)
	}
	win := show(t, disp, card("Memo: TOP SECRET"), 600, 500)
	defer win.Close()
	alert := next(30 * time.Second) // the first frame may still be being read
	if alert.Event != event.Alert {
		t.Fatalf("want an alert, got %+v", alert)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if e := next(10 * time.Second); e.Event != event.Clear || e.Incident != alert.Incident || e.ExposureMS == nil {
		t.Fatalf("after SIGINT: %+v, want the clear of %s", e, alert.Incident)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v (want status 0); stderr:\n%s", err, stderr.String())
	}
}
