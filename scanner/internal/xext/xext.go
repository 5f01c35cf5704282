// Package xext initialises X extensions on xgb connections without racing
// other connections.
//
// xgb's extension Init functions (randr.Init, shm.Init, damage.Init, ...)
// record the extension's opcode on the connection, but they also write the
// extension's event and error numbers into package-level maps
// (xgb.NewEventFuncs, xgb.NewErrorFuncs) that the reader goroutine of every
// connection reads, without a lock, whenever an event or error arrives. An
// Init run while another connection receives events can therefore abort
// the process with "concurrent map read and map write" — for instance when
// the capturer reconnects while the DAMAGE watcher is getting damage events.
//
// Init runs the full Init once per extension per process and, on later
// connections, only looks the extension up and records its opcode: the
// numbers in the shared tables are the server's and do not change between
// connections. The first Init of an extension still writes the tables, so
// callers should open their first connections before others start
// receiving events (watch opens the capturer, then the DAMAGE watcher).
package xext

import (
	"fmt"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

var (
	mu sync.Mutex
	// registered holds the extensions whose full Init succeeded: their
	// events and errors are in xgb's tables.
	registered = map[string]bool{}
)

// Init makes the extension name (its X name, e.g. "RANDR", "MIT-SHM")
// usable on c. init is the extension package's Init: it runs only the
// first time, or until it has succeeded once; an error leaves the shared
// tables as they were, so the next connection tries again.
func Init(c *xgb.Conn, name string, init func(*xgb.Conn) error) error {
	mu.Lock()
	if !registered[name] {
		// Under mu: two connections must not write the tables at once.
		defer mu.Unlock()
		if err := init(c); err != nil {
			return err
		}
		registered[name] = true
		return nil
	}
	mu.Unlock()
	// Only this connection is touched from here: no lock, so a server that
	// stopped answering holds up this caller alone.
	r, err := xproto.QueryExtension(c, uint16(len(name)), name).Reply()
	if err != nil {
		return fmt.Errorf("query extension %s: %w", name, err)
	}
	if !r.Present {
		return fmt.Errorf("the X server has no %s extension", name)
	}
	c.ExtLock.Lock()
	c.Extensions[name] = r.MajorOpcode
	c.ExtLock.Unlock()
	return nil
}
