package rules

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// Conditions callers may act on; Error.Msg carries their text.
var (
	// ErrNotRegular: a rule or terms file that is a FIFO, a device (or a
	// link to one), a socket or a directory. Reading one could block
	// forever (a FIFO with no writer) or never end (/dev/zero).
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: a file over MaxRuleFileBytes or MaxTermsFileBytes.
	ErrTooLarge = errors.New("file too large")
)

// openRegular opens path for reading only if it is a regular file (after
// following links), without ever blocking: stat first so a FIFO is not even
// opened, then open non-blocking and check the opened file again, so a file
// swapped for a FIFO between the two cannot hang the open either.
func openRegular(path string, limit int64) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open" // what the user asked for; stat is how
		}
		return nil, nil, err
	}
	if err := checkRegular(fi, limit); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	if fi, err = f.Stat(); err == nil {
		err = checkRegular(fi, limit)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

func checkRegular(fi fs.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		return ErrNotRegular
	}
	if fi.Size() > limit {
		return tooLarge(limit)
	}
	return nil
}

// sizeError says which limit a file passed; it is an ErrTooLarge.
type sizeError struct{ limit int64 }

func (e sizeError) Error() string {
	what := "terms file"
	if e.limit == MaxRuleFileBytes {
		what = "rule file"
	}
	return fmt.Sprintf("larger than %d MB (the limit for a %s)", e.limit>>20, what)
}

func (e sizeError) Is(target error) bool { return target == ErrTooLarge }

func tooLarge(limit int64) error { return sizeError{limit} }

// readRuleFile reads a whole rule file, at most MaxRuleFileBytes even if it
// grows while being read.
func readRuleFile(path string) ([]byte, error) {
	f, _, err := openRegular(path, MaxRuleFileBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The limit holds even if the file grows while it is read.
	data, err := io.ReadAll(io.LimitReader(f, MaxRuleFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRuleFileBytes {
		return nil, tooLarge(MaxRuleFileBytes)
	}
	return data, nil
}

// ctxEvery is how many terms-file lines are read between checks for
// cancellation: a 64 MB file is read in a few seconds, so a signal is
// noticed within milliseconds.
const ctxEvery = 4096

// ReadTerms reads a terms file the way terms_file does: one term a line, '#'
// starts a comment, blank lines ignored, at most MaxTermsFileBytes, regular
// files only. It calls add for each term with its line number and returns
// how many it read. It stops with ctx's error when ctx is done.
func ReadTerms(ctx context.Context, path string, add func(term string, line int)) (int, error) {
	return readTerms(ctx, path, nil, add)
}

// readTerms is ReadTerms; reserve, if set, is told the file size before the
// first term so a caller can size its tables once.
func readTerms(ctx context.Context, path string, reserve func(size int64), add func(term string, line int)) (int, error) {
	f, fi, err := openRegular(path, MaxTermsFileBytes)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if reserve != nil {
		reserve(fi.Size())
	}
	// The limit holds even if the file grows while it is read.
	lr := &io.LimitedReader{R: f, N: MaxTermsFileBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for line := 1; sc.Scan(); line++ {
		if line%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		t := sc.Text()
		if i := strings.IndexByte(t, '#'); i >= 0 {
			t = t[:i]
		}
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		add(t, line)
		n++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return n, errors.New("a line longer than 1 MB")
		}
		return n, err
	}
	if lr.N <= 0 {
		return n, tooLarge(MaxTermsFileBytes)
	}
	return n, ctx.Err()
}
