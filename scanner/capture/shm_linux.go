//go:build linux

package capture

import (
	"fmt"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"golang.org/x/sys/unix"
)

// shmDest is the SHM_DEST bit of a segment's mode: marked for removal
// (IPC_RMID) and freed when the last process detaches.
const shmDest = 0o1000

// segment is a System V shared memory segment attached both here and in the
// X server, into which the server writes screen pixels.
type segment struct {
	id  int     // System V id
	xid shm.Seg // the server's name for it
	buf []byte  // our mapping
}

// attachSegment creates a private segment, has the server attach it and
// removes its id at once.
//
//   - Mode 0600: screen pixels are what we protect; kbinani/screenshot's 0777
//     lets any local user read them while the segment exists.
//   - The attach is checked: in containers without a shared IPC namespace the
//     server cannot see our segment and every later SHM GetImage would fail
//     (or worse, fill nothing); the caller then falls back to GetImage.
//   - IPC_RMID right after the attach: the kernel frees the memory when both
//     sides have detached, so a crash leaks nothing. Linux keeps an RMID'd
//     segment usable by processes already attached.
func attachSegment(x *xgb.Conn, size int, timeout time.Duration, hook func(int) int) (*segment, error) {
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, fmt.Errorf("MIT-SHM: create %d-byte segment: %w", size, err)
	}
	defer unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	buf, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("MIT-SHM: attach segment locally: %w", err)
	}
	xid, err := shm.NewSegId(x)
	if err != nil {
		unix.SysvShmDetach(buf)
		return nil, &connError{fmt.Errorf("MIT-SHM: allocate segment id: %w", err)}
	}
	serverID := id
	if hook != nil {
		serverID = hook(id)
	}
	if err := check(timeout, shm.AttachChecked(x, xid, uint32(serverID), false)); err != nil {
		unix.SysvShmDetach(buf)
		return nil, fmt.Errorf("MIT-SHM: X server could not attach segment %d (no shared IPC with the server?): %w", serverID, err)
	}
	return &segment{id: id, xid: xid, buf: buf}, nil
}

// release detaches our mapping; with the id already removed this frees the
// memory once the server has detached too (or died).
func (s *segment) release() {
	if s.buf != nil {
		unix.SysvShmDetach(s.buf)
		s.buf = nil
	}
}
