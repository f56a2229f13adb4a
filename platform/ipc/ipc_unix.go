//go:build unix

package ipc

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

func address(name string) (string, error) {
	dir, err := socketDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name+".sock"), nil
}

// prepareDir makes dir private to us. The directory's mode is the first
// defence (nobody else can reach the socket); the peer checks in Accept and
// dial are the second.
//
// The directory's parent may be writable by others (a runtime dir of mode
// 0770 lets a group member in), so dir is never taken on trust: a symbolic
// link there could point us at a directory of the attacker's choosing, which
// we would chmod and put our socket in, and a directory owned by another user
// lets its owner swap our socket for theirs. Both are refused. The checks
// and the chmod act on one opened file (O_NOFOLLOW), so the name cannot be
// swapped between them. Whoever can write in the parent can still rename our
// directory away after these checks and put their own in its place; the
// peer checks make that a denial of service at worst.
func prepareDir(dir string) error {
	// The parents: the state dir's (~/.local/state) may not exist yet.
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return describeUnopenable(dir, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: dir, Err: err}
	}
	if int(st.Uid) != os.Getuid() {
		return fmt.Errorf("socket directory %s belongs to uid %d, not to us (uid %d); remove it or let its owner do so", dir, st.Uid, os.Getuid())
	}
	// An own directory with a looser mode (made by hand, or by an older
	// lockwatch) is tightened; Fchmod changes the directory just checked,
	// not whatever the name may point to by now.
	if st.Mode&0o777 != 0o700 {
		if err := unix.Fchmod(fd, 0o700); err != nil {
			return &fs.PathError{Op: "chmod", Path: dir, Err: err}
		}
	}
	return nil
}

// describeUnopenable says why dir could not be opened as a directory without
// following a link; the error numbers for a symlink differ between systems
// (ELOOP on Linux and macOS, EMLINK on FreeBSD, ENOTDIR with O_DIRECTORY on
// some), so Lstat tells.
func describeUnopenable(dir string, openErr error) error {
	fi, err := os.Lstat(dir)
	switch {
	case err != nil:
		return &fs.PathError{Op: "open", Path: dir, Err: openErr}
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(dir)
		return fmt.Errorf("socket directory %s is a symbolic link (to %s); lockwatch does not follow one there, as whoever can write in %s could redirect it: remove the link", dir, target, filepath.Dir(dir))
	case !fi.IsDir():
		return fmt.Errorf("socket directory %s is not a directory (mode %v); remove it", dir, fi.Mode())
	default:
		return &fs.PathError{Op: "open", Path: dir, Err: openErr}
	}
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

// checkServer accepts only a server running as our uid, before anything is
// sent to it: whoever can replace the socket's directory (see prepareDir)
// could otherwise serve us their own status and receive our unlock requests
// and settings, passwords included. The kernel recorded the server's
// credentials when it called listen. Root is no exception either.
func checkServer(c *net.UnixConn, path string) error {
	uid, err := peerUID(c)
	if err != nil {
		return fmt.Errorf("cannot tell who serves the lockwatch socket at %s: %w", path, err)
	}
	if uid != os.Getuid() {
		return &ForeignServerError{Path: path, Server: fmt.Sprintf("uid %d", uid), Us: fmt.Sprintf("uid %d", os.Getuid())}
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
