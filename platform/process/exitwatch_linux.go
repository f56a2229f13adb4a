package process

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// watchExit opens a pidfd for the process, which pins its identity: if the
// PID is reused later, the pidfd still refers to the process that exited.
// A pidfd polls readable once its process has exited; Go's network poller
// waits for that, so a watch costs a parked goroutine and no thread.
func watchExit(p Info) (*ExitWatch, error) {
	fd, err := unix.PidfdOpen(p.PID, 0)
	switch {
	case errors.Is(err, unix.ESRCH):
		return gone(), nil
	case errors.Is(err, unix.ENOSYS):
		return nil, fmt.Errorf("%w: pidfd_open: %v (Linux 5.3 or newer has it)", ErrNoExitWatch, err)
	case err != nil:
		return nil, fmt.Errorf("process: pidfd_open %d: %w", p.PID, err)
	}
	// Non-blocking, so that os.NewFile hands the fd to the poller.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("process: pidfd of %d: %w", p.PID, err)
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("pidfd:%d", p.PID))
	// The pidfd names whichever process had the PID when it was opened:
	// make sure that is still the one p described.
	now, err := Lookup(p.PID)
	if err == nil && !now.Same(p) {
		f.Close()
		return gone(), nil
	}
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("process: pidfd of %d: %w", p.PID, err)
	}
	w := newExitWatch()
	w.stop = func() { f.Close() }
	go func() {
		// Read calls the function until it returns true, waiting for the
		// fd to poll readable in between; Close ends the wait with an error.
		err := raw.Read(func(fd uintptr) bool {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			n, err := unix.Poll(fds, 0)
			return err == nil && n > 0
		})
		if err == nil {
			f.Close()
			close(w.exited)
		}
	}()
	return w, nil
}
