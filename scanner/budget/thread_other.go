//go:build !linux

package budget

import "time"

// ThreadCPU falls back to the process's CPU where a thread's own CPU time is
// not available (see thread_linux.go).
func ThreadCPU() (cpu time.Duration, ok bool) { return ProcessCPU(), false }
