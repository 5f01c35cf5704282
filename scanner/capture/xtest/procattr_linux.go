//go:build linux

package xtest

import "syscall"

// sysProcAttr kills Xvfb when the test binary dies without running its
// cleanups (go test -timeout panics, SIGKILL), so no servers pile up on the
// shared machine. Caveat: Linux sends it when the forking *thread* exits,
// which Go only does for goroutines that exit while locked to their thread.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
