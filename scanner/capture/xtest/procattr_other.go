//go:build !linux

package xtest

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
