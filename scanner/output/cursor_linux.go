package output

import (
	"fmt"
	"image"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xfixes"

	"github.com/demoguard/demoguard/scanner/internal/xext"
)

// Cursor samples the pointer (XFixes GetCursorImage: the current cursor's
// image, hotspot and position) on its own X connection, so the feed can
// draw it into each frame as screen-sharing tools do. Safe for concurrent
// use.
type Cursor struct {
	mu     sync.Mutex
	x      *xgb.Conn
	serial uint32
	img    *image.RGBA
	hot    image.Point
	closed bool
}

// OpenCursor connects to display (default $DISPLAY) and checks for XFixes
// 4 or later.
func OpenCursor(display string) (*Cursor, error) {
	x, _, _, err := dialX(display)
	if err != nil {
		return nil, fmt.Errorf("cursor: %w", err)
	}
	// Through xext: the DAMAGE watcher's connection may be receiving
	// XFixes-numbered events while we initialise.
	if err := xext.Init(x, "XFIXES", xfixes.Init); err != nil {
		x.Close()
		return nil, fmt.Errorf("cursor: XFixes: %w", err)
	}
	v, err := await(xfixes.QueryVersion(x, 5, 0).Reply)
	if err != nil {
		x.Close()
		return nil, fmt.Errorf("cursor: XFixes version: %w", err)
	}
	if v.MajorVersion < 4 {
		x.Close()
		return nil, fmt.Errorf("cursor: XFixes %d.%d is too old (need 4)", v.MajorVersion, v.MinorVersion)
	}
	return &Cursor{x: x}, nil
}

// Sample returns the cursor image (premultiplied RGBA; the same image is
// returned while the cursor does not change shape, so do not modify it),
// its hotspot within the image, and the pointer position in screen
// coordinates. Pass them to DrawCursor. One round trip.
func (c *Cursor) Sample() (img *image.RGBA, hotspot image.Point, pos image.Point, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, image.Point{}, image.Point{}, fmt.Errorf("cursor: closed")
	}
	r, err := await(xfixes.GetCursorImage(c.x).Reply)
	if err != nil {
		return nil, image.Point{}, image.Point{}, fmt.Errorf("cursor: %w", err)
	}
	pos = image.Pt(int(r.X), int(r.Y))
	if c.img == nil || r.CursorSerial != c.serial {
		w, h := int(r.Width), int(r.Height)
		if w*h > len(r.CursorImage) || w > 1024 || h > 1024 {
			return nil, image.Point{}, pos, fmt.Errorf("cursor: bad image %dx%d", w, h)
		}
		im := image.NewRGBA(image.Rect(0, 0, w, h))
		// ARGB in a CARD32, premultiplied, like Go's RGBA.
		for i, p := range r.CursorImage[:w*h] {
			im.Pix[4*i+0] = uint8(p >> 16)
			im.Pix[4*i+1] = uint8(p >> 8)
			im.Pix[4*i+2] = uint8(p)
			im.Pix[4*i+3] = uint8(p >> 24)
		}
		c.img, c.serial, c.hot = im, r.CursorSerial, image.Pt(int(r.Xhot), int(r.Yhot))
	}
	return c.img, c.hot, pos, nil
}

// Close closes the connection.
func (c *Cursor) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.x.Close()
	}
	return nil
}
