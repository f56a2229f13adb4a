package flock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
)

// lock is the OS-neutral part of Lock; the OS files provide lockFile and
// unlockFile.
type lock struct {
	mu   sync.Mutex
	path string
	f    *os.File // nil once unlocked
}

// holderSuffix names the sidecar that says who holds the lock. The holder is
// not written into the lock file itself because on Windows a LockFileEx lock
// makes the locked bytes unreadable by other processes, and a sidecar
// replaced by rename is never seen half-written on any OS.
const holderSuffix = ".holder"

// holderRecord is the sidecar's JSON; time.Time encodes as RFC3339Nano.
type holderRecord struct {
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

func tryLock(path string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("flock: %w", err)
	}
	// Go opens files close-on-exec (and non-inheritable on Windows), so a
	// child we start, such as restic, cannot keep our lock alive after we die.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("flock: %w", err)
	}
	switch err := lockFile(f); {
	case errors.Is(err, ErrLocked):
		f.Close()
		h, _ := readHolder(path)
		return nil, &LockedError{Path: path, Holder: h}
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("flock: lock %s: %w", path, err)
	}
	// The holder record is for messages only; the lock is the truth. If it
	// cannot be written, remove any record left by an earlier holder so that
	// nobody names a dead process.
	if err := writeHolder(path, holderRecord{PID: os.Getpid(), Since: time.Now()}); err != nil {
		os.Remove(path + holderSuffix)
	}
	return &Lock{lock{path: path, f: f}}, nil
}

func wait(ctx context.Context, path string) (*Lock, error) {
	// Polling rather than a blocking flock(2): a blocked system call cannot
	// be cancelled by ctx, and a lock guarding backups is held for minutes,
	// so a few hundred milliseconds of latency cost nothing.
	delay := 10 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l, err := tryLock(path)
		if !errors.Is(err, ErrLocked) {
			return l, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 250*time.Millisecond)
	}
}

func (l *lock) unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	// Remove the record while still holding the lock: afterwards it may
	// already be the next holder's.
	os.Remove(l.path + holderSuffix)
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	// The lock file itself stays: removing it would let a process that
	// opened the old file and one that creates a new one both "hold" it.
	if err != nil {
		return fmt.Errorf("flock: unlock %s: %w", l.path, err)
	}
	return nil
}

// writeHolder replaces the sidecar atomically, so a reader sees the old
// record or the new one, never a partial one.
func writeHolder(path string, rec holderRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return atomicfile.Write(path+holderSuffix, data, 0o600)
}

func readHolder(path string) (Holder, error) {
	data, err := os.ReadFile(path + holderSuffix)
	if err != nil {
		return Holder{}, fmt.Errorf("flock: holder of %s: %w", path, err)
	}
	var rec holderRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.PID <= 0 {
		return Holder{}, fmt.Errorf("flock: holder of %s: bad record %q", path, data)
	}
	return Holder{PID: rec.PID, Since: rec.Since}, nil
}
