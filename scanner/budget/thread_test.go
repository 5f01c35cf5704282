package budget

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// The live agent charges its capture loop's thread, so CPU burnt elsewhere in
// the process (a reload parsing a huge rule file) must not show up in it.
func TestThreadCPUIgnoresOtherGoroutines(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, ok := ThreadCPU()
	if !ok {
		t.Skip("per-thread CPU is measured on Linux only")
	}
	procBefore := ProcessCPU()
	var stop atomic.Bool
	done := make(chan struct{})
	go func() { // another goroutine (so another thread) burns CPU
		defer close(done)
		x := 0
		for !stop.Load() {
			for i := range 1_000_000 {
				x += i
			}
		}
		_ = x
	}()
	deadline := time.Now().Add(20 * time.Second)
	for ProcessCPU()-procBefore < 300*time.Millisecond && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop.Store(true)
	<-done
	burnt := ProcessCPU() - procBefore
	after, _ := ThreadCPU()
	if burnt < 300*time.Millisecond {
		t.Fatalf("the busy goroutine got only %v of CPU", burnt)
	}
	if own := after - before; own > burnt/3 {
		t.Fatalf("thread CPU grew by %v while another goroutine burnt %v", own, burnt)
	}
}
