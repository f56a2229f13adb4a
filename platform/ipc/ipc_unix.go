//go:build unix

package ipc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// prepareDir makes dir private to us. The directory's mode is the first
// defence (nobody else can reach the socket); the peer check in Accept is
// the second. A directory owned by another user is refused: its owner could
// swap our socket for theirs.
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("socket directory %s belongs to uid %d, not to us (uid %d)", dir, st.Uid, os.Getuid())
	}
	if fi.Mode().Perm() != 0o700 {
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// restrictSocket is belt and braces: the directory already keeps others out.
// The socket is briefly created with the umask's mode before this; changing
// the umask around bind would affect every thread of the process.
func restrictSocket(path string) error { return os.Chmod(path, 0o600) }

func nobodyListening(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// checkPeer accepts only peers running as our uid; root is no exception, as
// the API is per user.
func checkPeer(c *net.UnixConn) error {
	uid, err := peerUID(c)
	if err != nil {
		return err
	}
	if uid != os.Getuid() {
		return fmt.Errorf("peer uid %d is not ours (%d)", uid, os.Getuid())
	}
	return nil
}

// control runs f on the connection's file descriptor.
func control(c *net.UnixConn, f func(fd int) error) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
