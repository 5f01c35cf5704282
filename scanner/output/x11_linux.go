package output

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"
)

func init() {
	// xgb logs "Could not get authority info" on every connection without
	// an .Xauthority; our callers get errors instead. In init, before any
	// xgb goroutine reads the logger.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// xTimeout bounds every round trip: a hung X server must fail the output,
// not freeze the feed.
const xTimeout = 5 * time.Second

// dialX connects to display (default $DISPLAY).
func dialX(display string) (*xgb.Conn, *xproto.SetupInfo, *xproto.ScreenInfo, error) {
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	if display == "" {
		return nil, nil, nil, errors.New("no X display: DISPLAY is not set")
	}
	type res struct {
		c   *xgb.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := xgb.NewConnDisplay(display)
		ch <- res{c, err}
	}()
	var c *xgb.Conn
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, nil, nil, fmt.Errorf("connect to X server %s: %w", display, r.err)
		}
		c = r.c
	case <-time.After(xTimeout):
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, nil, nil, fmt.Errorf("connect to X server %s: no answer within %v", display, xTimeout)
	}
	setup := xproto.Setup(c)
	if setup == nil || len(setup.Roots) == 0 {
		c.Close()
		return nil, nil, nil, fmt.Errorf("the X server %s sent no screens", display)
	}
	return c, setup, setup.DefaultScreen(c), nil
}

// await runs one round trip with a deadline (xgb cookies wait forever on a
// stopped server); on timeout the goroutine is left to end when the
// connection is closed.
func await[T any](reply func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := reply()
		ch <- result{v, err}
	}()
	t := time.NewTimer(xTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, fmt.Errorf("no reply from the X server within %v", xTimeout)
	}
}

func checkX(cookie interface{ Check() error }) error {
	_, err := await(func() (struct{}, error) { return struct{}{}, cookie.Check() })
	return err
}

func internAtom(c *xgb.Conn, name string) (xproto.Atom, error) {
	r, err := await(xproto.InternAtom(c, false, uint16(len(name)), name).Reply)
	if err != nil {
		return 0, fmt.Errorf("intern atom %s: %w", name, err)
	}
	return r.Atom, nil
}

// segment is a System V shared memory segment attached here and in the X
// server (MIT-SHM), through which whole frames reach the server without
// going through the socket.
type segment struct {
	xid shm.Seg
	buf []byte
}

// attachSegment: mode 0600 (the feed is screen content), checked attach
// (containers without shared IPC fail here, and we fall back to PutImage),
// IPC_RMID at once so a crash leaks nothing.
func attachSegment(c *xgb.Conn, size int) (*segment, error) {
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, fmt.Errorf("MIT-SHM: create %d-byte segment: %w", size, err)
	}
	defer unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	buf, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("MIT-SHM: attach locally: %w", err)
	}
	xid, err := shm.NewSegId(c)
	if err != nil {
		unix.SysvShmDetach(buf)
		return nil, fmt.Errorf("MIT-SHM: segment id: %w", err)
	}
	if err := checkX(shm.AttachChecked(c, xid, uint32(id), true)); err != nil {
		unix.SysvShmDetach(buf)
		return nil, fmt.Errorf("MIT-SHM: the X server could not attach the segment: %w", err)
	}
	return &segment{xid: xid, buf: buf}, nil
}

func (s *segment) release(c *xgb.Conn) {
	if s == nil || s.buf == nil {
		return
	}
	if c != nil {
		checkX(shm.DetachChecked(c, s.xid))
	}
	unix.SysvShmDetach(s.buf)
	s.buf = nil
}
