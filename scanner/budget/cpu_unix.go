//go:build unix

package budget

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time (user+system) this process used so far. OCR
// runs in child processes, which are charged separately by wall time.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
