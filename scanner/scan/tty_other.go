//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package scan

import "os"

// isTerminal is conservative where there is no termios: a character device
// (a console; but also /dev/null, where the progress line is harmless).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
