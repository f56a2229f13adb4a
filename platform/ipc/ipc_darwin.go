package ipc

import (
	"net"

	"golang.org/x/sys/unix"

	"github.com/lockwatch/lockwatch/platform/paths"
)

// socketDir is in Application Support: macOS has no per-user runtime
// directory, and $TMPDIR is cleaned behind running programs' backs.
func socketDir() (string, error) { return paths.StateDir() }

// peerUID asks the kernel who connected (LOCAL_PEERCRED, recorded at connect).
func peerUID(c *net.UnixConn) (int, error) {
	var uid int
	err := control(c, func(fd int) error {
		cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		if err == nil {
			uid = int(cred.Uid)
		}
		return err
	})
	return uid, err
}
