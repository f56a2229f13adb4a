// Package reader is the contract between a check and what reads a
// repository: the native reader (service/native) or the restic binary
// (service/restic). Every reader lists and reads locks; what only some of
// them can do is a small interface of its own, which callers test for:
//
//	if r, ok := rd.(reader.ExactRemover); ok { … }
package reader

import (
	"context"
	"errors"
	"time"

	"github.com/lockwatch/lockwatch/service/lock"
)

// Reader reads one repository's locks.
type Reader interface {
	// Name says how locks are read, for status output: "native" or "restic".
	Name() string
	// ListLocks returns the storage IDs under locks/.
	ListLocks(ctx context.Context) ([]string, error)
	// ReadLock reads one lock. A lock that vanished since it was listed
	// gives an error matching ErrNotFound; a file that is no lock gives a
	// Lock whose Problem says why.
	ReadLock(ctx context.Context, id string) (lock.Lock, error)
}

// ExactRemover deletes exactly the named lock files, and nothing else: the
// native reader on every backend, the restic binary on a local repository.
// A file already gone counts as removed.
type ExactRemover interface {
	RemoveLocks(ctx context.Context, ids []string) error
}

// ResticUnlocker removes locks the way restic itself does, for backends
// where lockwatch cannot delete single files.
type ResticUnlocker interface {
	// UnlockStale runs `restic unlock`, restic's own stale rule. Callers
	// must first make sure that rule agrees with lockwatch's verdicts.
	UnlockStale(ctx context.Context) error
	// RemoveAll runs `restic unlock --remove-all`: every lock goes.
	RemoveAll(ctx context.Context) error
}

// SnapshotLister finds the newest snapshot matching host, all of tags, and
// paths (empty: any), without taking a lock.
type SnapshotLister interface {
	LatestSnapshot(ctx context.Context, host string, tags, paths []string) (at time.Time, found bool, err error)
}

// IsID reports whether s is a full storage ID: 64 lowercase hex digits.
func IsID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// Errors every reader reports alike, for errors.Is.
var (
	// ErrNotFound: the file (a lock, say) is not there, though the repository is.
	ErrNotFound = errors.New("file not found")
	// ErrRepoMissing: there is no repository at the configured location.
	ErrRepoMissing = errors.New("repository does not exist")
	// ErrWrongPassword: no key of the repository opens with the password.
	ErrWrongPassword = errors.New("wrong password or no key found")
)
