// Package capture grabs frames of the presenter's screens so the pipeline can
// OCR them. On Linux it speaks X11 directly over one persistent connection
// (MIT-SHM when the server allows it, GetImage otherwise); on other systems it
// falls back to github.com/kbinani/screenshot.
//
// Frames live only in memory: nothing here writes pixels to disk, because the
// whole point of demoguard is that confidential screens must not leak.
//
// On X11:
//   - Displays come from RandR 1.5 monitors, from Xinerama when it lists
//     more heads (classic multi-screen setups), else the root window; they are
//     re-queried on every call, so hot-plugging and resizing are seen at once.
//   - Pixels come through a private (0600) MIT-SHM segment whose id is
//     removed right after the server attached it; if the server cannot attach
//     it (containers without shared IPC, remote displays) capture silently
//     continues with GetImage. Backend says which path is in use.
//   - If the server dies or stops answering (Options.Timeout), the failing
//     call returns ErrDisconnected; later calls reconnect, spaced by an
//     exponential backoff, so the caller just keeps calling.
package capture

import (
	"errors"
	"image"
	"time"
)

// Sentinel errors. Returned errors wrap one of these together with the reason
// and, where the user can act, what to do; test with errors.Is.
var (
	// ErrNoDisplay: there is no screen we can capture (DISPLAY unset, a
	// Wayland session without XWayland, or the X server refused/was absent
	// at Open).
	ErrNoDisplay = errors.New("no capturable display")

	// ErrDisconnected: the X server went away after Open. The call that
	// notices returns it; later calls try to reconnect (with backoff), so the
	// watch loop just keeps calling Displays/Capture.
	ErrDisconnected = errors.New("display server disconnected")

	// ErrDisplayGone: the requested display no longer overlaps the screen
	// (monitor unplugged or the screen shrank). Re-query Displays.
	ErrDisplayGone = errors.New("display is outside the screen")

	// ErrUnsupportedFormat: the server's pixel format is not one we convert
	// (only 32 bits per pixel, i.e. depth 24/32, is supported).
	ErrUnsupportedFormat = errors.New("unsupported pixel format")

	// ErrClosed: the capturer was closed.
	ErrClosed = errors.New("capturer closed")
)

// Display is one monitor. Bounds are in virtual-screen coordinates: on X11
// that is the root window (origin 0,0 at the top-left of the whole screen);
// the kbinani fallback reports them relative to the primary display, so
// monitors left of or above it have negative coordinates.
type Display struct {
	Index   int             // position in the slice Displays returned; the primary display is 0
	Bounds  image.Rectangle // where the monitor sits in the virtual screen
	Name    string          // e.g. RandR monitor name ("HDMI-1"); may be empty
	Primary bool
}

// Options tunes OpenWith. The zero value is what Open uses. Only Display
// and Timeout matter outside X11.
type Options struct {
	// Display overrides $DISPLAY (e.g. ":99").
	Display string
	// DisableSHM forces plain GetImage even when MIT-SHM would work.
	DisableSHM bool
	// Timeout bounds every round trip to the server, so a hung (not dead)
	// server turns into ErrDisconnected instead of freezing the watch loop.
	// Default 5s.
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed reconnect
	// attempts (doubling each time). Defaults 200ms and 5s.
	MinBackoff, MaxBackoff time.Duration
}

const (
	defaultTimeout    = 5 * time.Second
	defaultMinBackoff = 200 * time.Millisecond
	defaultMaxBackoff = 5 * time.Second
)
