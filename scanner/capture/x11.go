//go:build linux

package capture

import (
	"errors"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"

	"github.com/demoguard/demoguard/scanner/internal/backoff"
	"github.com/demoguard/demoguard/scanner/internal/xext"
)

func init() {
	// xgb logs "Could not get authority info" on every connection without an
	// .Xauthority and "read error is unrecoverable" when the server dies;
	// both are reported to the caller as errors instead. Done in init so no
	// xgb goroutine can be reading the logger while we replace it.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// X11 captures an X server's screen over one persistent connection.
// Methods are safe for concurrent use; they serialise on the connection.
type X11 struct {
	opts    Options
	display string
	caveat  string

	mu          sync.Mutex
	closed      bool
	cn          *conn // nil while disconnected
	failures    int   // consecutive failed reconnect attempts
	nextAttempt time.Time
	lastErr     error // why we are disconnected
	reconnects  int

	// hookAttachID lets tests hand the X server a bogus segment id to
	// exercise the attach-failure fallback.
	hookAttachID func(id int) int
}

// Open connects to $DISPLAY. It returns an error wrapping ErrNoDisplay,
// with the reason and what to do, when there is no X server to capture.
func Open() (*X11, error) { return OpenWith(Options{}) }

// OpenWith is Open with options.
func OpenWith(o Options) (*X11, error) {
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = defaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(defaultMaxBackoff, o.MinBackoff)
	}
	name, caveat, err := resolveDisplay(o.Display, os.Getenv)
	if err != nil {
		return nil, err
	}
	c := &X11{opts: o, display: name, caveat: caveat}
	cn, err := c.connect()
	if err != nil {
		return nil, fmt.Errorf("%w: cannot connect to X server at %s: %w; check that the X server is running and that DISPLAY and XAUTHORITY are right", ErrNoDisplay, name, err)
	}
	c.cn = cn
	return c, nil
}

// resolveDisplay picks the X display to use, or explains why there is none.
// The caveat is non-empty when capture works but sees less than the user does.
func resolveDisplay(explicit string, getenv func(string) string) (display, caveat string, err error) {
	wayland := getenv("XDG_SESSION_TYPE") == "wayland" || getenv("WAYLAND_DISPLAY") != ""
	display = explicit
	if display == "" {
		display = getenv("DISPLAY")
	}
	if display == "" {
		if wayland {
			return "", "", fmt.Errorf("%w: this is a Wayland session without XWayland (XDG_SESSION_TYPE=wayland, DISPLAY unset); demoguard captures through X11: enable XWayland or log in to an X11 (\"Xorg\") session — the desktop portal's screenshot call is not used because it writes a PNG file and may prompt the user", ErrNoDisplay)
		}
		return "", "", fmt.Errorf("%w: DISPLAY is not set; run demoguard inside your graphical session, set DISPLAY (e.g. export DISPLAY=:0), or start a virtual screen with `Xvfb :99 -noreset -screen 0 1920x1080x24` and DISPLAY=:99", ErrNoDisplay)
	}
	if wayland {
		caveat = "Wayland session captured through XWayland: only X11 applications are visible; native Wayland windows come back black"
	}
	return display, caveat, nil
}

// Caveat says when capture works but sees less than the presenter's
// audience does (e.g. XWayland). Empty when there is nothing to warn about.
func (c *X11) Caveat() string { return c.caveat }

// DisplayName is the X display in use (e.g. ":0").
func (c *X11) DisplayName() string { return c.display }

// Backend describes how frames are fetched right now: "MIT-SHM",
// "GetImage (<why not SHM>)" or "disconnected (<why>)". For diagnostics.
func (c *X11) Backend() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return "closed"
	case c.cn == nil:
		return fmt.Sprintf("disconnected (%v)", c.lastErr)
	case c.cn.shmOK:
		return "MIT-SHM"
	default:
		return fmt.Sprintf("GetImage (%v)", c.cn.shmErr)
	}
}

// Close releases the shared memory and the connection. Further calls return
// ErrClosed.
func (c *X11) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.cn != nil {
		c.cn.close(true)
		c.cn = nil
	}
	return nil
}

// Displays lists the monitors, re-queried on every call (one or two cheap
// round trips) so plugging, unplugging and resizing are seen at once. The
// primary monitor comes first, the rest left to right.
func (c *X11) Displays() ([]Display, error) {
	var ds []Display
	err := c.do(func(cn *conn) error {
		var err error
		ds, err = cn.displays(c.opts.Timeout)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list displays: %w", err)
	}
	return ds, nil
}

// Capture grabs one frame of d. The image is in display-local coordinates
// (bounds start at 0,0) and belongs to the caller. Parts of d outside the X
// screen are opaque black.
func (c *X11) Capture(d Display) (*image.RGBA, error) { return c.CaptureInto(d, nil) }

// CaptureInto is Capture reusing dst when it has the right size, which saves
// an 8 MB allocation per 1080p frame in the watch loop. It returns the image
// written (dst or a new one).
func (c *X11) CaptureInto(d Display, dst *image.RGBA) (*image.RGBA, error) {
	err := c.do(func(cn *conn) error {
		var err error
		dst, err = cn.capture(d, dst, c.opts.Timeout, c.hookAttachID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("capture display %d: %w", d.Index, err)
	}
	return dst, nil
}

// do runs f on a live connection, reconnecting first if the last one died,
// and drops the connection when f fails because of it.
func (c *X11) do(f func(cn *conn) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if c.cn == nil {
		if err := c.reconnect(); err != nil {
			return err
		}
	}
	c.cn.drainEvents()
	err := f(c.cn)
	var ce *connError
	if errors.As(err, &ce) {
		c.cn.close(false)
		c.cn = nil
		c.lastErr = ce.err
		// The first reconnect is tried on the very next call: a server that
		// restarted quickly costs the watch loop one frame.
		c.nextAttempt = time.Time{}
		c.failures = 0
		return fmt.Errorf("%w: X server %s: %w", ErrDisconnected, c.display, ce.err)
	}
	return err
}

// reconnect tries once, unless the backoff since the last failure has not
// elapsed yet, in which case it fails fast so callers can keep polling.
func (c *X11) reconnect() error {
	now := time.Now()
	if now.Before(c.nextAttempt) {
		return fmt.Errorf("%w: X server %s: %w (next reconnect attempt in %v)",
			ErrDisconnected, c.display, c.lastErr, c.nextAttempt.Sub(now).Round(time.Millisecond))
	}
	cn, err := c.connect()
	if err != nil {
		c.failures++
		c.lastErr = err
		c.nextAttempt = now.Add(c.backoff(c.failures))
		return fmt.Errorf("%w: reconnect to X server %s: %w", ErrDisconnected, c.display, err)
	}
	c.cn = cn
	c.failures = 0
	c.lastErr = nil
	c.reconnects++
	return nil
}

func (c *X11) backoff(failures int) time.Duration {
	return backoff.Delay(c.opts.MinBackoff, c.opts.MaxBackoff, failures)
}

// connect dials and initialises a connection within the timeout; a server
// that accepts the socket but never answers must not hang Open.
func (c *X11) connect() (*conn, error) {
	type result struct {
		cn  *conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		cn, err := dial(c.display, c.opts.DisableSHM, c.opts.Timeout)
		ch <- result{cn, err}
	}()
	t := time.NewTimer(c.opts.Timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.cn, r.err
	case <-t.C:
		go func() {
			if r := <-ch; r.cn != nil {
				r.cn.close(false)
			}
		}()
		return nil, fmt.Errorf("no answer within %v", c.opts.Timeout)
	}
}

// connError marks failures of the connection itself (EOF, reset, timeout),
// as opposed to X protocol errors, which leave the connection usable.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// wait runs one round trip with a deadline. xgb cookies block forever on a
// stopped server, so the reply is awaited in a goroutine; on timeout that
// goroutine is abandoned and ends when the dropped connection closes.
func wait[T any](timeout time.Duration, reply func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := reply()
		ch <- result{v, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			var xe xgb.Error
			if !errors.As(r.err, &xe) {
				return r.v, &connError{r.err}
			}
		}
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, &connError{fmt.Errorf("no reply within %v", timeout)}
	}
}

func check(timeout time.Duration, cookie interface{ Check() error }) error {
	_, err := wait(timeout, func() (struct{}, error) { return struct{}{}, cookie.Check() })
	return err
}

// conn is everything tied to one X connection, dropped as a whole when the
// server goes away.
type conn struct {
	x       *xgb.Conn
	timeout time.Duration
	root    xproto.Window
	format  pixelFormat
	fmtErr  error // non-nil: root visual not convertible

	randr15  bool
	xinerama bool
	atoms    map[xproto.Atom]string

	shmOK    bool
	shmErr   error // why SHM is not used
	shmFails int   // consecutive failed SHM GetImage requests
	seg      *segment
}

// maxSHMFailures consecutive failed SHM GetImage requests make a connection
// give up on SHM.
const maxSHMFailures = 3

func dial(display string, disableSHM bool, timeout time.Duration) (*conn, error) {
	x, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, err
	}
	cn := &conn{x: x, timeout: timeout, atoms: map[xproto.Atom]string{}}
	if err := cn.init(display, disableSHM, timeout); err != nil {
		x.Close()
		return nil, err
	}
	return cn, nil
}

func (cn *conn) init(display string, disableSHM bool, timeout time.Duration) error {
	setup := xproto.Setup(cn.x)
	if setup == nil || len(setup.Roots) == 0 {
		return errors.New("no screens in the X server's setup")
	}
	scr := cn.x.DefaultScreen
	if scr < 0 || scr >= len(setup.Roots) {
		return fmt.Errorf("screen %d does not exist (server has %d)", scr, len(setup.Roots))
	}
	s := setup.Roots[scr]
	cn.root = s.Root
	cn.format, cn.fmtErr = rootFormat(setup, &s)

	// Through xext: xgb's Init also writes tables that other connections
	// (the DAMAGE watcher's) read while they receive events, so a
	// reconnect here must only record opcodes.
	if xext.Init(cn.x, "RANDR", randr.Init) == nil {
		v, err := wait(timeout, randr.QueryVersion(cn.x, 1, 5).Reply)
		if err != nil {
			var ce *connError
			if errors.As(err, &ce) {
				return err
			}
		} else {
			cn.randr15 = v.MajorVersion > 1 || v.MinorVersion >= 5
		}
	}
	if xext.Init(cn.x, "XINERAMA", xinerama.Init) == nil {
		if r, err := wait(timeout, xinerama.IsActive(cn.x).Reply); err == nil {
			cn.xinerama = r.State != 0
		}
	}
	switch {
	case disableSHM:
		cn.shmErr = errors.New("MIT-SHM disabled by option")
	case !isLocal(display):
		// Over TCP the server would attach a segment with the same id on
		// its own machine: garbage at best, someone else's memory at worst.
		cn.shmErr = fmt.Errorf("MIT-SHM not used: display %q is not local", display)
	default:
		if err := xext.Init(cn.x, "MIT-SHM", shm.Init); err != nil {
			cn.shmErr = fmt.Errorf("MIT-SHM unavailable: %w", err)
		} else {
			cn.shmOK = true
		}
	}
	return nil
}

// rootFormat works out how root-window pixels are laid out.
func rootFormat(setup *xproto.SetupInfo, s *xproto.ScreenInfo) (pixelFormat, error) {
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == s.RootDepth {
			bpp = int(f.BitsPerPixel)
		}
	}
	if bpp != 32 {
		return pixelFormat{}, fmt.Errorf("%w: root depth %d uses %d bits per pixel; use a 24- or 32-bit display", ErrUnsupportedFormat, s.RootDepth, bpp)
	}
	f := pixelFormat{msbFirst: setup.ImageByteOrder == xproto.ImageOrderMSBFirst}
	for _, d := range s.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == s.RootVisual {
				f.rMask, f.gMask, f.bMask = v.RedMask, v.GreenMask, v.BlueMask
			}
		}
	}
	if !f.valid() {
		return pixelFormat{}, fmt.Errorf("%w: root visual %#x is not TrueColor", ErrUnsupportedFormat, s.RootVisual)
	}
	return f, nil
}

// isLocal reports whether display is reached through a Unix socket, the
// only case where MIT-SHM can work.
func isLocal(display string) bool {
	if strings.HasPrefix(display, "/") {
		return true
	}
	i := strings.LastIndex(display, ":")
	if i < 0 {
		return false
	}
	host := display[:i]
	if j := strings.LastIndex(host, "/"); j >= 0 {
		if host[:j] != "unix" && host[:j] != "local" {
			return false
		}
		host = host[j+1:]
	}
	return host == "" || host == "unix"
}

// drainEvents empties xgb's event queue: errors of unchecked requests land
// there, and a full queue would stall the reader goroutine.
func (cn *conn) drainEvents() {
	for i := 0; i < 10000; i++ {
		ev, xerr := cn.x.PollForEvent()
		if ev == nil && xerr == nil {
			return
		}
	}
}

// close releases the connection. graceful is false when the server is
// gone: then only our side of the shared memory is detached.
func (cn *conn) close(graceful bool) {
	if cn.seg != nil {
		if graceful {
			// Checked, so the server has let go of the segment when Close
			// returns and the kernel frees it now, not at some later point.
			_ = check(cn.timeout, shm.DetachChecked(cn.x, cn.seg.xid))
		}
		cn.seg.release()
		cn.seg = nil
	}
	cn.x.Close()
}

func (cn *conn) rootRect(timeout time.Duration) (image.Rectangle, error) {
	g, err := wait(timeout, xproto.GetGeometry(cn.x, xproto.Drawable(cn.root)).Reply)
	if err != nil {
		return image.Rectangle{}, err
	}
	return image.Rect(0, 0, int(g.Width), int(g.Height)), nil
}

func (cn *conn) displays(timeout time.Duration) ([]Display, error) {
	var ds []Display
	var ce *connError
	if cn.randr15 {
		r, err := wait(timeout, randr.GetMonitors(cn.x, cn.root, true).Reply)
		if errors.As(err, &ce) {
			return nil, err
		}
		if err == nil {
			for _, m := range r.Monitors {
				if m.Width == 0 || m.Height == 0 {
					continue
				}
				name, err := cn.atomName(m.Name, timeout)
				if errors.As(err, &ce) {
					return nil, err
				}
				ds = append(ds, Display{
					Bounds:  image.Rect(int(m.X), int(m.Y), int(m.X)+int(m.Width), int(m.Y)+int(m.Height)),
					Name:    name,
					Primary: m.Primary,
				})
			}
		}
	}
	// With classic Xinerama (several X screens joined, +xinerama) RandR
	// only describes screen 0, so Xinerama's list wins when it has more
	// heads. Otherwise the server derives Xinerama from RandR and RandR's
	// list, with names and the primary flag, is the better one.
	if cn.xinerama {
		r, err := wait(timeout, xinerama.QueryScreens(cn.x).Reply)
		if errors.As(err, &ce) {
			return nil, err
		}
		if err == nil && len(r.ScreenInfo) > len(ds) {
			ds = ds[:0]
			for i, s := range r.ScreenInfo {
				ds = append(ds, Display{
					Bounds:  image.Rect(int(s.XOrg), int(s.YOrg), int(s.XOrg)+int(s.Width), int(s.YOrg)+int(s.Height)),
					Name:    fmt.Sprintf("xinerama-%d", i),
					Primary: i == 0,
				})
			}
		}
	}
	if len(ds) == 0 {
		r, err := cn.rootRect(timeout)
		if err != nil {
			return nil, err
		}
		ds = append(ds, Display{Bounds: r, Name: "root", Primary: true})
	}
	return orderDisplays(ds), nil
}

// orderDisplays puts the primary first (kbinani's convention: display 0 is
// the main one) and the rest left to right, top to bottom, then numbers them.
func orderDisplays(ds []Display) []Display {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Primary != b.Primary {
			return a.Primary
		}
		if a.Bounds.Min.X != b.Bounds.Min.X {
			return a.Bounds.Min.X < b.Bounds.Min.X
		}
		return a.Bounds.Min.Y < b.Bounds.Min.Y
	})
	if len(ds) > 0 && !ds[0].Primary {
		ds[0].Primary = true
	}
	for i := range ds {
		ds[i].Index = i
	}
	return ds
}

func (cn *conn) atomName(a xproto.Atom, timeout time.Duration) (string, error) {
	if n, ok := cn.atoms[a]; ok {
		return n, nil
	}
	r, err := wait(timeout, xproto.GetAtomName(cn.x, a).Reply)
	if err != nil {
		return "", err
	}
	cn.atoms[a] = r.Name
	return r.Name, nil
}

func (cn *conn) capture(d Display, dst *image.RGBA, timeout time.Duration, hook func(int) int) (*image.RGBA, error) {
	if cn.fmtErr != nil {
		return nil, cn.fmtErr
	}
	if d.Bounds.Empty() {
		return nil, fmt.Errorf("%w: empty bounds %v", ErrDisplayGone, d.Bounds)
	}
	root, err := cn.rootRect(timeout)
	if err != nil {
		return nil, err
	}
	r := d.Bounds.Intersect(root)
	if r.Empty() {
		return nil, fmt.Errorf("%w: %v does not overlap the screen %v; re-read the displays", ErrDisplayGone, d.Bounds, root)
	}
	size := image.Rect(0, 0, d.Bounds.Dx(), d.Bounds.Dy())
	if dst == nil || dst.Rect != size {
		dst = image.NewRGBA(size)
	}
	if r != d.Bounds {
		fillOpaqueBlack(dst, dst.Rect)
	}
	at := r.Min.Sub(d.Bounds.Min)
	w, h := r.Dx(), r.Dy()

	if cn.shmOK {
		data, err := cn.getImageSHM(r, timeout, hook)
		if err == nil {
			cn.shmFails = 0
			convert(dst, at, data, w, h, w*4, cn.format)
			return dst, nil
		}
		var ce *connError
		if errors.As(err, &ce) {
			return nil, err
		}
		// A segment that cannot be created or attached (no IPC shared with
		// the server, segment limits) will not work later either: GetImage
		// from now on. A failed SHM GetImage may be a one-off (the screen
		// shrank between our geometry query and the request), so that path
		// gets this frame from GetImage and is given up only if it repeats.
		cn.shmFails++
		if cn.seg == nil || cn.shmFails >= maxSHMFailures {
			cn.shmOK = false
			cn.shmErr = err
			if cn.seg != nil {
				shm.Detach(cn.x, cn.seg.xid)
				cn.seg.release()
				cn.seg = nil
			}
		}
	}
	// The raw reply is used directly: xproto's parsed reply would copy the
	// 8 MB of pixel data once more.
	ck := xproto.GetImage(cn.x, xproto.ImageFormatZPixmap, xproto.Drawable(cn.root),
		int16(r.Min.X), int16(r.Min.Y), uint16(w), uint16(h), 0xffffffff)
	raw, err := wait(timeout, ck.Cookie.Reply)
	if err != nil {
		return nil, err
	}
	const replyHeader = 32
	if len(raw) < replyHeader || len(raw)-replyHeader < w*h*4 {
		return nil, fmt.Errorf("GetImage returned %d bytes for %dx%d", len(raw)-replyHeader, w, h)
	}
	convert(dst, at, raw[replyHeader:], w, h, w*4, cn.format)
	return dst, nil
}

// getImageSHM has the server write r into our shared segment, growing the
// segment when the requested area got bigger.
func (cn *conn) getImageSHM(r image.Rectangle, timeout time.Duration, hook func(int) int) ([]byte, error) {
	need := r.Dx() * r.Dy() * 4
	if cn.seg == nil || len(cn.seg.buf) < need {
		if cn.seg != nil {
			shm.Detach(cn.x, cn.seg.xid)
			cn.seg.release()
			cn.seg = nil
		}
		seg, err := attachSegment(cn.x, need, timeout, hook)
		if err != nil {
			return nil, err
		}
		cn.seg = seg
	}
	rep, err := wait(timeout, shm.GetImage(cn.x, xproto.Drawable(cn.root), int16(r.Min.X), int16(r.Min.Y),
		uint16(r.Dx()), uint16(r.Dy()), 0xffffffff, xproto.ImageFormatZPixmap, cn.seg.xid, 0).Reply)
	if err != nil {
		return nil, fmt.Errorf("MIT-SHM GetImage: %w", err)
	}
	if int(rep.Size) < need || int(rep.Size) > len(cn.seg.buf) {
		return nil, fmt.Errorf("MIT-SHM GetImage wrote %d bytes, want %d", rep.Size, need)
	}
	return cn.seg.buf[:need], nil
}
