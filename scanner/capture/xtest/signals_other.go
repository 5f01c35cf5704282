//go:build !unix

package xtest

import "syscall"

// Xvfb does not run here; these only keep the package compiling for tests
// that import it on every OS.
const (
	sigStop = syscall.Signal(0x13)
	sigCont = syscall.Signal(0x12)
)
