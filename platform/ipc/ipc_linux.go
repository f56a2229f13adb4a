package ipc

import (
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/lockwatch/lockwatch/platform/paths"
)

// socketDir prefers XDG_RUNTIME_DIR: per user, 0700, emptied at logout,
// made for sockets. Without it (no login session, e.g. a cron job or ssh
// without pam_systemd) the state directory is the next private place.
func socketDir() (string, error) {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "lockwatch"), nil
	}
	return paths.StateDir()
}

// peerUID asks the kernel who connected (SO_PEERCRED, recorded at connect).
func peerUID(c *net.UnixConn) (int, error) {
	var uid int
	err := control(c, func(fd int) error {
		cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err == nil {
			uid = int(cred.Uid)
		}
		return err
	})
	return uid, err
}
