//go:build unix

package flock

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// flock(2) from golang.org/x/sys, already a dependency, rather than
// github.com/gofrs/flock: the calls are two lines per OS and we need to know
// exactly which lock we take. flock, not fcntl: fcntl locks belong to the
// process and vanish when any descriptor of the file is closed, and would not
// make a second Lock in the same process fail. (On NFS Linux emulates flock
// with fcntl locks; lock files belong in the local state directory.)
func lockFile(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return ErrLocked
		default:
			return err
		}
	}
}

func unlockFile(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_UN)
}
