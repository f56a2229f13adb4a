package process

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// exitQueue is one kqueue for every watch, read by one goroutine: the
// kernel reports NOTE_EXIT for each watched PID, so a watch costs an entry
// in a map and no thread of its own.
var exitQueue struct {
	once    sync.Once
	fd      int
	err     error
	mu      sync.Mutex
	watches map[int]map[*ExitWatch]bool // PID → its watches
}

func watchExit(p Info) (*ExitWatch, error) {
	q := &exitQueue
	q.once.Do(func() {
		q.fd, q.err = unix.Kqueue()
		if q.err == nil {
			q.watches = map[int]map[*ExitWatch]bool{}
			go readExits()
		}
	})
	if q.err != nil {
		return nil, fmt.Errorf("%w: kqueue: %v", ErrNoExitWatch, q.err)
	}
	w := newExitWatch()
	q.mu.Lock()
	if q.watches[p.PID] == nil {
		q.watches[p.PID] = map[*ExitWatch]bool{}
	}
	q.watches[p.PID][w] = true
	q.mu.Unlock()
	w.stop = func() {
		q.mu.Lock()
		delete(q.watches[p.PID], w)
		q.mu.Unlock()
	}

	// Registered before the identity check below: an exit after it is
	// reported, an exit before it makes the registration fail with ESRCH.
	var ev unix.Kevent_t
	unix.SetKevent(&ev, p.PID, unix.EVFILT_PROC, unix.EV_ADD|unix.EV_ONESHOT)
	ev.Fflags = unix.NOTE_EXIT
	_, err := unix.Kevent(q.fd, []unix.Kevent_t{ev}, nil, nil)
	switch {
	case errors.Is(err, unix.ESRCH):
		w.Stop()
		return gone(), nil
	case err != nil:
		w.Stop()
		return nil, fmt.Errorf("process: kevent for PID %d: %w", p.PID, err)
	}
	if now, err := Lookup(p.PID); err == nil && !now.Same(p) {
		w.Stop()
		return gone(), nil
	}
	return w, nil
}

// readExits closes the watches of every PID the kernel reports exited.
func readExits() {
	q := &exitQueue
	events := make([]unix.Kevent_t, 16)
	for {
		n, err := unix.Kevent(q.fd, nil, events, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return
		}
		q.mu.Lock()
		for _, ev := range events[:n] {
			pid := int(ev.Ident)
			for w := range q.watches[pid] {
				close(w.exited)
			}
			delete(q.watches, pid)
		}
		q.mu.Unlock()
	}
}
