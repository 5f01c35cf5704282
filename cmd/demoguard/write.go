package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// ctxWriter gives up writing when ctx ends: a report or a line written into
// a pipe nobody reads must not keep a signal from ending the command. The
// write itself cannot be cancelled; it is left behind (with a copy of the
// bytes) until the process exits, and no further write is started.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

// errNotRead is returned by a write that ctx ended.
var errNotRead = fmt.Errorf("interrupted while writing (the reader is not reading)")

func (c ctxWriter) Write(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, errNotRead
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	b := bytes.Clone(p) // the caller may reuse p once Write returned
	go func() {
		n, err := c.w.Write(b)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-c.ctx.Done():
		return 0, errNotRead
	}
}
