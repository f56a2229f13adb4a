// Package flock takes exclusive, non-blocking file locks that the kernel releases when the holding process dies, so they can never go stale the way a PID file can.
package flock

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Lock is an exclusive lock on a file, held by this process until Unlock or exit.
//
// The lock belongs to one open file, not to the process: a second TryLock on
// the same path fails even from the same process (flock(2) locks are per open
// file description, LockFileEx locks per handle). That is what a
// single-instance or overlap guard wants; do not take the same lock twice.
type Lock struct{ lock }

// Holder describes the process holding a lock.
type Holder struct {
	PID   int
	Since time.Time
}

// ErrLocked means another process (or another Lock in this process) holds
// the lock. Errors for that case match errors.Is(err, ErrLocked) and are
// *LockedError.
var ErrLocked = errors.New("locked by another process")

// LockedError is returned when TryLock finds the lock taken.
type LockedError struct {
	Path string
	// Holder is who held the lock when TryLock failed, zero if unknown. It
	// is read right after the failed attempt, while the lock is known to be
	// held, which is the only time holder information can be trusted. Even
	// then, in the instant between a new holder taking the lock and writing
	// its record, it is zero or names the previous holder.
	Holder Holder
}

// Error reads "locked by PID 1234 since 02:00:03", or ErrLocked's text when
// the holder is unknown. The date is added when the lock is not from today.
func (e *LockedError) Error() string {
	h := e.Holder
	if h.PID <= 0 {
		return ErrLocked.Error()
	}
	msg := "locked by PID " + strconv.Itoa(h.PID)
	if !h.Since.IsZero() {
		since, now := h.Since.Local(), time.Now()
		layout := "15:04:05"
		if since.YearDay() != now.YearDay() || since.Year() != now.Year() {
			layout = "2006-01-02 15:04:05"
		}
		msg += " since " + since.Format(layout)
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// TryLock takes the lock at path without blocking. It creates the parent
// directory (0700) and the lock file (0600) when missing. When another
// process holds the lock, the error is a *LockedError.
func TryLock(path string) (*Lock, error) { return tryLock(path) }

// Wait blocks until it holds the lock at path or ctx is done; then it
// returns ctx.Err().
func Wait(ctx context.Context, path string) (*Lock, error) { return wait(ctx, path) }

// Unlock releases the lock. Later calls do nothing.
func (l *Lock) Unlock() error { return l.unlock() }

// ReadHolder says who holds the lock at path, for messages. The answer is
// only meaningful while the lock is held by someone (e.g. right after TryLock
// failed): a holder that died leaves its record behind, and a new holder may
// not have written its own yet. It returns an error when there is no record.
func ReadHolder(path string) (Holder, error) { return readHolder(path) }
