// Package native reads restic repositories directly, without starting
// restic: the key is derived once per opened repository instead of once per
// restic call, and a lock already decrypted is never read again, so a check
// where nothing changed costs one listing of locks/.
package native

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/reader"
)

// ErrWrongPassword means no key file of the repository opens with the
// password, in restic's words; it is the error every reader gives.
var ErrWrongPassword = reader.ErrWrongPassword

// goneError is a lock that vanished between listing and reading: its owner
// refreshed (a new file) or removed it. It matches reader.ErrNotFound,
// which is what check.Checker skips on, and ErrNotExist.
type goneError struct{ id string }

func (e *goneError) Error() string {
	return "lock " + lock.Lock{ID: e.id}.ShortID() + " no longer exists"
}

func (e *goneError) Is(target error) bool {
	return target == reader.ErrNotFound || target == ErrNotExist
}

// missingRepoError: there is no config file, so no repository, at the
// location. It matches reader.ErrRepoMissing like the restic CLI's error.
type missingRepoError struct{ location string }

func (e *missingRepoError) Error() string {
	return "there is no repository at " + e.location + " (no config file)"
}

func (e *missingRepoError) Is(target error) bool {
	return target == reader.ErrRepoMissing || target == ErrNotExist
}

// PasswordFunc returns the repository password. It is called once, when
// the key is first needed, and again only after a failed attempt.
type PasswordFunc func(ctx context.Context) (string, error)

// Repo reads and removes one repository's locks: a reader.Reader,
// reader.ExactRemover and reader.SnapshotLister. It is safe for concurrent
// use; keep one per repository for as long as its Fingerprint stays the same.
type Repo struct {
	be       Backend
	password PasswordFunc

	// keyed is a one-slot semaphore guarding key and version, rather than
	// a mutex, so that a caller whose context ends stops waiting for
	// another caller's key derivation (scrypt takes about half a second).
	keyed   chan struct{}
	key     *cryptoKey
	version uint
	// wrong tags the password and key files of the last attempt that found
	// no key, so that a check repeating it fails at once instead of
	// spending scrypt's half second of CPU per key file again.
	wrong    []byte
	wrongErr error

	mu    sync.Mutex
	locks map[string]lock.Lock // decrypted locks by ID: content-addressed, so true forever
	sizes map[string]int64     // sizes from the latest listing, to spot empty files without reading them
	// snapshots are decoded snapshots by ID (content-addressed like locks).
	snapshots map[string]snapshotInfo
}

// NewRepo reads the repository on be, with the password from password.
// Nothing is read until the first call that needs it.
func NewRepo(be Backend, password PasswordFunc) *Repo {
	return &Repo{be: be, password: password, keyed: make(chan struct{}, 1)}
}

var (
	_ reader.Reader         = (*Repo)(nil)
	_ reader.ExactRemover   = (*Repo)(nil)
	_ reader.SnapshotLister = (*Repo)(nil)
)

// Name names this reader in status output.
func (r *Repo) Name() string { return "native" }

// Location names the repository's storage, without secrets.
func (r *Repo) Location() string { return r.be.Location() }

// Close releases the backend (connections, sessions).
func (r *Repo) Close() error { return r.be.Close() }

// DeriveKey finds the master key and reads the config, once: later calls
// return at once. A wrong password gives an error matching
// ErrWrongPassword. A failure is not kept, so the next call tries again
// (the network may be back, the password file fixed); only the same wrong
// password against the same key files is refused without running scrypt.
func (r *Repo) DeriveKey(ctx context.Context) error {
	_, _, err := r.keyAndVersion(ctx)
	return err
}

// Version is the repository format version (1 or 2).
func (r *Repo) Version(ctx context.Context) (int, error) {
	_, v, err := r.keyAndVersion(ctx)
	return int(v), err
}

func (r *Repo) keyAndVersion(ctx context.Context) (*cryptoKey, uint, error) {
	select {
	case r.keyed <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	defer func() { <-r.keyed }()
	if r.key != nil {
		return r.key, r.version, nil
	}
	// The config first: without it there is no repository, and asking for
	// a password (which may run a command or prompt a keyring) would be
	// pointless.
	cfgData, err := r.be.Read(ctx, "config")
	if errors.Is(err, ErrNotExist) {
		return nil, 0, &missingRepoError{location: r.be.Location()}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading the config of %s: %w", r.be.Location(), err)
	}
	key, err := r.searchKey(ctx)
	if err != nil {
		return nil, 0, err
	}
	cfg, err := parseConfig(key, cfgData)
	if err != nil {
		return nil, 0, fmt.Errorf("config of %s: %w", r.be.Location(), err)
	}
	r.key, r.version = key, cfg.Version
	return key, cfg.Version, nil
}

// searchKey tries the key files in the order the backend lists them, at
// most maxKeys of them, like restic's SearchKey: a key that fails the MAC
// was made for another password; any other failure stops the search, as
// it stops restic.
func (r *Repo) searchKey(ctx context.Context) (*cryptoKey, error) {
	files, err := r.be.List(ctx, "keys")
	if err != nil {
		return nil, fmt.Errorf("listing the keys of %s: %w", r.be.Location(), err)
	}
	password, err := r.password(ctx)
	if err != nil {
		return nil, err
	}
	attempt := attemptTag(password, files)
	if hmac.Equal(attempt, r.wrong) {
		return nil, r.wrongErr
	}
	key, err := r.tryKeys(ctx, files, password)
	if errors.Is(err, ErrWrongPassword) {
		r.wrong, r.wrongErr = attempt, err
	}
	return key, err
}

// attemptTag identifies a password and a set of key files without keeping
// the password: a keyed hash, with a key that never leaves this process.
func attemptTag(password string, files []FileInfo) []byte {
	h := hmac.New(sha256.New, fingerprintKey())
	field(h, "password", password)
	for _, fi := range files {
		field(h, "key", fi.Name)
	}
	return h.Sum(nil)
}

func (r *Repo) tryKeys(ctx context.Context, files []FileInfo, password string) (*cryptoKey, error) {
	for i, fi := range files {
		if i >= maxKeys {
			return nil, fmt.Errorf("%w (restic tries only the first %d of the %d key files)", ErrWrongPassword, maxKeys, len(files))
		}
		if !isID(fi.Name) {
			continue
		}
		data, err := r.be.Read(ctx, "keys/"+fi.Name)
		if errors.Is(err, ErrNotExist) {
			continue // removed since the listing (restic key remove)
		}
		if err != nil {
			return nil, fmt.Errorf("reading key %.8s: %w", fi.Name, err)
		}
		if !matchesID(fi.Name, data) {
			return nil, fmt.Errorf("key %.8s: content does not match its name (hash mismatch)", fi.Name)
		}
		key, err := deriveOne(ctx, data, password)
		if errors.Is(err, errUnauthenticated) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("key %.8s: %w", fi.Name, err)
		}
		return key, nil
	}
	return nil, ErrWrongPassword
}

// deriving lets one scrypt run at a time in this process: each takes
// about 32 MiB (restic's N=2^15, r=8), and a service opening ten
// repositories at start must not hold ten of them at once.
var deriving = make(chan struct{}, 1)

// deriveOne opens a key file, then hands scrypt's memory back to the OS
// at once: a background service should not sit on it until the next GC
// cycle decides to return it.
func deriveOne(ctx context.Context, data []byte, password string) (*cryptoKey, error) {
	select {
	case deriving <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() {
		debug.FreeOSMemory()
		<-deriving
	}()
	return openKeyFile(data, password)
}

// ListLocks returns the IDs under locks/, sorted, in one listing. Empty
// files are included (ReadLock reports them); names that are not storage
// IDs are not, as restic skips them. The key is derived first, so that a
// wrong password is reported even when there are no locks, as restic
// reports it.
func (r *Repo) ListLocks(ctx context.Context) ([]string, error) {
	if err := r.DeriveKey(ctx); err != nil {
		return nil, err
	}
	files, err := r.be.List(ctx, "locks")
	if err != nil {
		return nil, fmt.Errorf("listing the locks of %s: %w", r.be.Location(), err)
	}
	ids := make([]string, 0, len(files))
	sizes := make(map[string]int64, len(files))
	for _, fi := range files {
		if isID(fi.Name) {
			ids = append(ids, fi.Name)
			sizes[fi.Name] = fi.Size
		}
	}
	slices.Sort(ids)
	r.mu.Lock()
	r.sizes = sizes
	for id := range r.locks {
		if _, ok := sizes[id]; !ok {
			delete(r.locks, id) // gone: keeps the cache as small as the directory
		}
	}
	r.mu.Unlock()
	return ids, nil
}

// ReadLock reads one lock. A lock that vanished since it was listed gives
// an error matching reader.ErrNotFound; a file that is no lock gives a
// Lock whose Problem says why. Each ID is read and decrypted once.
func (r *Repo) ReadLock(ctx context.Context, id string) (lock.Lock, error) {
	if !isID(id) {
		return lock.Lock{}, fmt.Errorf("%q is not a lock ID", id)
	}
	r.mu.Lock()
	l, cached := r.locks[id]
	size, listed := r.sizes[id]
	r.mu.Unlock()
	if cached {
		return l, nil
	}
	if listed && size == 0 {
		// Not cached: on a backend without atomic uploads, the same name
		// may yet get its content.
		return lock.Unreadable(id, lock.ProblemEmpty, problemEmpty), nil
	}
	if listed && size > maxSmallFile {
		// Not read at all: no lock is that large.
		return lock.Unreadable(id, lock.ProblemTooLarge, problemTooLarge(size)), nil
	}
	key, version, err := r.keyAndVersion(ctx)
	if err != nil {
		return lock.Lock{}, err
	}
	data, err := r.be.Read(ctx, "locks/"+id)
	var tooLarge *tooLargeError
	switch {
	case errors.Is(err, ErrNotExist):
		return lock.Lock{}, &goneError{id: id}
	case errors.As(err, &tooLarge):
		// A listing without sizes (REST API v1) did not tell.
		return lock.Unreadable(id, lock.ProblemTooLarge, problemTooLarge(tooLarge.size)), nil
	case err != nil:
		return lock.Lock{}, fmt.Errorf("reading lock %s: %w", lock.Lock{ID: id}.ShortID(), err)
	}
	if len(data) == 0 {
		return lock.Unreadable(id, lock.ProblemEmpty, problemEmpty), nil
	}
	if !matchesID(id, data) {
		// Not cached either: a partial read or an upload in progress
		// looks the same, and may be whole next time.
		return lock.Unreadable(id, lock.ProblemHash, problemHash), nil
	}
	// From here the bytes are exactly the ones the ID names, so whatever
	// they decode to (a lock, or a problem) is final for this key.
	l = decodeLock(key, version, id, data)
	r.mu.Lock()
	if r.locks == nil {
		r.locks = map[string]lock.Lock{}
	}
	r.locks[id] = l
	r.mu.Unlock()
	return l, nil
}

// RemoveLocks deletes exactly these lock files. One already gone counts as
// removed: someone (its owner) got there first, and the goal is met.
func (r *Repo) RemoveLocks(ctx context.Context, ids []string) error {
	var errs []error
	for _, id := range ids {
		if !isID(id) {
			errs = append(errs, fmt.Errorf("%q is not a lock ID", id))
			continue
		}
		if err := r.removeLock(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Repo) removeLock(ctx context.Context, id string) error {
	err := r.be.Remove(ctx, "locks/"+id)
	if err != nil && !errors.Is(err, ErrNotExist) {
		return fmt.Errorf("removing lock %s: %w", lock.Lock{ID: id}.ShortID(), err)
	}
	r.mu.Lock()
	delete(r.locks, id)
	delete(r.sizes, id)
	r.mu.Unlock()
	return nil
}
