//go:build !linux

package output

func setPipeSize(fd uintptr, n int) {}
