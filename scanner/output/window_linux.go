package output

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"

	"github.com/demoguard/demoguard/scanner/capture"
	"github.com/demoguard/demoguard/scanner/internal/xext"
)

// useSHM: tests turn it off to exercise the PutImage path that remote
// displays and containers without shared IPC take.
var useSHM = true

// WindowTitle is the feed window's title (what meeting apps and OBS list).
const WindowTitle = "demoguard feed"

// window shows the feed in an X11 window: a normal resizable one, or a
// borderless full-screen one on a monitor (window:N).
type window struct {
	t     Target
	o     Options
	x     *xgb.Conn
	setup *xproto.SetupInfo
	scr   *xproto.ScreenInfo
	win   xproto.Window
	gc    xproto.Gcontext
	q     *queue

	wmDelete xproto.Atom

	ctx    context.Context
	cancel context.CancelFunc
	flush  chan struct{}
	redraw chan struct{}
	moved  chan struct{} // ask the bounds updater to look again
	mapped chan struct{} // closed at the first MapNotify
	done   chan struct{} // render loop ended
	evDone chan struct{} // event loop ended
	once   sync.Once

	written atomic.Int64

	mu       sync.Mutex
	size     image.Point     // window size
	bounds   image.Rectangle // screen area while mapped
	isMapped bool
	err      error

	// owned by the render loop
	seg   *segment
	noSHM error // why MIT-SHM is not used
	buf   []byte
	last  *image.RGBA
}

func openWindow(ctx context.Context, t Target, o Options) (*window, error) {
	fail := func(err error) (*window, error) {
		return nil, fmt.Errorf("output %s: %w", t, err)
	}
	x, setup, scr, err := dialX(o.Display)
	if err != nil {
		return fail(err)
	}
	w := &window{t: t, o: o, x: x, setup: setup, scr: scr, q: newQueue(o.Width, o.Height),
		flush: make(chan struct{}), redraw: make(chan struct{}, 1), moved: make(chan struct{}, 1), mapped: make(chan struct{}),
		done: make(chan struct{}), evDone: make(chan struct{})}
	if err := w.checkFormat(); err != nil {
		x.Close()
		return fail(err)
	}
	var area image.Rectangle
	if t.Monitor >= 0 {
		mons := o.Monitors
		if len(mons) == 0 {
			if mons, err = monitors(o.Display); err != nil {
				x.Close()
				return fail(err)
			}
		}
		if t.Monitor >= len(mons) {
			x.Close()
			return fail(fmt.Errorf("%w: monitor %d (there are %d: 0…%d)", ErrNoMonitor, t.Monitor, len(mons), len(mons)-1))
		}
		area = mons[t.Monitor]
	} else {
		// The frame's own size, so a meeting app or OBS shares it pixel for
		// pixel — unless that would cover the whole screen: a feed of the
		// screen it sits on would then show nothing but its own neutral
		// area, over everything the presenter works with. Such a window
		// starts at half the screen, letterboxed; it can be resized.
		root := image.Rect(0, 0, int(scr.WidthInPixels), int(scr.HeightInPixels))
		area = image.Rect(0, 0, o.Width, o.Height)
		if o.Width*4 > root.Dx()*3 || o.Height*4 > root.Dy()*3 {
			area = letterbox(image.Rect(0, 0, root.Dx()/2, root.Dy()/2), o.Width, o.Height)
		}
		area = area.Sub(area.Min)
	}
	if err := w.create(area); err != nil {
		w.x.Close()
		return fail(err)
	}
	w.ctx, w.cancel = context.WithCancel(ctx)
	go w.events()
	if err := checkX(xproto.MapWindowChecked(x, w.win)); err != nil {
		w.cancel()
		w.x.Close()
		return fail(fmt.Errorf("map window: %w", err))
	}
	// Bounds must be right when Open returns: the feed leaves this area
	// out of capture from its first frame. Without a window manager
	// MapNotify comes at once; a WM may take a moment (or keep the window
	// unmapped on another desktop — then Bounds is empty, which is true).
	select {
	case <-w.mapped:
	case <-time.After(3 * time.Second):
	}
	w.updateBounds()
	go w.render()
	go w.trackBounds()
	return w, nil
}

// checkFormat accepts the common 24/32-bit TrueColor layout (BGRX in
// memory on little-endian servers), which every X server in use has.
func (w *window) checkFormat() error {
	bpp := 0
	for _, f := range w.setup.PixmapFormats {
		if f.Depth == w.scr.RootDepth {
			bpp = int(f.BitsPerPixel)
		}
	}
	var v *xproto.VisualInfo
	for _, d := range w.scr.AllowedDepths {
		for i := range d.Visuals {
			if d.Visuals[i].VisualId == w.scr.RootVisual {
				v = &d.Visuals[i]
			}
		}
	}
	if !hostLittleEndian {
		return errors.New("window targets need a little-endian machine")
	}
	if bpp != 32 || v == nil || v.RedMask != 0xff0000 || v.GreenMask != 0xff00 || v.BlueMask != 0xff ||
		w.setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		return fmt.Errorf("the X server's pixel format (depth %d, %d bits per pixel) is not supported; use a 24-bit TrueColor display", w.scr.RootDepth, bpp)
	}
	return nil
}

// hostLittleEndian: toBGRX reads pixels as native 32-bit words.
var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// monitors asks the X server for the monitors, numbered as capture numbers
// displays (and so as --display).
func monitors(display string) ([]image.Rectangle, error) {
	c, err := capture.OpenWith(capture.Options{Display: display, DisableSHM: true})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ds, err := c.Displays()
	if err != nil {
		return nil, err
	}
	rs := make([]image.Rectangle, len(ds))
	for i, d := range ds {
		rs[i] = d.Bounds
	}
	return rs, nil
}

func (w *window) create(area image.Rectangle) error {
	c, scr := w.x, w.scr
	var err error
	if w.win, err = xproto.NewWindowId(c); err != nil {
		return err
	}
	// Value order follows the mask bits: BackPixel (1<<1), EventMask (1<<11).
	mask := uint32(xproto.CwBackPixel | xproto.CwEventMask)
	vals := []uint32{0, xproto.EventMaskExposure | xproto.EventMaskStructureNotify}
	if err := checkX(xproto.CreateWindowChecked(c, scr.RootDepth, w.win, scr.Root,
		int16(area.Min.X), int16(area.Min.Y), uint16(area.Dx()), uint16(area.Dy()), 0,
		xproto.WindowClassInputOutput, scr.RootVisual, mask, vals)); err != nil {
		return fmt.Errorf("create window: %w", err)
	}
	w.size = area.Size()
	if w.gc, err = xproto.NewGcontextId(c); err != nil {
		return err
	}
	if err := checkX(xproto.CreateGCChecked(c, w.gc, xproto.Drawable(w.win), 0, nil)); err != nil {
		return fmt.Errorf("create gc: %w", err)
	}

	atoms := map[string]xproto.Atom{}
	for _, n := range []string{"WM_PROTOCOLS", "WM_DELETE_WINDOW", "_NET_WM_NAME", "UTF8_STRING",
		"_NET_WM_PID", "_NET_WM_STATE", "_NET_WM_STATE_FULLSCREEN", "_MOTIF_WM_HINTS", "_NET_WM_WINDOW_TYPE",
		"_NET_WM_WINDOW_TYPE_NORMAL"} {
		a, err := internAtom(c, n)
		if err != nil {
			return err
		}
		atoms[n] = a
	}
	w.wmDelete = atoms["WM_DELETE_WINDOW"]
	prop := func(name, typ xproto.Atom, format byte, n int, data []byte) {
		xproto.ChangeProperty(c, xproto.PropModeReplace, w.win, name, typ, format, uint32(n), data)
	}
	u32 := func(vs ...uint32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(b[4*i:], v)
		}
		return b
	}
	if w.setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		return errors.New("MSB-first X server")
	}
	prop(xproto.AtomWmName, xproto.AtomString, 8, len(WindowTitle), []byte(WindowTitle))
	prop(atoms["_NET_WM_NAME"], atoms["UTF8_STRING"], 8, len(WindowTitle), []byte(WindowTitle))
	class := "demoguard\x00demoguard\x00"
	prop(xproto.AtomWmClass, xproto.AtomString, 8, len(class), []byte(class))
	prop(atoms["WM_PROTOCOLS"], xproto.AtomAtom, 32, 1, u32(uint32(w.wmDelete)))
	prop(atoms["_NET_WM_PID"], xproto.AtomCardinal, 32, 1, u32(uint32(os.Getpid())))
	prop(atoms["_NET_WM_WINDOW_TYPE"], xproto.AtomAtom, 32, 1, u32(uint32(atoms["_NET_WM_WINDOW_TYPE_NORMAL"])))
	// WM_NORMAL_HINTS: for window:N, user-specified position and size
	// (flags USPosition|USSize|PPosition|PSize) so a WM keeps it on that
	// monitor; a minimum size for both.
	flags := uint32(1 << 4) // PMinSize
	if w.t.Monitor >= 0 {
		flags |= 1 | 2 | 4 | 8
	}
	hints := u32(flags, uint32(area.Min.X), uint32(area.Min.Y), uint32(area.Dx()), uint32(area.Dy()),
		160, 90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	prop(xproto.AtomWmNormalHints, xproto.AtomWmSizeHints, 32, 18, hints)
	if w.t.Monitor >= 0 {
		// Full screen without decorations: the EWMH state for window
		// managers that have it, Motif hints (decorations off) for those
		// that do not. Without a WM (Xvfb, a bare projector X) the
		// position and size given at creation are what counts.
		prop(atoms["_NET_WM_STATE"], xproto.AtomAtom, 32, 1, u32(uint32(atoms["_NET_WM_STATE_FULLSCREEN"])))
		prop(atoms["_MOTIF_WM_HINTS"], atoms["_MOTIF_WM_HINTS"], 32, 5, u32(2, 0, 0, 0, 0))
	}
	// One round trip: the properties above are set when it returns.
	if _, err := await(xproto.GetInputFocus(c).Reply); err != nil {
		return err
	}
	return nil
}

// events handles the window's events until the connection closes.
func (w *window) events() {
	defer close(w.evDone)
	mappedOnce := false
	for {
		ev, xerr := w.x.WaitForEvent()
		if ev == nil && xerr == nil {
			// Connection closed: by Close, or the server went away.
			if !w.closing() {
				w.fail(errors.New("lost the connection to the X server"), false)
			}
			w.mu.Lock()
			w.isMapped, w.bounds = false, image.Rectangle{}
			w.mu.Unlock()
			return
		}
		switch e := ev.(type) {
		case xproto.ConfigureNotifyEvent:
			if e.Window == w.win {
				w.mu.Lock()
				w.size = image.Pt(int(e.Width), int(e.Height))
				w.mu.Unlock()
				w.boundsChanged()
				w.poke()
			}
		case xproto.MapNotifyEvent:
			if e.Window == w.win {
				w.mu.Lock()
				w.isMapped = true
				w.mu.Unlock()
				if !mappedOnce {
					mappedOnce = true
					close(w.mapped)
				} else {
					w.boundsChanged()
				}
			}
		case xproto.UnmapNotifyEvent:
			if e.Window == w.win {
				w.mu.Lock()
				w.isMapped, w.bounds = false, image.Rectangle{}
				w.mu.Unlock()
			}
		case xproto.ExposeEvent:
			if e.Count == 0 {
				w.poke()
			}
		case xproto.ClientMessageEvent:
			if e.Format == 32 && xproto.Atom(e.Data.Data32[0]) == w.wmDelete {
				// The presenter closed the feed window: do as asked and
				// say so; the feed reports it and carries on without it.
				w.fail(ErrWindowClosed, false)
				w.mu.Lock()
				w.isMapped, w.bounds = false, image.Rectangle{}
				w.mu.Unlock()
				xproto.DestroyWindow(w.x, w.win)
				w.cancel()
			}
		case xproto.DestroyNotifyEvent:
			if e.Window == w.win && !w.closing() {
				w.fail(errors.New("the feed window was destroyed"), false)
				w.cancel()
			}
		}
	}
}

// boundsChanged wakes trackBounds: the round trips are not made on the
// event loop, and one goroutine makes them in order, so a burst of moves
// (a drag) cannot leave an older answer last.
func (w *window) boundsChanged() {
	select {
	case w.moved <- struct{}{}:
	default:
	}
}

func (w *window) trackBounds() {
	for {
		select {
		case <-w.moved:
			w.updateBounds()
		case <-w.ctx.Done():
			return
		case <-w.flush:
			return
		}
	}
}

func (w *window) poke() {
	select {
	case w.redraw <- struct{}{}:
	default:
	}
}

// updateBounds asks where the window is on the screen: a reparenting
// window manager reports positions relative to its frame, so translate.
func (w *window) updateBounds() {
	g, err := await(xproto.GetGeometry(w.x, xproto.Drawable(w.win)).Reply)
	if err != nil {
		return
	}
	tr, err := await(xproto.TranslateCoordinates(w.x, w.win, w.scr.Root, 0, 0).Reply)
	if err != nil {
		return
	}
	r := image.Rect(int(tr.DstX), int(tr.DstY), int(tr.DstX)+int(g.Width), int(tr.DstY)+int(g.Height))
	w.mu.Lock()
	w.size = r.Size()
	if w.isMapped {
		w.bounds = r
	}
	w.mu.Unlock()
}

// fail records the output's end; only the first cause is reported (a dead
// X server fails both the event and the render loop).
func (w *window) fail(err error, restarting bool) {
	err = fmt.Errorf("output %s: %w", w.t, err)
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return
	}
	w.err = err
	w.mu.Unlock()
	w.q.closed.Store(true)
	w.o.Logf("%v", err)
	if w.o.OnError != nil {
		w.o.OnError(err, restarting)
	}
}

func (w *window) closing() bool {
	select {
	case <-w.flush:
		return true
	default:
		return false
	}
}

// render puts frames on screen as they come; Expose and resizes redraw the
// last one. Before the first frame the window shows the checking frame.
func (w *window) render() {
	defer close(w.done)
	defer w.q.closed.Store(true)
	w.last = CheckingFrame(w.o.Width, w.o.Height)
	checking := true
	for {
		select {
		case fr := <-w.q.q:
			if !checking {
				w.q.release(w.last)
			}
			w.last, checking = fr.img, false
			if err := w.put(w.last); err != nil {
				w.fail(fmt.Errorf("showing a frame: the X server failed: %w", err), false)
				w.q.discard()
				return
			}
			w.written.Add(1)
		case <-w.redraw:
			if err := w.put(w.last); err != nil {
				w.fail(fmt.Errorf("showing a frame: the X server failed: %w", err), false)
				w.q.discard()
				return
			}
		case <-w.ctx.Done():
			w.q.discard()
			return
		case <-w.flush:
			w.q.discard()
			return
		}
	}
}

// put scales img to the window (aspect kept, black bars) and sends it:
// through MIT-SHM when the server shares memory with us, else in
// PutImage requests under the maximum request length.
func (w *window) put(img *image.RGBA) error {
	w.mu.Lock()
	size := w.size
	w.mu.Unlock()
	if size.X <= 0 || size.Y <= 0 {
		return nil
	}
	n := size.X * size.Y * 4
	var dst []byte
	if w.seg == nil && w.noSHM == nil {
		if !useSHM {
			w.noSHM = errors.New("MIT-SHM disabled")
		} else if err := xext.Init(w.x, "MIT-SHM", shm.Init); err != nil {
			w.noSHM = err
		}
	}
	if w.noSHM == nil {
		if w.seg != nil && len(w.seg.buf) < n {
			w.seg.release(w.x)
			w.seg = nil
		}
		if w.seg == nil {
			seg, err := attachSegment(w.x, n)
			if err != nil {
				w.noSHM = err
				w.o.Logf("output %s: %v; using PutImage", w.t, err)
			} else {
				w.seg = seg
			}
		}
	}
	if w.seg != nil {
		dst = w.seg.buf[:n]
	} else {
		if cap(w.buf) < n {
			w.buf = make([]byte, n)
		}
		dst = w.buf[:n]
	}
	toBGRX(dst, size.X, size.Y, img)
	if w.seg != nil {
		shm.PutImage(w.x, xproto.Drawable(w.win), w.gc, uint16(size.X), uint16(size.Y), 0, 0,
			uint16(size.X), uint16(size.Y), 0, 0, w.scr.RootDepth, xproto.ImageFormatZPixmap, 0, w.seg.xid, 0)
	} else {
		const header = 24
		maxBytes := int(w.setup.MaximumRequestLength)*4 - header
		rows := max(1, maxBytes/(size.X*4))
		for y := 0; y < size.Y; y += rows {
			h := min(rows, size.Y-y)
			xproto.PutImage(w.x, xproto.ImageFormatZPixmap, xproto.Drawable(w.win), w.gc,
				uint16(size.X), uint16(h), 0, int16(y), 0, w.scr.RootDepth, dst[y*size.X*4:(y+h)*size.X*4])
		}
	}
	// A round trip: the server has processed the image (and is done with
	// the shared segment, which we overwrite next), and errors of the
	// unchecked requests above have arrived as events.
	if _, err := await(xproto.GetInputFocus(w.x).Reply); err != nil {
		return err
	}
	return nil
}

// toBGRX writes img scaled into a w×h window (aspect kept, black bars) as
// 32-bit little-endian BGRX pixels.
func toBGRX(dst []byte, w, h int, img *image.RGBA) {
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	in := letterbox(image.Rect(0, 0, w, h), sw, sh)
	if in != image.Rect(0, 0, w, h) {
		clear(dst)
	}
	if in.Empty() {
		return
	}
	xs := srcIndex(in.Dx(), sw)
	same := in.Dx() == sw
	for j := 0; j < in.Dy(); j++ {
		sy := j
		if in.Dy() != sh {
			sy = min(sh-1, (2*j+1)*sh/(2*in.Dy()))
		}
		so := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+sy)
		row := img.Pix[so : so+sw*4]
		do := ((in.Min.Y+j)*w + in.Min.X) * 4
		out := dst[do : do+in.Dx()*4]
		// As 32-bit words (little-endian host and server, checked at
		// Open): RGBA in memory is 0xAABBGGRR, BGRX is 0x00RRGGBB.
		src32 := unsafe.Slice((*uint32)(unsafe.Pointer(&row[0])), sw)
		out32 := unsafe.Slice((*uint32)(unsafe.Pointer(&out[0])), in.Dx())
		if same {
			for i, v := range src32 {
				out32[i] = v&0x0000ff00 | v>>16&0xff | (v&0xff)<<16
			}
			continue
		}
		for i, sx := range xs {
			v := src32[sx]
			out32[i] = v&0x0000ff00 | v>>16&0xff | (v&0xff)<<16
		}
	}
}

func (w *window) Write(img *image.RGBA, pts time.Duration) bool {
	if img == nil {
		return false
	}
	return w.q.put(img, pts)
}

func (w *window) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := Stats{Written: w.written.Load(), Dropped: w.q.dropped.Load()}
	if w.err != nil {
		s.Err = w.err.Error()
	}
	return s
}

func (w *window) Bounds() image.Rectangle {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bounds
}

// Close removes the window and closes the connection; bounded by the X
// round-trip timeout.
func (w *window) Close() error {
	w.once.Do(func() {
		w.q.closed.Store(true)
		close(w.flush)
		<-w.done
		if w.seg != nil {
			w.seg.release(w.x)
			w.seg = nil
		}
		xproto.DestroyWindow(w.x, w.win)
		xproto.FreeGC(w.x, w.gc)
		await(xproto.GetInputFocus(w.x).Reply)
		w.x.Close()
		select {
		case <-w.evDone:
		case <-time.After(xTimeout):
		}
		w.cancel()
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil && !errors.Is(w.err, ErrWindowClosed) {
		return w.err
	}
	return nil
}
