package process

import (
	"errors"
	"sync"
	"sync/atomic"
)

// ErrNoExitWatch is returned by WatchExit where the OS offers no way to
// wait for another process's exit (a Linux kernel older than 5.3, which
// lacks pidfd_open) or will not let this user wait for that process.
// Callers fall back to looking again later.
var ErrNoExitWatch = errors.New("process: cannot watch for a process's exit here")

// ExitWatch waits for one process to exit, with the OS's own notification
// (Linux pidfd, macOS kqueue, Windows a wait on the process handle): no
// signal, no polling, no thread of its own while it waits.
type ExitWatch struct {
	exited   chan struct{}
	stopOnce sync.Once
	stop     func() // releases what the OS gave us
}

// Exited is closed when the watched process has exited, or was found gone
// (or replaced under its PID) when the watch began.
func (w *ExitWatch) Exited() <-chan struct{} { return w.exited }

// Stop ends the watch; Exited is not closed by it. Stop may be called more
// than once, and after the process exited.
func (w *ExitWatch) Stop() {
	w.stopOnce.Do(func() {
		if w.stop != nil {
			w.stop()
		}
	})
}

func newExitWatch() *ExitWatch { return &ExitWatch{exited: make(chan struct{})} }

// gone is a watch whose process has already exited.
func gone() *ExitWatch {
	w := newExitWatch()
	close(w.exited)
	return w
}

// WatchExit watches the process p describes, as Lookup described it: the
// watch holds on to that process, so a PID that was reused meanwhile
// counts as an exit, never as the same process still running. p must carry
// its start (from Lookup); a process whose start the OS would not tell
// cannot be told from a successor and is refused.
func WatchExit(p Info) (*ExitWatch, error) {
	if !p.Exists || p.PID <= 0 {
		return gone(), nil
	}
	if p.start == 0 {
		return nil, errors.New("process: the start of the process is unknown, so its identity cannot be held")
	}
	if exitWatchDisabled.Load() {
		return nil, ErrNoExitWatch
	}
	return watchExit(p)
}

var exitWatchDisabled atomic.Bool

// DisableExitWatch makes WatchExit answer ErrNoExitWatch, as on a kernel
// without pidfd, until the returned function is called. It is the seam for
// tests of what falls back to the schedule.
func DisableExitWatch() (restore func()) {
	exitWatchDisabled.Store(true)
	return func() { exitWatchDisabled.Store(false) }
}
