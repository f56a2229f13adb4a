// Package check checks restic repositories for locks, judges them and
// removes the stale ones; the daemon, the tray and the CLI all go through it.
package check

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lockwatch/lockwatch/platform/process"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/native"
	"github.com/lockwatch/lockwatch/service/reader"
	"github.com/lockwatch/lockwatch/service/restic"
)

// State sums up a repository, worst first: error, failed, stale, busy, ok.
type State string

const (
	StateOK     State = "ok"     // no locks
	StateBusy   State = "busy"   // live or fresh locks only: restic is at work
	StateStale  State = "stale"  // a lock nobody holds, or a file that is no lock
	StateFailed State = "failed" // the last run failed or snapshots are overdue
	StateError  State = "error"  // the repository could not be checked
)

// Worse reports whether s needs attention more urgently than t.
func (s State) Worse(t State) bool { return s.rank() > t.rank() }

func (s State) rank() int {
	switch s {
	case StateBusy:
		return 1
	case StateStale:
		return 2
	case StateFailed:
		return 3
	case StateError:
		return 4
	}
	return 0
}

// LockStatus is one lock with lockwatch's verdict, as shown to users and scripts.
type LockStatus struct {
	ID         string       `json:"id"`
	Time       time.Time    `json:"time,omitzero"`
	AgeSeconds int64        `json:"age_seconds"`
	Exclusive  bool         `json:"exclusive"`
	Hostname   string       `json:"hostname"`
	Username   string       `json:"username"`
	PID        int          `json:"pid"`
	UID        uint32       `json:"uid,omitempty"`
	GID        uint32       `json:"gid,omitempty"`
	Verdict    lock.Verdict `json:"verdict"`
	Reason     string       `json:"reason"` // in English, for scripts
	// Why is Reason as a message ID and its facts, which the app shows in
	// its user's language.
	Why lock.Why `json:"why,omitzero"`
	// Owner is the process on this host judged to hold a live lock, kept
	// for the service's exit watch; not part of the API.
	Owner process.Info `json:"-"`
}

// ShortID is the first 8 hex digits, as restic prints storage IDs.
func (l LockStatus) ShortID() string { return lock.Lock{ID: l.ID}.ShortID() }

// Kind is "exclusive" or "shared", as people say it.
func (l LockStatus) Kind() string {
	if l.Exclusive {
		return "exclusive"
	}
	return "shared"
}

// Age is how long ago the lock was last written.
func (l LockStatus) Age() time.Duration { return time.Duration(l.AgeSeconds) * time.Second }

// RepoStatus is the outcome of checking one repository.
type RepoStatus struct {
	Name  string `json:"name"`
	State State  `json:"state"`
	Error string `json:"error"`
	// ErrorKind names what kind of error Error is, when the app can say
	// so in its user's language: ErrorRepoMissing and the others.
	ErrorKind string `json:"error_kind,omitempty"`
	Reader    string `json:"reader,omitempty"`
	// ReaderNote says why the restic CLI reads a repository that the
	// native reader could (it could not open it).
	ReaderNote string       `json:"reader_note,omitempty"`
	CheckedAt  time.Time    `json:"checked_at"`
	Locks      []LockStatus `json:"locks"`
	// UnreadLocks counts the listed locks not read yet, when more were
	// listed than one check reads; later checks read them. LocksNote says
	// so in words.
	UnreadLocks int    `json:"unread_locks"`
	LocksNote   string `json:"locks_note,omitempty"`

	// Failure says why the state is failed: overdue snapshots, a failed run.
	Failure string `json:"failure,omitempty"`
	// FailureWhy is Failure's parts as message IDs and their facts.
	FailureWhy     []lock.Why  `json:"failure_why,omitempty"`
	LastSnapshotAt time.Time   `json:"last_snapshot_at,omitzero"`
	LastRun        *RunSummary `json:"last_run,omitempty"`

	// Set by the service.
	NextCheckAt time.Time `json:"next_check_at,omitzero"`
	AutoUnlock  string    `json:"auto_unlock,omitempty"`
	Watch       *Watch    `json:"watch,omitempty"`
}

// Watch says what makes the service re-check a repository between its
// scheduled checks.
type Watch struct {
	// Owners counts the processes on this host holding the repository's
	// live locks whose exit is watched.
	Owners int `json:"owners"`
	// LocksDir is true when a local repository's locks/ is watched, so
	// that a lock written or removed is seen at once.
	LocksDir bool `json:"locks_dir"`
	// Note says in words what is not watched and why, if anything.
	Note string `json:"note,omitempty"`
}

// What says in a few words what is watched: "locks/ and 2 running
// backups", "" for nothing.
func (w *Watch) What() string {
	if w == nil {
		return ""
	}
	var what []string
	if w.LocksDir {
		what = append(what, "locks/")
	}
	switch {
	case w.Owners == 1:
		what = append(what, "1 running backup")
	case w.Owners > 1:
		what = append(what, fmt.Sprintf("%d running backups", w.Owners))
	}
	return strings.Join(what, " and ")
}

// Status is the outcome of checking several repositories.
type Status struct {
	CheckedAt time.Time    `json:"checked_at"`
	Repos     []RepoStatus `json:"repos"`

	// Source says who checked: "service", or "in-process" when no service answered.
	Source     string    `json:"source,omitempty"`
	ConfigPath string    `json:"config,omitempty"`    // the config file the service runs with
	PID        int       `json:"pid,omitempty"`       // the service's
	StartedAt  time.Time `json:"started_at,omitzero"` // the service's
	// Notice is news about the service itself, e.g. that its state store
	// was unreadable and started anew.
	Notice string `json:"notice,omitempty"`
	// NoticeWhy is Notice as message IDs and their facts, for the app.
	NoticeWhy []lock.Why `json:"notice_why,omitempty"`
}

// Worst is the state that needs attention most.
func (s Status) Worst() State {
	worst := StateOK
	for _, r := range s.Repos {
		if r.State.Worse(worst) {
			worst = r.State
		}
	}
	return worst
}

// Checker checks repositories. The zero value is not usable: use NewChecker.
type Checker struct {
	Config *config.Config
	Probe  lock.ProcessProbe
	Now    func() time.Time
	// Open opens a repository's reader; tests may replace it.
	Open func(*config.Repo) (reader.Reader, error)
	// Observe, when set, returns when each listed lock ID was first seen
	// (remembering new ones), so that locks another host stopped
	// refreshing can be judged unrefreshed. The service sets it.
	Observe func(repo string, ids []string, now time.Time) (map[string]time.Time, error)

	mu      sync.Mutex
	cache   map[string]map[string]knownLock // repo name → lock ID → what was read
	natives map[string]openNative           // repo name → native reader kept across checks
	// fallbacks says, by repo name, why the native reader could not open it.
	fallbacks map[string]string
}

// openNative is a native reader with the fingerprint of the settings it
// was opened with: its derived key is good until they change.
type openNative struct {
	fingerprint string
	repo        *native.Repo
}

// NewChecker checks the repositories of cfg with the real process table and clock.
func NewChecker(cfg *config.Config) *Checker {
	c := &Checker{Config: cfg, Probe: process.Lookup, Now: time.Now, cache: map[string]map[string]knownLock{}, natives: map[string]openNative{}, fallbacks: map[string]string{}}
	c.Open = c.openReader
	return c
}

// openReader reads natively where it can (local, sftp, REST, S3): restic
// derives the key with scrypt on every start, the native reader once per
// process. Other backends, reader = "restic", and a backend the native
// reader cannot open (an ssh setup it cannot follow, say) use restic itself.
func (c *Checker) openReader(r *config.Repo) (reader.Reader, error) {
	if r.Reader == config.ReaderRestic {
		return c.resticReader(r)
	}
	fp := c.nativeFingerprint(r)
	c.mu.Lock()
	n, ok := c.natives[r.Name]
	c.mu.Unlock()
	if ok && n.fingerprint == fp {
		return n.repo, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Config.Defaults.Timeout.Duration)
	defer cancel()
	repo, err := native.Open(ctx, r, c.Config.Defaults.Timeout.Duration)
	c.mu.Lock()
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		c.fallbacks[r.Name] = "the native reader could not open it (" + err.Error() + "), so restic reads it"
	} else {
		delete(c.fallbacks, r.Name)
	}
	c.mu.Unlock()
	if err != nil {
		if r.Reader == config.ReaderNative {
			return nil, err
		}
		return c.resticReader(r)
	}
	c.mu.Lock()
	old := c.natives[r.Name]
	c.natives[r.Name] = openNative{fp, repo}
	c.mu.Unlock()
	if old.repo != nil {
		old.repo.Close()
	}
	return repo, nil
}

// nativeFingerprint is native.Fingerprint and the per-request timeout the
// reader was opened with: a changed timeout needs a new reader.
func (c *Checker) nativeFingerprint(r *config.Repo) string {
	return native.Fingerprint(r) + " timeout " + c.Config.Defaults.Timeout.Duration.String()
}

// Adopt takes over old's native readers of the repositories whose settings
// did not change, so that a config change does not cost each of them
// another scrypt run. old keeps the rest and closes them with itself (it
// may still be checking with them).
func (c *Checker) Adopt(old *Checker) {
	old.mu.Lock()
	defer old.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, n := range old.natives {
		if r, ok := c.Config.Repo(name); ok && r.Reader != config.ReaderRestic && c.nativeFingerprint(r) == n.fingerprint {
			c.natives[name] = n
			delete(old.natives, name)
		}
	}
}

// Close releases the native readers' connections.
func (c *Checker) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, n := range c.natives {
		n.repo.Close()
		delete(c.natives, name)
	}
}

// resticReader drives the restic binary; on a local repository it also
// deletes single lock files, which restic cannot.
func (c *Checker) resticReader(r *config.Repo) (reader.Reader, error) {
	dir, _ := r.LocalPath()
	cli := &restic.CLI{
		Binary:  c.Config.Defaults.Restic,
		Env:     r.Environ(),
		Timeout: c.Config.Defaults.Timeout.Duration,
		Dir:     dir,
	}
	if dir != "" {
		return restic.LocalCLI{CLI: cli}, nil
	}
	return cli, nil
}

// ErrUnknownRepo is returned for a repository name that is not configured.
var ErrUnknownRepo = errors.New("no such repository")

// Repo finds a configured repository by name.
func (c *Checker) Repo(name string) (*config.Repo, error) {
	r, ok := c.Config.Repo(name)
	if !ok {
		return nil, &unknownRepoError{name: name, path: c.Config.Path}
	}
	return r, nil
}

type unknownRepoError struct{ name, path string }

func (e *unknownRepoError) Error() string {
	return "no repository named \"" + e.name + "\" in " + e.path + " (see `lockwatch repo list`)"
}
func (e *unknownRepoError) Is(target error) bool { return target == ErrUnknownRepo }

// Check lists, reads and judges the locks of one repository.
func (c *Checker) Check(ctx context.Context, r *config.Repo) RepoStatus {
	st, _, _ := c.check(ctx, r, nil)
	return st
}

// check also hands back the reader and what was read, for Unlock, which
// names in first the lock IDs (or prefixes) to read before any other.
func (c *Checker) check(ctx context.Context, r *config.Repo, first []string) (RepoStatus, reader.Reader, lockReading) {
	st := RepoStatus{Name: r.Name, CheckedAt: c.Now(), Locks: []LockStatus{}}
	fail := func(err error) (RepoStatus, reader.Reader, lockReading) {
		st.State, st.Error, st.ErrorKind = StateError, err.Error(), errorKind(err)
		return st, nil, lockReading{}
	}
	d, err := c.Open(r)
	if err != nil {
		return fail(err)
	}
	st.Reader = d.Name()
	if st.Reader != "native" {
		c.mu.Lock()
		st.ReaderNote = c.fallbacks[r.Name]
		c.mu.Unlock()
	}
	lr, err := c.readLocks(ctx, r.Name, d, first)
	if err != nil {
		return fail(err)
	}
	locks := lr.locks
	st.UnreadLocks, st.LocksNote = len(lr.unread), lr.note()
	host, err := c.Config.HostName()
	if err != nil {
		return fail(err)
	}
	now := c.Now()
	var firstSeen map[string]time.Time
	if c.Observe != nil {
		ids := make([]string, len(locks))
		for i, l := range locks {
			ids[i] = l.ID
		}
		if firstSeen, err = c.Observe(r.Name, ids, now); err != nil {
			return fail(err)
		}
	}
	st.State = StateOK
	for _, l := range locks {
		ls := c.judge(l, now, host)
		if seen, ok := firstSeen[l.ID]; ok {
			j := lock.Watched(lock.Judgement{Verdict: ls.Verdict, Reason: ls.Reason, Why: ls.Why}, now.Sub(seen), c.Config.Defaults.UnrefreshedAfter.Duration)
			ls.Verdict, ls.Reason, ls.Why = j.Verdict, j.Reason, j.Why
		}
		st.Locks = append(st.Locks, ls)
		switch {
		case ls.Verdict.NeedsAttention():
			st.State = StateStale
		case st.State == StateOK:
			st.State = StateBusy
		}
	}
	if st.UnreadLocks > 0 && st.State == StateOK {
		// Not "no locks": there are locks, only not judged yet. Their
		// verdicts come with later checks; until then nothing is removed
		// on their account.
		st.State = StateBusy
	}
	if err := c.checkSnapshots(ctx, r, d, &st); err != nil {
		return fail(err)
	}
	if err := checkResticprofile(r, &st); err != nil {
		return fail(err)
	}
	if st.Failure != "" {
		st.State = StateFailed
	}
	return st, d, lr
}

func (c *Checker) judge(l lock.Lock, now time.Time, host string) LockStatus {
	j := lock.Judge(l, now, host, c.Probe)
	ls := LockStatus{
		ID: l.ID, Time: l.Time, Exclusive: l.Exclusive, Hostname: l.Hostname, Username: l.Username,
		PID: l.PID, UID: l.UID, GID: l.GID, Verdict: j.Verdict, Reason: j.Reason, Why: j.Why, Owner: j.Owner,
	}
	if !l.Time.IsZero() {
		ls.AgeSeconds = int64(now.Sub(l.Time) / time.Second)
	}
	return ls
}

// Limits on reading lock files. A repository holds a handful of locks,
// one per running restic; tens of thousands mean something broke, or
// someone is hostile, and reading all of them would keep one check (and
// the CLI) busy for hours. The locks over the limit are read by later
// checks, and the status says how many are still unread.
const (
	// maxReadsNative bounds the lock files the native reader reads in one
	// check, a request each: 200 take seconds even over a slow link, and
	// are far more locks than restics at work ever hold at once.
	maxReadsNative = 200
	// maxReadsRestic bounds them for the restic binary, which starts a
	// process and derives the key (scrypt, about a second of CPU) per lock.
	maxReadsRestic = 20
	// readConcurrency is how many lock files are read at once: enough to
	// hide a backend's round trips, few enough not to crowd a small NAS or,
	// with the restic binary, the CPU and memory scrypt takes.
	readConcurrency = 4
	// settleTime is how long a file that is no lock may still be a lock
	// being written. restic writes a lock file once, in one small write,
	// and never changes it; but restic 0.14's local backend (and others)
	// write under the final name, so a listing can show the file empty or
	// short for a moment. So a file read as no lock is no lock for good
	// only if it had been listed for settleTime before that read; one
	// read sooner is read once more, settleTime after it was first
	// listed. Readers word problems differently (the native reader says
	// "hash mismatch" for a short file, restic "cannot be read"), so the
	// rule goes by time, not by words. A lock wrongly taken for broken
	// this way is gone within 5 minutes anyway: its restic refreshes it
	// under a new ID and deletes the old file.
	settleTime = 30 * time.Second
)

// readBudget is how many lock files one check reads with d.
func readBudget(d reader.Reader) int {
	if d.Name() == "native" {
		return maxReadsNative
	}
	return maxReadsRestic
}

// knownLock is what is known of one listed lock file, by its ID. Lock
// files are content-addressed, so what a whole file says stays true for
// its ID.
type knownLock struct {
	firstListed time.Time
	// lock is what the last read found; nil before the first (a pointer
	// keeps the many unread IDs of a flooded repository small).
	lock *lock.Lock
	// final says it need not be read again: a lock, or no lock for good
	// (see settleTime).
	final bool
}

// due reports whether the file is to be read at now.
func (k knownLock) due(now time.Time) bool {
	return k.lock == nil || !k.final && now.Sub(k.firstListed) >= settleTime
}

// lockReading is what readLocks found.
type lockReading struct {
	locks  []lock.Lock // in listing order
	listed int         // IDs listed
	read   int         // files read by this check
	unread []string    // IDs listed but never read: over this check's budget
}

// note says, when some locks are unread, how many, in words.
func (lr lockReading) note() string {
	if len(lr.unread) == 0 {
		return ""
	}
	return fmt.Sprintf("%d locks listed; %d read this check, %d not yet read (later checks read them)",
		lr.listed, lr.read, len(lr.unread))
}

// readLocks lists the repository's locks and reads those not known yet,
// at most readBudget(d) of them, readConcurrency at a time. IDs starting
// with one of first (Unlock's named locks) are read before the others.
func (c *Checker) readLocks(ctx context.Context, repo string, d reader.Reader, first []string) (lockReading, error) {
	ids, err := d.ListLocks(ctx)
	if err != nil {
		return lockReading{}, err
	}
	now := c.Now()
	c.mu.Lock()
	known := c.cache[repo]
	c.mu.Unlock()

	// Remember only the IDs listed now, so that the cache stays as small
	// as the directory.
	fresh := make(map[string]knownLock, len(ids))
	var toRead, later []string
	for _, id := range ids {
		k, ok := known[id]
		if !ok {
			k = knownLock{firstListed: now}
		}
		fresh[id] = k
		switch {
		case !k.due(now):
		case hasAnyPrefix(id, first):
			toRead = append(toRead, id)
		default:
			later = append(later, id)
		}
	}
	toRead = append(toRead, later...)
	toRead = toRead[:min(len(toRead), readBudget(d))]
	results, readErr := readParallel(ctx, d, toRead)

	lr := lockReading{listed: len(ids)}
	for _, id := range ids {
		k := fresh[id]
		if res, ok := results[id]; ok {
			if errors.Is(res.err, reader.ErrNotFound) {
				delete(fresh, id) // refreshed or removed since the listing: gone
				continue
			}
			lr.read++
			k.lock = &res.lock
			k.final = res.lock.Problem == "" || now.Sub(k.firstListed) >= settleTime
			fresh[id] = k
		}
		// Not read this check (over the budget, or a read failed): what
		// an earlier one found, if any.
		if k.lock == nil {
			lr.unread = append(lr.unread, id)
			continue
		}
		lr.locks = append(lr.locks, *k.lock)
	}
	// Keep what was read even when a read failed: the next check goes on
	// from there.
	c.mu.Lock()
	if c.cache == nil {
		c.cache = map[string]map[string]knownLock{}
	}
	c.cache[repo] = fresh
	c.mu.Unlock()
	if readErr != nil {
		return lockReading{}, readErr
	}
	return lr, nil
}

// readResult is one ReadLock's outcome.
type readResult struct {
	lock lock.Lock
	err  error
}

// readParallel reads the lock files ids, readConcurrency at a time. A
// vanished file is an outcome (ErrNotFound), not an error; any other
// failure stops the reading and is returned, with what was read so far.
func readParallel(ctx context.Context, d reader.Reader, ids []string) (map[string]readResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu      sync.Mutex
		results = make(map[string]readResult, len(ids))
		wg      sync.WaitGroup
		slots   = make(chan struct{}, readConcurrency)
	)
	for _, id := range ids {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			l, err := d.ReadLock(ctx, id)
			if err != nil && !errors.Is(err, reader.ErrNotFound) {
				cancel(err)
				return
			}
			mu.Lock()
			results[id] = readResult{l, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	return results, context.Cause(ctx)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(s, strings.ToLower(p)) {
			return true
		}
	}
	return false
}
