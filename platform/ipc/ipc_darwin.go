package ipc

import (
	"net"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/lockwatch/lockwatch/platform/paths"
)

// socketPath is in Application Support: macOS has no per-user runtime
// directory, and $TMPDIR is cleaned behind running programs' backs.
func socketPath() (string, error) {
	dir, err := paths.StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "lockwatch.sock"), nil
}

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
