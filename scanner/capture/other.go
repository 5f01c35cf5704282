//go:build !linux

package capture

import (
	"fmt"
	"image"
	"sync"

	"github.com/kbinani/screenshot"
)

// X11 is, outside Linux, a thin wrapper over github.com/kbinani/screenshot
// (Desktop Duplication/GDI on Windows, ScreenCaptureKit on macOS). It keeps
// the Linux type's name so callers compile unchanged everywhere.
type X11 struct {
	mu     sync.Mutex
	closed bool
}

// Open checks that at least one display is visible: the library swallows
// errors and reports zero displays instead.
func Open() (*X11, error) { return OpenWith(Options{}) }

// OpenWith is Open; the options only matter on X11.
func OpenWith(Options) (*X11, error) {
	if screenshot.NumActiveDisplays() == 0 {
		return nil, fmt.Errorf("%w: the system reports no active display; on macOS grant Screen Recording permission to the terminal running demoguard", ErrNoDisplay)
	}
	return &X11{}, nil
}

// Caveat is empty: nothing known to be hidden from capture here.
func (c *X11) Caveat() string { return "" }

// Displays lists monitors; bounds are relative to the primary display and
// may be negative.
func (c *X11) Displays() ([]Display, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("list displays: %w", ErrClosed)
	}
	n := screenshot.NumActiveDisplays()
	if n == 0 {
		return nil, fmt.Errorf("list displays: %w: no active display", ErrDisconnected)
	}
	ds := make([]Display, n)
	for i := range ds {
		ds[i] = Display{Index: i, Bounds: screenshot.GetDisplayBounds(i), Primary: i == 0}
	}
	return ds, nil
}

// Capture grabs d; the image starts at 0,0.
func (c *X11) Capture(d Display) (*image.RGBA, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("capture display %d: %w", d.Index, ErrClosed)
	}
	img, err := screenshot.CaptureRect(d.Bounds)
	if err != nil {
		return nil, fmt.Errorf("capture display %d: %w", d.Index, err)
	}
	img.Rect = img.Rect.Sub(img.Rect.Min)
	return img, nil
}

// CaptureInto is Capture; the library allocates every frame anyway.
func (c *X11) CaptureInto(d Display, _ *image.RGBA) (*image.RGBA, error) { return c.Capture(d) }

// Close marks the capturer closed; the library holds no resources between calls.
func (c *X11) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}
