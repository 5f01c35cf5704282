package budget

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// Workers measures the CPU time of OCR worker processes, for recognizers
// that tell their pids (ocr.Engine does). Linux only (/proc); elsewhere the
// agent estimates from wall time. The zero value is ready.
type Workers struct {
	last map[int]time.Duration
}

type pidLister interface{ WorkerPIDs() []int }

// Used returns the CPU the workers of r used since the last call, and false
// when r does not list its workers or their CPU cannot be read.
func (w *Workers) Used(r any) (time.Duration, bool) {
	pl, ok := r.(pidLister)
	if !ok {
		return 0, false
	}
	pids := pl.WorkerPIDs()
	if len(pids) == 0 {
		return 0, false
	}
	next := make(map[int]time.Duration, len(pids))
	var total time.Duration
	for _, pid := range pids {
		cpu, ok := PIDCPU(pid)
		if !ok {
			return 0, false
		}
		next[pid] = cpu
		total += cpu - w.last[pid] // a new (recycled) worker counts from 0
	}
	w.last = next
	return total, true
}

// clockTick is USER_HZ, 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// PIDCPU is the CPU time (utime+stime) process pid used so far, from
// /proc/pid/stat; false when it cannot be read (it exited, no /proc).
func PIDCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may contain spaces; fields after it are
	// counted from its closing parenthesis.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * clockTick, true
}
