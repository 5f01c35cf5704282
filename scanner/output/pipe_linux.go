package output

import "golang.org/x/sys/unix"

func setPipeSize(fd uintptr, n int) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, n) }
