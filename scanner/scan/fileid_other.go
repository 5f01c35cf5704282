//go:build !unix

package scan

import (
	"io/fs"
	"path/filepath"
)

// fileID identifies a file or directory by its path with symlinks resolved,
// where the platform has no device and inode numbers to compare.
type fileID struct{ path string }

func idOf(p string, _ fs.FileInfo) (fileID, bool) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return fileID{}, false
	}
	if abs, err := filepath.Abs(real); err == nil {
		real = abs
	}
	return fileID{path: real}, true
}
