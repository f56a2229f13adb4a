// Package store keeps lockwatch's state and history in an embedded bbolt
// database (one file, typically state.db): the audit trail of removed locks,
// repository state changes, when each lock was first seen, and the last known
// state of each repository.
//
// # One open per operation
//
// Several processes write to the store: the long-running service, the CLI
// (`lockwatch unlock` when no service runs) and the `lockwatch run` backup
// wrapper. bbolt takes an exclusive OS file lock (flock, LockFileEx) for as
// long as a database is open read-write, so a process that kept the file open
// would lock every other one out. A Store therefore does not keep the
// database open: each public method opens the file, runs exactly one
// transaction and closes it again, which releases the lock. Reading methods
// open the file read-only and take a shared lock, so readers do not exclude
// each other. A process waits up to 5 seconds for the lock (bbolt polls it
// every 50 ms); after that the method fails with an error that wraps ErrBusy
// and says "state store <path> is busy (another lockwatch process holds it)".
// Within one process, Store values on the same path also share an in-memory
// lock, so goroutines queue instead of polling the file lock.
//
// Opening costs a few system calls and a mmap, which is nothing next to the
// fsync of a write; the store is touched a few times a minute at most.
//
// # Durability
//
// Writes run in bbolt Update transactions with NoSync left false: bbolt
// fsyncs the data pages and then the meta page before Commit returns, so an
// event that Append has returned survives the process being killed (kill -9)
// or the machine losing power right after, and an interrupted write leaves
// the previous state intact.
//
// # Layout
//
// Values are JSON. Bucket "events" holds the history keyed by the 8-byte
// big-endian Seq (from the bucket's NextSequence), so key order is the order
// of appending. There is no secondary index: History walks the bucket
// backwards with a cursor and filters, which is fine because Prune keeps the
// history at a few thousand records. Bucket "repos" maps a repository name to
// its RepoState; bucket "observed" holds one nested bucket per repository
// mapping a lock ID to the time it was first seen. Records that cannot be
// decoded (corruption, or a newer lockwatch's format) are skipped and counted
// (see Store.Skipped), never fatal; Prune leaves them in place.
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/lockwatch/lockwatch/service/lock"
)

// Event kinds.
const (
	KindRemoval = "removal" // a lock was removed: the audit trail
	KindState   = "state"   // a repository changed state
	KindRun     = "run"     // a backup run (lockwatch run)
)

// Event is one entry of the history: a lock removal (the audit trail), a
// repository state change, or a run.
type Event struct {
	Seq  uint64    `json:"seq"` // assigned by Append, increasing
	Time time.Time `json:"time"`
	Repo string    `json:"repo"`
	Kind string    `json:"kind"` // KindRemoval, KindState, KindRun
	// Removal:
	Lock    *LockRecord `json:"lock,omitempty"`
	Verdict string      `json:"verdict,omitempty"`
	Reason  string      `json:"reason,omitempty"`
	By      string      `json:"by,omitempty"`     // "auto", "tray", "notification", "cli", "api", "run"
	Method  string      `json:"method,omitempty"` // e.g. "deleted lock files", "restic unlock"
	// State change:
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Detail string `json:"detail,omitempty"` // e.g. the error text, "1 orphaned, 1 live"
	// Why is Reason (a removal) or Detail (a state change) as message IDs
	// and their facts, for the app to say in its user's language; the
	// English fields stay for the CLI and scripts.
	Why []lock.Why `json:"why,omitempty"`
	// Run (stored as-is):
	Run json.RawMessage `json:"run,omitempty"`
}

// LockRecord is what the audit trail keeps of a removed lock.
type LockRecord struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Hostname  string    `json:"hostname"`
	Username  string    `json:"username"`
	PID       int       `json:"pid"`
	UID       uint32    `json:"uid,omitempty"`
	GID       uint32    `json:"gid,omitempty"`
	Exclusive bool      `json:"exclusive"`
}

// Query selects events for History.
type Query struct {
	Repo     string   // "" = all repositories
	Kinds    []string // empty = all kinds
	Limit    int      // 0 = 100; negative = no limit
	AfterSeq uint64   // only events with Seq > AfterSeq
}

// defaultLimit is the number of events History returns when Query.Limit is 0.
const defaultLimit = 100

// RepoState is the last known state of a repository, kept to detect
// transitions across service restarts.
type RepoState struct {
	State     string     `json:"state"`
	Since     time.Time  `json:"since"`
	Detail    string     `json:"detail"`
	Why       []lock.Why `json:"why,omitempty"` // Detail as message IDs and facts
	CheckedAt time.Time  `json:"checked_at"`
}

// ErrBusy is wrapped by the error returned when another process holds the
// database longer than the lock timeout.
var ErrBusy = errors.New("state store busy")

type busyError struct{ path string }

func (e *busyError) Error() string {
	return fmt.Sprintf("state store %s is busy (another lockwatch process holds it)", e.path)
}

func (e *busyError) Unwrap() error { return ErrBusy }

// lockTimeout is how long an operation waits for another process to
// release the database.
const lockTimeout = 5 * time.Second

const formatVersion = 1

var (
	bucketEvents   = []byte("events")
	bucketRepos    = []byte("repos")
	bucketObserved = []byte("observed")
	bucketMeta     = []byte("meta")
	keyVersion     = []byte("version")
)

// Store is lockwatch's state database. It holds only the path: every method
// opens the file, runs one transaction and closes it (see the package
// comment). A Store is safe for concurrent use, and so are several Store
// values or processes on the same file.
type Store struct {
	path    string
	mu      *sync.RWMutex // shared by all Store values on this path in this process
	timeout time.Duration
	skipped atomic.Uint64
	reset   string // see Reset
	// resetWhy is reset as a message ID and its facts.
	resetWhy []lock.Why
}

// pathLocks serialises Store values of one process on the same file, so that
// goroutines wait on a mutex rather than polling bbolt's file lock.
var pathLocks sync.Map // absolute path -> *sync.RWMutex

// Open prepares the store at path: it creates the parent directory (0700)
// and the file (0600) if needed, and checks that the file opens as a bbolt
// database with lockwatch's buckets. It does not keep the file open.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("state store: no path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("state store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("state store %s: %w", path, err)
	}
	mu, _ := pathLocks.LoadOrStore(abs, new(sync.RWMutex))
	s := &Store{path: path, mu: mu.(*sync.RWMutex), timeout: lockTimeout}
	err = s.init()
	// A full or read-only disk is no damage to the file: leave it be.
	if err != nil && !errors.Is(err, ErrBusy) && !errors.Is(err, fs.ErrPermission) &&
		!errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EROFS) {
		// History is worth less than monitoring: a file bbolt cannot open
		// (truncated, overwritten) is moved aside, and the store starts anew.
		first := err
		aside := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405Z"))
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, errors.Join(err, fmt.Errorf("moving it aside: %w", rerr))
		}
		if err = s.init(); err == nil {
			s.reset = fmt.Sprintf("%v; it was moved to %s and the history starts anew", first, aside)
			s.resetWhy = []lock.Why{{ID: WhyHistoryReset, Facts: map[string]string{"Error": first.Error(), "Aside": aside}}}
		}
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// init checks that the file opens as a bbolt database with our buckets.
func (s *Store) init() error {
	if err := checkLength(s.path); err != nil {
		return s.errorf("%w", err)
	}
	return s.update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta.Get(keyVersion) == nil {
			v, _ := json.Marshal(formatVersion)
			return meta.Put(keyVersion, v)
		}
		return nil
	})
}

// Reset says, when Open found the file unreadable and started anew, what
// happened and where the old file went; "" otherwise.
func (s *Store) Reset() string {
	if s == nil {
		return ""
	}
	return s.reset
}

// WhyHistoryReset is the ID of ResetWhy's message; its facts are Error
// (why the file could not be opened) and Aside (where it went).
const WhyHistoryReset = "history-reset"

// ResetWhy is Reset as a message ID and its facts, for the app to say in
// its user's language; nil when there was no reset.
func (s *Store) ResetWhy() []lock.Why {
	if s == nil {
		return nil
	}
	return s.resetWhy
}

// Path returns the database file's path as given to Open.
func (s *Store) Path() string { return s.path }

// Skipped returns how many undecodable records this Store value has skipped
// so far (in History, RepoStates, Observe, SetRepoState, Prune).
func (s *Store) Skipped() uint64 { return s.skipped.Load() }

func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf("state store %s: "+format, append([]any{s.path}, args...)...)
}

// open opens the database, mapping bbolt's lock timeout to a busy error.
func (s *Store) open(readOnly bool) (*bbolt.DB, error) {
	db, err := bbolt.Open(s.path, 0o600, &bbolt.Options{Timeout: s.timeout, ReadOnly: readOnly})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, &busyError{s.path}
	}
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	return db, nil
}

// update runs fn in one read-write transaction, with every bucket present.
func (s *Store) update(fn func(tx *bbolt.Tx) error) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	db, err := s.open(false)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = s.errorf("close: %w", cerr)
		}
	}()
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketEvents, bucketRepos, bucketObserved, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return fn(tx)
	})
	if err != nil {
		return s.errorf("%w", err)
	}
	return nil
}

// view runs fn in one read-only transaction. Buckets may be missing (when
// the file was replaced since Open); fn must allow for nil buckets.
func (s *Store) view(fn func(tx *bbolt.Tx) error) (err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	// A read-only open cannot initialise a missing or empty file (one
	// deleted since Open, or created by a process killed before it wrote the
	// header): open it read-write then, which does.
	readOnly := true
	if fi, statErr := os.Stat(s.path); statErr != nil || fi.Size() == 0 {
		readOnly = false
	}
	db, err := s.open(readOnly)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = s.errorf("close: %w", cerr)
		}
	}()
	if err := db.View(fn); err != nil {
		return s.errorf("%w", err)
	}
	return nil
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// Append adds events to the history in one transaction and returns them
// with Seq set (increasing, never reused) and Time set to now where it was
// zero. Each event needs a Kind.
func (s *Store) Append(events ...Event) ([]Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	out := make([]Event, len(events))
	now := time.Now()
	for i, ev := range events {
		if ev.Kind == "" {
			return nil, s.errorf("append: event %d has no kind", i)
		}
		if ev.Time.IsZero() {
			ev.Time = now
		}
		ev.Time = ev.Time.Round(0) // what JSON keeps: no monotonic reading
		out[i] = ev
	}
	err := s.update(func(tx *bbolt.Tx) error {
		return appendEvents(tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendEvents stores evs in tx, setting their Seq.
func appendEvents(tx *bbolt.Tx, evs []Event) error {
	b := tx.Bucket(bucketEvents)
	for i := range evs {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		evs[i].Seq = seq
		v, err := json.Marshal(&evs[i])
		if err != nil {
			return fmt.Errorf("append: encode event: %w", err)
		}
		if err := b.Put(seqKey(seq), v); err != nil {
			return err
		}
	}
	return nil
}

// History returns the events matching q, newest first.
func (s *Store) History(q Query) ([]Event, error) {
	limit := q.Limit
	if limit == 0 {
		limit = defaultLimit
	}
	var out []Event
	err := s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if limit > 0 && len(out) >= limit {
				break
			}
			if len(k) != 8 {
				s.skipped.Add(1)
				continue
			}
			seq := binary.BigEndian.Uint64(k)
			if seq <= q.AfterSeq {
				break
			}
			var ev Event
			if v == nil || json.Unmarshal(v, &ev) != nil {
				s.skipped.Add(1)
				continue
			}
			ev.Seq = seq // the key is authoritative
			if q.Repo != "" && ev.Repo != q.Repo {
				continue
			}
			if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, ev.Kind) {
				continue
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Prune deletes the events older than now-keep, except the newest
// keepAtLeast events of each repository, which stay however old they are.
// It returns how many events it deleted. Undecodable records are left alone.
func (s *Store) Prune(keep time.Duration, keepAtLeast int) (int, error) {
	cutoff := time.Now().Add(-keep)
	deleted := 0
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		perRepo := map[string]int{}
		var doomed [][]byte
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var ev Event
			if len(k) != 8 || v == nil || json.Unmarshal(v, &ev) != nil {
				s.skipped.Add(1)
				continue
			}
			perRepo[ev.Repo]++
			if perRepo[ev.Repo] > keepAtLeast && ev.Time.Before(cutoff) {
				doomed = append(doomed, bytes.Clone(k))
			}
		}
		// Delete after the walk: deleting under a moving cursor can skip keys.
		for _, k := range doomed {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		deleted = len(doomed)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return deleted, nil
}

// Observe records which locks repo has now. In one transaction it returns
// the time each of ids was first seen (now for a new one, which it stores)
// and forgets the stored ids of repo that are not in ids: those locks are
// gone, and forgetting them keeps the store bounded.
func (s *Store) Observe(repo string, ids []string, now time.Time) (map[string]time.Time, error) {
	if repo == "" {
		return nil, s.errorf("observe: no repository name")
	}
	now = now.Round(0)
	seen := make(map[string]time.Time, len(ids))
	err := s.update(func(tx *bbolt.Tx) error {
		obs := tx.Bucket(bucketObserved)
		if len(ids) == 0 {
			if obs.Bucket([]byte(repo)) != nil {
				return obs.DeleteBucket([]byte(repo))
			}
			return nil
		}
		b, err := obs.CreateBucketIfNotExists([]byte(repo))
		if err != nil {
			return err
		}
		want := make(map[string]bool, len(ids))
		for _, id := range ids {
			if id == "" || want[id] {
				continue
			}
			want[id] = true
			if v := b.Get([]byte(id)); v != nil {
				var t time.Time
				if json.Unmarshal(v, &t) == nil && !t.IsZero() {
					seen[id] = t
					continue
				}
				s.skipped.Add(1) // undecodable: start over from now
			}
			v, _ := json.Marshal(now)
			if err := b.Put([]byte(id), v); err != nil {
				return err
			}
			seen[id] = now
		}
		var gone [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if !want[string(k)] {
				gone = append(gone, bytes.Clone(k))
			}
		}
		for _, k := range gone {
			if b.Bucket(k) != nil {
				if err := b.DeleteBucket(k); err != nil {
					return err
				}
				continue
			}
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return seen, nil
}

// RepoStates returns the stored state of every repository.
func (s *Store) RepoStates() (map[string]RepoState, error) {
	out := map[string]RepoState{}
	err := s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketRepos)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var st RepoState
			if v == nil || json.Unmarshal(v, &st) != nil {
				s.skipped.Add(1)
				return nil
			}
			out[string(k)] = st
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetRepoState stores st as repo's state. When st.State differs from the
// stored state, or none was stored, it appends a KindState event {From, To,
// Detail} in the same transaction and returns it; it returns nil when the
// state is unchanged.
//
// A zero st.Since is filled in: with the stored Since when the state is
// unchanged, else with st.CheckedAt, or now. The event's Time is st.Since.
func (s *Store) SetRepoState(repo string, st RepoState) (*Event, error) {
	if repo == "" {
		return nil, s.errorf("set repository state: no repository name")
	}
	var ev *Event
	err := s.update(func(tx *bbolt.Tx) error {
		ev = nil
		b := tx.Bucket(bucketRepos)
		var old RepoState
		had := false
		if v := b.Get([]byte(repo)); v != nil {
			if json.Unmarshal(v, &old) == nil {
				had = true
			} else {
				s.skipped.Add(1) // undecodable: treat as no state
			}
		}
		changed := !had || old.State != st.State
		if st.Since.IsZero() {
			switch {
			case !changed:
				st.Since = old.Since
			case !st.CheckedAt.IsZero():
				st.Since = st.CheckedAt
			default:
				st.Since = time.Now()
			}
		}
		st.Since = st.Since.Round(0)
		st.CheckedAt = st.CheckedAt.Round(0)
		v, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(repo), v); err != nil {
			return err
		}
		if !changed {
			return nil
		}
		evs := []Event{{
			Time:   st.Since,
			Repo:   repo,
			Kind:   KindState,
			From:   old.State,
			To:     st.State,
			Detail: st.Detail,
			Why:    st.Why,
		}}
		if err := appendEvents(tx, evs); err != nil {
			return err
		}
		ev = &evs[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// ForgetRepo removes the state and observations of a repository that is no
// longer configured. Its history stays (Prune ages it out).
func (s *Store) ForgetRepo(repo string) error {
	if repo == "" {
		return s.errorf("forget repository: no repository name")
	}
	return s.update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketRepos).Delete([]byte(repo)); err != nil {
			return err
		}
		obs := tx.Bucket(bucketObserved)
		if obs.Bucket([]byte(repo)) != nil {
			return obs.DeleteBucket([]byte(repo))
		}
		if obs.Get([]byte(repo)) != nil {
			return obs.Delete([]byte(repo))
		}
		return nil
	})
}

// checkLength refuses a database file shorter than its own meta pages say
// it is: bbolt maps the file into memory and would crash the whole process
// (SIGBUS) reading past its end, where a truncated copy ends. bbolt has no
// such check of its own, so it is written here: each of the two meta
// pages (at 0 and at one page size) holds, after the 16-byte page header,
// magic, version, page size, flags, root bucket (16 bytes), freelist page
// and the high-water page ID.
func checkLength(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err // bbolt makes a new database of an empty file
	}
	const magic = 0xED0CDAED
	var need int64
	pageSize := int64(os.Getpagesize()) // where the second meta page is, unless the first says
	for i := range 2 {
		var meta [64]byte
		if _, err := f.ReadAt(meta[:], int64(i)*pageSize); err != nil {
			return fmt.Errorf("not a database: too short (%d bytes)", fi.Size())
		}
		if binary.LittleEndian.Uint32(meta[16:20]) != magic {
			continue // bbolt itself refuses a bad meta page (no crash)
		}
		ps := int64(binary.LittleEndian.Uint32(meta[24:28]))
		if i == 0 && ps > 0 {
			pageSize = ps
		}
		need = max(need, int64(binary.LittleEndian.Uint64(meta[56:64]))*ps)
	}
	if need > fi.Size() {
		return fmt.Errorf("truncated: %d bytes, its pages need %d", fi.Size(), need)
	}
	return nil
}
