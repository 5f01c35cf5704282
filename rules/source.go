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
func openRegular(path string, lim limit) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open" // what the user asked for; stat is how
		}
		return nil, nil, err
	}
	if err := checkRegular(fi, lim); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	if fi, err = f.Stat(); err == nil {
		err = checkRegular(fi, lim)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

func checkRegular(fi fs.FileInfo, lim limit) error {
	if !fi.Mode().IsRegular() {
		return ErrNotRegular
	}
	if fi.Size() > lim.bytes {
		return sizeError{lim}
	}
	return nil
}

// limit is a size limit on one kind of file.
type limit struct {
	bytes int64
	what  string
}

var (
	ruleFileLimit  = limit{MaxRuleFileBytes, "rule file"}
	termsFileLimit = limit{MaxTermsFileBytes, "terms file"}
)

// sizeError says which limit a file passed; it is an ErrTooLarge.
type sizeError struct{ limit }

func (e sizeError) Error() string {
	if e.bytes >= 1<<20 {
		return fmt.Sprintf("larger than %d MB (the limit for a %s)", e.bytes>>20, e.what)
	}
	return fmt.Sprintf("larger than %d bytes (the limit for a %s)", e.bytes, e.what)
}

func (e sizeError) Is(target error) bool { return target == ErrTooLarge }

// readRuleFile reads a whole rule file, at most MaxRuleFileBytes even if it
// grows while being read.
func readRuleFile(path string) ([]byte, error) { return readAll(path, ruleFileLimit) }

// readAll reads a whole regular file of at most lim bytes.
func readAll(path string, lim limit) ([]byte, error) {
	f, _, err := openRegular(path, lim)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, lim)
}

// readLimited reads r to its end, failing once it passes lim: the size seen
// by stat is not enough, since a file may grow while it is read and files in
// /proc say 0 and still have content. At most lim+1 bytes are read.
func readLimited(r io.Reader, lim limit) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, lim.bytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > lim.bytes {
		return nil, sizeError{lim}
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
	return readTerms(ctx, path, termsFileLimit, nil, add)
}

// readTerms is ReadTerms with a limit; reserve, if set, is told the file
// size before the first term so a caller can size its tables once.
func readTerms(ctx context.Context, path string, lim limit, reserve func(size int64), add func(term string, line int)) (int, error) {
	f, fi, err := openRegular(path, lim)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if reserve != nil {
		reserve(fi.Size())
	}
	return scanTerms(ctx, f, lim, add)
}

// scanTerms reads terms from r, at most lim bytes of it (the limit holds
// even if the file grows while it is read).
func scanTerms(ctx context.Context, r io.Reader, lim limit, add func(term string, line int)) (int, error) {
	lr := &io.LimitedReader{R: r, N: lim.bytes + 1}
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
		return n, sizeError{lim}
	}
	return n, ctx.Err()
}
