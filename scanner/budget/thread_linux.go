package budget

import (
	"time"

	"golang.org/x/sys/unix"
)

// ThreadCPU is the CPU time of the calling OS thread (Linux: RUSAGE_THREAD).
// A goroutine locked to its thread (runtime.LockOSThread) measures its own
// work with it, and not the rest of the process: a rule reload, the
// presenter page, the audience feed. ok is false where only the process's
// CPU can be measured (it is returned instead).
func ThreadCPU() (cpu time.Duration, ok bool) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return ProcessCPU(), false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
