package xtest

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Window is an override-redirect window showing an image: no window manager
// decorates, moves or focuses it, so it lands exactly where the test says,
// like a notification popup. It lives on its own X connection.
type Window struct {
	x    *xgb.Conn
	win  xproto.Window
	pix  xproto.Pixmap
	gc   xproto.Gcontext
	once sync.Once
}

// ShowImage maps a window showing img with its top-left corner at (x, y) in
// root coordinates. When it returns the window is on screen: the server
// paints its background pixmap while mapping, and we wait for that.
func ShowImage(display string, img image.Image, x, y int) (*Window, error) {
	c, err := connect(display)
	if err != nil {
		return nil, err
	}
	w := &Window{x: c.x}
	if err := w.create(c, img, x, y); err != nil {
		c.x.Close()
		return nil, fmt.Errorf("xtest: show image on %s: %w", display, err)
	}
	return w, nil
}

func (w *Window) create(c *client, img image.Image, x, y int) error {
	var err error
	if w.pix, w.gc, err = c.pixmapOf(img); err != nil {
		return err
	}
	if w.win, err = xproto.NewWindowId(c.x); err != nil {
		return err
	}
	b := img.Bounds()
	// Value list order follows the mask bits: BackPixmap (1<<0) before
	// OverrideRedirect (1<<9).
	err = xproto.CreateWindowChecked(c.x, c.screen.RootDepth, w.win, c.screen.Root,
		int16(x), int16(y), uint16(b.Dx()), uint16(b.Dy()), 0,
		xproto.WindowClassInputOutput, c.screen.RootVisual,
		xproto.CwBackPixmap|xproto.CwOverrideRedirect, []uint32{uint32(w.pix), 1}).Check()
	if err != nil {
		return fmt.Errorf("create window: %w", err)
	}
	if err := xproto.MapWindowChecked(c.x, w.win).Check(); err != nil {
		return fmt.Errorf("map window: %w", err)
	}
	return nil
}

// Move puts the window's top-left corner at (x, y) and waits until the
// server has done it.
func (w *Window) Move(x, y int) error {
	err := xproto.ConfigureWindowChecked(w.x, w.win, xproto.ConfigWindowX|xproto.ConfigWindowY,
		[]uint32{uint32(int32(x)), uint32(int32(y))}).Check()
	if err != nil {
		return fmt.Errorf("xtest: move window: %w", err)
	}
	return nil
}

// Draw replaces what the window shows with img (its size; a video frame,
// a redrawn terminal) and waits until the server has painted it.
func (w *Window) Draw(img image.Image) error {
	c := &client{x: w.x, setup: xproto.Setup(w.x)}
	c.screen = c.setup.DefaultScreen(w.x)
	if err := c.putImage(xproto.Drawable(w.pix), w.gc, img); err != nil {
		return fmt.Errorf("xtest: draw: %w", err)
	}
	// The window's background is the pixmap: clearing repaints it.
	b := img.Bounds()
	if err := xproto.ClearAreaChecked(w.x, false, w.win, 0, 0, uint16(b.Dx()), uint16(b.Dy())).Check(); err != nil {
		return fmt.Errorf("xtest: draw: %w", err)
	}
	return nil
}

// Close unmaps and destroys the window and waits until it is gone from the
// screen. Safe to call more than once.
func (w *Window) Close() error {
	var err error
	w.once.Do(func() {
		xproto.UnmapWindow(w.x, w.win)
		xproto.DestroyWindow(w.x, w.win)
		xproto.FreePixmap(w.x, w.pix)
		// The checked FreeGC is a round trip: everything above is done.
		err = xproto.FreeGCChecked(w.x, w.gc).Check()
		w.x.Close()
	})
	if err != nil {
		return fmt.Errorf("xtest: close window: %w", err)
	}
	return nil
}

// SetRootImage paints the root window background (the "slide"): img at the
// top-left, black elsewhere. It persists after we disconnect because the
// root window keeps a reference to the pixmap (Xvfb must run with
// -noreset, as StartXvfb does, or the server resets when we leave).
func SetRootImage(display string, img image.Image) error {
	c, err := connect(display)
	if err != nil {
		return err
	}
	defer c.x.Close()
	rw, rh := int(c.screen.WidthInPixels), int(c.screen.HeightInPixels)
	full := image.NewRGBA(image.Rect(0, 0, rw, rh))
	draw.Draw(full, full.Rect, image.NewUniform(color.Black), image.Point{}, draw.Src)
	draw.Draw(full, img.Bounds().Sub(img.Bounds().Min), img, img.Bounds().Min, draw.Src)
	pix, gc, err := c.pixmapOf(full)
	if err != nil {
		return fmt.Errorf("xtest: set root image on %s: %w", display, err)
	}
	root := c.screen.Root
	if err := xproto.ChangeWindowAttributesChecked(c.x, root, xproto.CwBackPixmap, []uint32{uint32(pix)}).Check(); err != nil {
		return fmt.Errorf("xtest: set root background on %s: %w", display, err)
	}
	xproto.ClearArea(c.x, false, root, 0, 0, 0, 0) // 0,0 size = whole window
	xproto.FreePixmap(c.x, pix)
	if err := xproto.FreeGCChecked(c.x, gc).Check(); err != nil {
		return fmt.Errorf("xtest: set root image on %s: %w", display, err)
	}
	return nil
}

// client is one connection with what we need to draw.
type client struct {
	x      *xgb.Conn
	setup  *xproto.SetupInfo
	screen *xproto.ScreenInfo
}

func connect(display string) (*client, error) {
	x, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("xtest: connect to %s: %w", display, err)
	}
	setup := xproto.Setup(x)
	if setup == nil || len(setup.Roots) == 0 {
		x.Close()
		return nil, fmt.Errorf("xtest: %s has no screens", display)
	}
	return &client{x: x, setup: setup, screen: setup.DefaultScreen(x)}, nil
}

// pixmapOf uploads img into a new pixmap of the root depth.
func (c *client) pixmapOf(img image.Image) (xproto.Pixmap, xproto.Gcontext, error) {
	b := img.Bounds()
	if b.Empty() {
		return 0, 0, errors.New("empty image")
	}
	pix, err := xproto.NewPixmapId(c.x)
	if err != nil {
		return 0, 0, err
	}
	gc, err := xproto.NewGcontextId(c.x)
	if err != nil {
		return 0, 0, err
	}
	d := xproto.Drawable(pix)
	if err := xproto.CreatePixmapChecked(c.x, c.screen.RootDepth, pix, xproto.Drawable(c.screen.Root), uint16(b.Dx()), uint16(b.Dy())).Check(); err != nil {
		return 0, 0, fmt.Errorf("create pixmap: %w", err)
	}
	if err := xproto.CreateGCChecked(c.x, gc, d, 0, nil).Check(); err != nil {
		return 0, 0, fmt.Errorf("create gc: %w", err)
	}
	if err := c.putImage(d, gc, img); err != nil {
		return 0, 0, err
	}
	return pix, gc, nil
}

// putImage sends img in pieces that fit the server's maximum request length
// (256 KB without BIG-REQUESTS, i.e. ~34 rows of a 1920-wide image).
func (c *client) putImage(d xproto.Drawable, gc xproto.Gcontext, img image.Image) error {
	if c.screen.RootDepth != 24 && c.screen.RootDepth != 32 {
		return fmt.Errorf("root depth %d not supported (use a 24-bit Xvfb screen)", c.screen.RootDepth)
	}
	b := img.Bounds()
	const header = 24 // PutImage request header bytes
	maxBytes := int(c.setup.MaximumRequestLength)*4 - header
	tileW := min(b.Dx(), maxBytes/4)
	tileH := max(1, min(b.Dy(), maxBytes/(tileW*4)))
	msb := c.setup.ImageByteOrder == xproto.ImageOrderMSBFirst
	var last xproto.PutImageCookie
	for y0 := 0; y0 < b.Dy(); y0 += tileH {
		h := min(tileH, b.Dy()-y0)
		for x0 := 0; x0 < b.Dx(); x0 += tileW {
			w := min(tileW, b.Dx()-x0)
			data := make([]byte, 0, w*h*4)
			for y := y0; y < y0+h; y++ {
				if rgba, ok := img.(*image.RGBA); ok && !msb {
					// Fast path: tests draw full-screen slides, and the
					// live-agent tests time how fast a popup is noticed.
					o := rgba.PixOffset(b.Min.X+x0, b.Min.Y+y)
					for p := range slices.Chunk(rgba.Pix[o:o+w*4], 4) {
						data = append(data, p[2], p[1], p[0], 0)
					}
					continue
				}
				for x := x0; x < x0+w; x++ {
					r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
					if msb {
						data = append(data, 0, byte(r>>8), byte(g>>8), byte(bl>>8))
					} else {
						data = append(data, byte(bl>>8), byte(g>>8), byte(r>>8), 0)
					}
				}
			}
			last = xproto.PutImageChecked(c.x, xproto.ImageFormatZPixmap, d, gc,
				uint16(w), uint16(h), int16(x0), int16(y0), 0, c.screen.RootDepth, data)
		}
	}
	// Requests on one connection are processed in order: checking the last
	// one is a round trip that covers them all, though only its own error.
	if err := last.Check(); err != nil {
		return fmt.Errorf("put image: %w", err)
	}
	return nil
}
