//go:build !linux

package output

import (
	"context"
	"errors"
	"image"
)

var errNoX11 = errors.New("window targets and the cursor need X11 (Linux)")

func openWindow(ctx context.Context, t Target, o Options) (Output, error) { return nil, errNoX11 }

// Cursor is unavailable on this system.
type Cursor struct{}

// OpenCursor fails: X11 only.
func OpenCursor(display string) (*Cursor, error) { return nil, errNoX11 }

// Sample fails: X11 only.
func (c *Cursor) Sample() (*image.RGBA, image.Point, image.Point, error) {
	return nil, image.Point{}, image.Point{}, errNoX11
}

// Close does nothing.
func (c *Cursor) Close() error { return nil }
