//go:build unix

package scanner

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user+system) this process used so far. OCR
// runs in child processes, which are charged separately by wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
