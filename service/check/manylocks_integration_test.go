package check_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/reader"
)

// countingReader is the real reader with instrumentation, not a fake: it
// counts the reads of each lock file and the most reads in flight at once.
type countingReader struct {
	removingReader
	mu          sync.Mutex
	reads       map[string]int
	total       int
	inFlight    int
	maxInFlight int
}

func (d *countingReader) ReadLock(ctx context.Context, id string) (lock.Lock, error) {
	d.mu.Lock()
	d.reads[id]++
	d.total++
	d.inFlight++
	d.maxInFlight = max(d.maxInFlight, d.inFlight)
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.inFlight--
		d.mu.Unlock()
	}()
	return d.removingReader.ReadLock(ctx, id)
}

// readsSince returns how many reads were made since the last call, and
// the most reads of any one file so far.
func (d *countingReader) readsSince(last *int) (n, most int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, *last = d.total-*last, d.total
	for _, k := range d.reads {
		most = max(most, k)
	}
	return n, most
}

// counted makes c read through a countingReader around its real reader.
func counted(t *testing.T, c *check.Checker) *countingReader {
	cr := &countingReader{reads: map[string]int{}}
	real := c.Open
	c.Open = func(r *config.Repo) (reader.Reader, error) {
		d, err := real(r)
		if err != nil {
			return nil, err
		}
		cr.mu.Lock()
		cr.removingReader = d.(removingReader)
		cr.mu.Unlock()
		return cr, nil
	}
	return cr
}

// floodLocks writes n files that are no lock under locks/, named like
// restic's files (64 hex digits) but all starting with eight zeros, so that
// they sort before restic's own locks. Their content does not hash to
// their name: junk, as a broken or hostile client leaves.
func floodLocks(t *testing.T, r *demo.Repo, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		sum := sha256.Sum256(fmt.Appendf(nil, "junk %d", i))
		ids[i] = "00000000" + hex.EncodeToString(sum[:])[8:]
		if err := os.WriteFile(filepath.Join(r.LocksDir, ids[i]), []byte("no lock"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// A repository flooded with 100,000 lock files is read a few hundred per
// check, four at a time; the status counts and names what is not read
// yet; no file is read again once it is known to be no lock, and once all
// are read a check reads none. The clock is the checker's, moved on by a
// check interval per check; the repository, its locks and the reader
// are real.
func TestManyLocksAreReadInTurns(t *testing.T) {
	const flood = 100_000
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	live := demotest.Hold(t, repo, demo.Options{})
	junk := floodLocks(t, repo, flood)
	listed := flood + 2
	c := checkerWith(t, config.ReaderNative, repo)
	cr := counted(t, c)
	t0 := time.Now()
	var last int
	checkAt := func(d time.Duration) (check.RepoStatus, int, int) {
		t.Helper()
		c.Now = func() time.Time { return t0.Add(d) }
		st := checkRepo(t, c, "r0")
		n, most := cr.readsSince(&last)
		return st, n, most
	}

	st, n, _ := checkAt(0)
	if n != check.MaxReadsNative || st.UnreadLocks != listed-n || len(st.Locks) != n {
		t.Fatalf("first check read %d files, %d locks reported, %d unread; want %d read of %d", n, len(st.Locks), st.UnreadLocks, check.MaxReadsNative, listed)
	}
	want := fmt.Sprintf("%d locks listed; %d read this check, %d not yet read", listed, n, listed-n)
	if !strings.Contains(st.LocksNote, want) || st.State != check.StateStale {
		t.Errorf("state %s, note %q; want stale and %q", st.State, st.LocksNote, want)
	}
	// Only the upper bound here: a read of a 7-byte local file takes
	// microseconds, so on a busy machine the reads may not overlap at all.
	// The restic reader's test (a process per read) shows they can.
	if cr.maxInFlight > check.ReadConcurrency {
		t.Errorf("%d reads at once; want at most %d", cr.maxInFlight, check.ReadConcurrency)
	}
	// Read when first listed, the first files may have been locks still
	// being written: they are read once more, and never again.
	st, n, most := checkAt(5 * time.Minute)
	if n != check.MaxReadsNative || most != 2 || st.UnreadLocks != listed-n {
		t.Fatalf("second check read %d files (at most %d times one), %d unread", n, most, st.UnreadLocks)
	}
	st, n, most = checkAt(10 * time.Minute)
	if n != check.MaxReadsNative || most != 2 || st.UnreadLocks != listed-2*n {
		t.Fatalf("third check read %d files (at most %d times one), %d unread; want progress", n, most, st.UnreadLocks)
	}

	// Clear all but 250 unread junk files, so that the rest is read in two checks.
	cr.mu.Lock()
	kept := 0
	for _, id := range junk {
		if cr.reads[id] > 0 {
			continue
		}
		if kept++; kept > 250 {
			if err := os.Remove(filepath.Join(repo.LocksDir, id)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cr.mu.Unlock()
	listed = 400 + 250 + 2
	st, n, _ = checkAt(15 * time.Minute)
	if n != check.MaxReadsNative || st.UnreadLocks != listed-600 {
		t.Fatalf("fourth check read %d files, %d unread", n, st.UnreadLocks)
	}
	st, n, most = checkAt(20 * time.Minute)
	if n != listed-600 || most != 2 || st.UnreadLocks != 0 || st.LocksNote != "" || len(st.Locks) != listed {
		t.Fatalf("fifth check read %d files (at most %d times one), %d locks, %d unread, note %q; want all read", n, most, len(st.Locks), st.UnreadLocks, st.LocksNote)
	}
	// (Orphaned, or Live if a busy machine already gave its PID to another
	// process: the lock itself is what this test is about.)
	if l := findLock(t, st, dead.LockID); l.Verdict == lock.Invalid || l.PID != dead.PID {
		t.Errorf("dead owner: %s %s", l.Verdict, l.Reason)
	}
	if l := findLock(t, st, live.LockID); l.Verdict != lock.Live {
		t.Errorf("live: %s %s", l.Verdict, l.Reason)
	}
	if st, n, _ = checkAt(25 * time.Minute); n != 0 || len(st.Locks) != listed || st.State != check.StateStale {
		t.Errorf("a check after all were read read %d files, reports %d locks, state %s", n, len(st.Locks), st.State)
	}
}

// A lock file seen empty (restic 0.14 writes under the final name) is read
// again once it had time to be written, and is then judged as the lock it
// is; a file that stays no lock is not read again. With both readers.
func TestLockFileSeenEmptyIsReadAgain(t *testing.T) {
	for _, name := range []string{config.ReaderNative, config.ReaderRestic} {
		t.Run(name, func(t *testing.T) {
			repo := demotest.LocalRepo(t)
			dead := demotest.Orphan(t, repo)
			path := filepath.Join(repo.LocksDir, dead.LockID)
			content, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
			garbage := writeLockFile(t, repo, []byte("this is no restic lock, just bytes \x00\x01\x02"))
			c := checkerWith(t, name, repo)
			cr := counted(t, c)
			t0 := time.Now()
			var last int
			checkAt := func(d time.Duration) (check.RepoStatus, int) {
				t.Helper()
				c.Now = func() time.Time { return t0.Add(d) }
				st := checkRepo(t, c, "r0")
				n, _ := cr.readsSince(&last)
				return st, n
			}

			st, n := checkAt(0)
			if l := findLock(t, st, dead.LockID); n != 2 || l.Verdict != lock.Invalid || !strings.Contains(l.Reason, "empty") {
				t.Fatalf("read %d files; the empty one: %s %s", n, l.Verdict, l.Reason)
			}
			// restic finishes writing it.
			if err := os.WriteFile(path, content, 0o400); err != nil {
				t.Fatal(err)
			}
			if _, n = checkAt(time.Second); n != 0 {
				t.Errorf("a check a second later read %d files; want none before they had time to be written", n)
			}
			st, n = checkAt(check.SettleTime)
			// Orphaned, or Live if a busy machine already gave its PID to
			// another process: that it is read as a lock is what counts.
			if l := findLock(t, st, dead.LockID); n != 2 || l.Verdict == lock.Invalid || l.PID != dead.PID {
				t.Errorf("once settled, read %d files; the finished lock: %s %s", n, l.Verdict, l.Reason)
			}
			st, n = checkAt(check.SettleTime + time.Minute)
			if l := findLock(t, st, garbage); n != 0 || l.Verdict != lock.Invalid {
				t.Errorf("then read %d files; the garbage: %s %s", n, l.Verdict, l.Reason)
			}
		})
	}
}

// With the restic binary too, locks are read in turns, four at a time; a
// lock named for removal is read first, however many are unread; and
// unlock --all removes every listed lock, read or not.
func TestResticReaderReadsManyLocksInTurns(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	junk := floodLocks(t, repo, check.MaxReadsRestic+10)
	listed := len(junk) + 1
	c := checkerWith(t, config.ReaderRestic, repo)
	cr := counted(t, c)
	var last int

	st := checkRepo(t, c, "r0")
	if n, _ := cr.readsSince(&last); n != check.MaxReadsRestic || st.UnreadLocks != listed-n || st.Reader != "restic" {
		t.Fatalf("%s reader read %d files, %d unread; want %d read of %d", st.Reader, n, st.UnreadLocks, check.MaxReadsRestic, listed)
	}
	if cr.maxInFlight > check.ReadConcurrency || cr.maxInFlight < 2 {
		t.Errorf("%d reads at once; want parallel reads, at most %d", cr.maxInFlight, check.ReadConcurrency)
	}
	// The dead lock sorts last, so it is unread; named, it is read first.
	// (Forced: a busy machine may have given its PID to another process.)
	res, err := unlock(t, c, "r0", check.UnlockOptions{IDs: []string{dead.LockID[:12]}, Force: true})
	if err != nil || len(res.Removed) != 1 || res.Removed[0].PID != dead.PID || hasFile(repo, dead.LockID) {
		t.Fatalf("unlock of an unread lock: %+v, %v", res, err)
	}
	// 30 junk files, 20 read twice now: 10 unread go with --all as well.
	res, err = unlock(t, c, "r0", check.UnlockOptions{All: true})
	if err != nil || len(res.Removed) != len(junk) {
		t.Fatalf("unlock --all removed %d of %d: %+v, %v", len(res.Removed), len(junk), res, err)
	}
	entries, err := os.ReadDir(repo.LocksDir)
	if err != nil || len(entries) != 0 {
		t.Errorf("after unlock --all, locks/ has %d files (%v)", len(entries), err)
	}
}

// Where only `restic unlock` can remove locks (a REST repository read by
// the restic binary), unread locks make it unsafe: restic would judge them
// by its own rule. The unlock is refused and nothing is removed, not even
// the named dead lock.
func TestResticUnlockWaitsForUnreadLocks(t *testing.T) {
	repo := demotest.RESTRepo(t)
	dead := demotest.Orphan(t, repo)
	junk := floodLocks(t, repo, check.MaxReadsRestic+5)
	text := fmt.Sprintf("[defaults]\nrestic = %q\ntimeout = \"60s\"\n[[repo]]\nname = \"r0\"\nrepository = %q\npassword_file = %q\nreader = \"restic\"\n",
		demotest.Restic(t), repo.Location, repo.PasswordFile)
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "config.toml"), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	c := check.NewChecker(cfg)
	t.Cleanup(c.Close)

	res, err := unlock(t, c, "r0", check.UnlockOptions{IDs: []string{dead.LockID}, Force: true})
	var refused *check.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "not read yet") || len(res.Removed) != 0 {
		t.Fatalf("unlock with %d unread locks via restic unlock removed %d (method %q), %v; want a refusal naming the unread locks", len(junk), len(res.Removed), res.Method, err)
	}
	entries, err := os.ReadDir(repo.LocksDir)
	if err != nil || len(entries) != len(junk)+1 || !hasFile(repo, dead.LockID) {
		t.Errorf("after the refusal locks/ has %d files (want %d, the dead lock among them): %v", len(entries), len(junk)+1, err)
	}
}
