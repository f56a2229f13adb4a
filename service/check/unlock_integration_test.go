package check_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/reader"
	"github.com/lockwatch/lockwatch/service/store"
)

// These tests use the real restic, real repositories and real processes:
// every lock below was written by restic itself.

// checkerFor checks repos with the restic CLI driver, which these tests
// are about; native_integration_test.go runs the native reader.
func checkerFor(t *testing.T, repos ...*demo.Repo) *check.Checker {
	return checkerWith(t, config.ReaderRestic, repos...)
}

func checkerWith(t *testing.T, reader string, repos ...*demo.Repo) *check.Checker {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[defaults]\nrestic = %q\ntimeout = \"60s\"\n", demotest.Restic(t))
	for i, r := range repos {
		fmt.Fprintf(&b, "[[repo]]\nname = \"r%d\"\nrepository = %q\npassword_file = %q\nreader = %q\n", i, r.Location, r.PasswordFile, reader)
	}
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "config.toml"), []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return check.NewChecker(cfg)
}

func checkRepo(t *testing.T, c *check.Checker, name string) check.RepoStatus {
	t.Helper()
	r, err := c.Repo(name)
	if err != nil {
		t.Fatal(err)
	}
	st := c.Check(context.Background(), r)
	if st.State == check.StateError {
		t.Fatalf("check %s: %s", name, st.Error)
	}
	return st
}

func unlock(t *testing.T, c *check.Checker, name string, opts check.UnlockOptions) (check.UnlockResult, error) {
	t.Helper()
	r, err := c.Repo(name)
	if err != nil {
		t.Fatal(err)
	}
	return c.Unlock(context.Background(), r, opts)
}

func findLock(t *testing.T, st check.RepoStatus, id string) check.LockStatus {
	t.Helper()
	for _, l := range st.Locks {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("lock %s not in %+v", id, st.Locks)
	return check.LockStatus{}
}

func hasFile(r *demo.Repo, id string) bool {
	_, err := os.Stat(filepath.Join(r.LocksDir, id))
	return err == nil
}

func TestDeadOwnerIsOrphanedAndUnlockRemovesIt(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	c := checkerFor(t, repo)

	st := checkRepo(t, c, "r0")
	l := findLock(t, st, dead.LockID)
	if l.Verdict != lock.Orphaned || l.Reason != fmt.Sprintf("process %d is gone", dead.PID) {
		t.Errorf("dead owner judged %s: %s", l.Verdict, l.Reason)
	}
	if st.State != check.StateStale || l.PID != dead.PID || l.Exclusive {
		t.Errorf("state %s, lock %+v", st.State, l)
	}

	res, err := unlock(t, c, "r0", check.UnlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 1 || res.Removed[0].ID != dead.LockID || res.Method != "deleted lock files" {
		t.Errorf("unlock result %+v", res)
	}
	if hasFile(repo, dead.LockID) {
		t.Error("the orphaned lock file is still there")
	}
	if st := checkRepo(t, c, "r0"); st.State != check.StateOK {
		t.Errorf("after unlock the repo is %s", st.State)
	}
}

func TestLiveBackupIsKept(t *testing.T) {
	repo := demotest.LocalRepo(t)
	live := demotest.Hold(t, repo, demo.Options{})
	dead := demotest.Orphan(t, repo)
	c := checkerFor(t, repo)

	st := checkRepo(t, c, "r0")
	if l := findLock(t, st, live.LockID); l.Verdict != lock.Live || !strings.Contains(l.Reason, "'restic'") {
		t.Errorf("running backup judged %s: %s", l.Verdict, l.Reason)
	}
	res, err := unlock(t, c, "r0", check.UnlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 1 || res.Removed[0].ID != dead.LockID || len(res.Kept) != 1 || res.Kept[0].ID != live.LockID {
		t.Errorf("unlock removed %+v, kept %+v", res.Removed, res.Kept)
	}
	if !hasFile(repo, live.LockID) {
		t.Fatal("unlock removed a live lock")
	}

	// Naming the live lock is not enough: it takes --force.
	_, err = unlock(t, c, "r0", check.UnlockOptions{IDs: []string{live.LockID[:10]}})
	var refused *check.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "is live") {
		t.Fatalf("unlock --lock of a live lock: %v", err)
	}
	// The app says it from its ID and facts, the lock's own reason among them.
	if f := refused.Refusal.Facts; refused.Refusal.ID != check.RefusedInUse || f["Lock"] != live.LockID[:8] || f["Verdict"] != "live" ||
		(f["ReasonID"] != lock.WhyRunning && f["ReasonID"] != lock.WhyRunningNear) || f["PID"] != strconv.Itoa(live.PID) {
		t.Errorf("refusal %+v", refused.Refusal)
	}
	if !hasFile(repo, live.LockID) {
		t.Fatal("--lock without --force removed a live lock")
	}
	// With --force it goes; restic's own refresh is then the user's business.
	res, err = unlock(t, c, "r0", check.UnlockOptions{IDs: []string{live.LockID[:10]}, Force: true})
	if err != nil || len(res.Removed) != 1 || hasFile(repo, live.LockID) {
		t.Fatalf("--force: %+v, %v", res, err)
	}
	if err := live.Finish(); err == nil {
		t.Log("restic finished although its lock was removed")
	}
}

func TestAnotherHostsLockIsFresh(t *testing.T) {
	demotest.RequireRoot(t, "run restic under another host name (unshare --uts)")
	repo := demotest.LocalRepo(t)
	other := demotest.Hold(t, repo, demo.Options{Hostname: "otherbox"})
	c := checkerFor(t, repo)

	st := checkRepo(t, c, "r0")
	l := findLock(t, st, other.LockID)
	if l.Verdict != lock.Fresh || l.Hostname != "otherbox" || !strings.Contains(l.Reason, `host "otherbox"`) {
		t.Errorf("other host's lock: %+v", l)
	}
	if st.State != check.StateBusy {
		t.Errorf("state %s, want busy", st.State)
	}
	// Kill it: from here nobody can tell it died, so it stays fresh and stays.
	if err := other.Kill(); err != nil {
		t.Fatal(err)
	}
	res, err := unlock(t, c, "r0", check.UnlockOptions{})
	if err != nil || len(res.Removed) != 0 || !hasFile(repo, other.LockID) {
		t.Fatalf("unlock touched another host's fresh lock: %+v, %v", res, err)
	}
}

func TestExclusiveLockIsReported(t *testing.T) {
	repo := demotest.LocalRepo(t)
	excl := demotest.Hold(t, repo, demo.Options{Exclusive: true})
	st := checkRepo(t, checkerFor(t, repo), "r0")
	if l := findLock(t, st, excl.LockID); !l.Exclusive || l.Verdict != lock.Live {
		t.Errorf("restic key passwd's lock: %+v", l)
	}
}

func TestPIDReuseLocal(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dead, squatter := demotest.ReusedPID(t, repo, demo.Options{})
	c := checkerFor(t, repo)

	l := findLock(t, checkRepo(t, c, "r0"), dead.LockID)
	if l.Verdict != lock.Orphaned || !strings.Contains(l.Reason, fmt.Sprintf("PID %d now belongs to 'sleep'", dead.PID)) {
		t.Errorf("reused PID judged %s: %s", l.Verdict, l.Reason)
	}
	res, err := unlock(t, c, "r0", check.UnlockOptions{})
	if err != nil || len(res.Removed) != 1 || hasFile(repo, dead.LockID) {
		t.Fatalf("unlock: %+v, %v", res, err)
	}
	if !demotest.Running(squatter) {
		t.Error("the process that reused the PID was killed")
	}
}

func TestInvalidLockFiles(t *testing.T) {
	repo := demotest.LocalRepo(t)
	empty := writeLockFile(t, repo, nil)
	garbage := writeLockFile(t, repo, []byte("this is no restic lock, just bytes \x00\x01\x02"))
	c := checkerFor(t, repo)

	st := checkRepo(t, c, "r0")
	if st.State != check.StateStale {
		t.Errorf("state %s with invalid lock files", st.State)
	}
	if l := findLock(t, st, empty); l.Verdict != lock.Invalid || !strings.Contains(l.Reason, "empty") || l.Why.Facts["Kind"] != lock.ProblemEmpty {
		t.Errorf("empty lock file: %s: %s %+v", l.Verdict, l.Reason, l.Why)
	}
	if l := findLock(t, st, garbage); l.Verdict != lock.Invalid || !strings.Contains(l.Reason, "cannot be read") || l.Why.Facts["Kind"] != lock.ProblemUnreadable {
		t.Errorf("garbage lock file: %s: %s %+v", l.Verdict, l.Reason, l.Why)
	}
	// Plain unlock leaves them (as restic does); naming one removes it.
	res, err := unlock(t, c, "r0", check.UnlockOptions{})
	if err != nil || len(res.Removed) != 0 || len(res.Kept) != 2 {
		t.Fatalf("plain unlock: %+v, %v", res, err)
	}
	if _, err := unlock(t, c, "r0", check.UnlockOptions{IDs: []string{garbage}}); err != nil || hasFile(repo, garbage) {
		t.Fatalf("unlock --lock of an invalid file: %v", err)
	}
	if _, err := unlock(t, c, "r0", check.UnlockOptions{All: true}); err != nil || hasFile(repo, empty) {
		t.Fatalf("unlock --all: %v", err)
	}
}

// writeLockFile puts data under locks/ with its SHA-256 as name, as restic names files.
func writeLockFile(t *testing.T, r *demo.Repo, data []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(r.LocksDir, id), data, 0o400); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRESTBackend(t *testing.T) {
	repo := demotest.RESTRepo(t)
	c := checkerFor(t, repo)

	t.Run("dead owner removed with restic unlock", func(t *testing.T) {
		dead := demotest.Orphan(t, repo)
		live := demotest.Hold(t, repo, demo.Options{})
		st := checkRepo(t, c, "r0")
		if l := findLock(t, st, dead.LockID); l.Verdict != lock.Orphaned {
			t.Fatalf("dead owner over REST judged %s: %s", l.Verdict, l.Reason)
		}
		res, err := unlock(t, c, "r0", check.UnlockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Method != "restic unlock" || len(res.Removed) != 1 || hasFile(repo, dead.LockID) || !hasFile(repo, live.LockID) {
			t.Errorf("unlock over REST: %+v", res)
		}
		if err := live.Finish(); err != nil {
			t.Fatalf("the live backup failed after unlock: %v", err)
		}
	})

	t.Run("restic unlock takes every stale lock, and says so", func(t *testing.T) {
		one, two := demotest.Orphan(t, repo), demotest.Orphan(t, repo)
		res, err := unlock(t, c, "r0", check.UnlockOptions{IDs: []string{one.LockID}})
		if err != nil {
			t.Fatal(err)
		}
		// Removing one orphaned lock over REST takes restic unlock, which
		// removes the other too: both are reported (and so audited).
		got := map[string]bool{}
		for _, l := range res.Removed {
			got[l.ID] = true
		}
		if res.Method != "restic unlock" || len(res.Removed) != 2 || !got[one.LockID] || !got[two.LockID] || hasFile(repo, two.LockID) {
			t.Errorf("unlock --lock over REST: %+v", res)
		}
	})

	t.Run("PID reuse refused, squatter survives", func(t *testing.T) {
		dead, squatter := demotest.ReusedPID(t, repo, demo.Options{})
		if l := findLock(t, checkRepo(t, c, "r0"), dead.LockID); l.Verdict != lock.Orphaned {
			t.Fatalf("reused PID over REST judged %s: %s", l.Verdict, l.Reason)
		}
		_, err := unlock(t, c, "r0", check.UnlockOptions{})
		var refused *check.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "SIGHUP") {
			t.Fatalf("unlock with a reused PID over REST: %v", err)
		}
		if f := refused.Refusal.Facts; refused.Refusal.ID != check.RefusedPIDReused || f["PID"] != strconv.Itoa(dead.PID) || f["Name"] != "sleep" {
			t.Errorf("refusal %+v", refused.Refusal)
		}
		if !demotest.Running(squatter) {
			t.Fatal("the process that reused the PID was killed")
		}
		if !hasFile(repo, dead.LockID) {
			t.Fatal("the lock went although lockwatch refused")
		}
		// Once the squatter is gone, the same unlock is safe.
		_ = squatter.Process.Kill()
		_ = squatter.Wait()
		if _, err := unlock(t, c, "r0", check.UnlockOptions{}); err != nil || hasFile(repo, dead.LockID) {
			t.Fatalf("unlock after the squatter ended: %v", err)
		}
	})

	t.Run("single lock needs all", func(t *testing.T) {
		live := demotest.Hold(t, repo, demo.Options{})
		_, err := unlock(t, c, "r0", check.UnlockOptions{IDs: []string{live.LockID}, Force: true})
		if err == nil || !hasFile(repo, live.LockID) {
			t.Fatalf("forced removal of one live lock over REST: %v", err)
		}
		res, err := unlock(t, c, "r0", check.UnlockOptions{All: true})
		if err != nil || res.Method != "restic unlock --remove-all" || hasFile(repo, live.LockID) {
			t.Fatalf("--all over REST: %+v, %v", res, err)
		}
	})
}

// removingReader is what the native reader is to Unlock.
type removingReader interface {
	reader.Reader
	reader.ExactRemover
}

// finishingReader is the real native reader with one test hook: before it
// removes locks it lets a real restic end, so that restic's own lock
// vanishes during lockwatch's removal (what a backup finishing at that
// moment does).
type finishingReader struct {
	removingReader
	finish func()
}

func (d finishingReader) RemoveLocks(ctx context.Context, ids []string) error {
	d.finish()
	return d.removingReader.RemoveLocks(ctx, ids)
}

// Only the locks lockwatch removed are reported (and so audited) as
// removed: a live lock whose owner released it meanwhile is not.
func TestUnlockReportsOnlyWhatItRemoved(t *testing.T) {
	repo := demotest.LocalRepo(t)
	live := demotest.Hold(t, repo, demo.Options{})
	dead := demotest.Orphan(t, repo)
	c := checkerWith(t, config.ReaderNative, repo)
	real := c.Open
	c.Open = func(r *config.Repo) (reader.Reader, error) {
		d, err := real(r)
		if err != nil {
			return nil, err
		}
		return finishingReader{d.(removingReader), func() {
			if err := live.Finish(); err != nil {
				t.Errorf("the live backup: %v", err)
			}
		}}, nil
	}

	res, err := unlock(t, c, "r0", check.UnlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hasFile(repo, live.LockID) || hasFile(repo, dead.LockID) {
		left, _ := repo.Locks()
		t.Fatalf("lock files left: %v (the finished backup's was %.8s, the orphaned one %.8s)", left, live.LockID, dead.LockID)
	}
	if len(res.Removed) != 1 || res.Removed[0].ID != dead.LockID || len(res.Kept) != 0 {
		t.Errorf("removed %+v, kept %+v; want only the orphaned %s removed", res.Removed, res.Kept, dead.LockID[:8])
	}
}

// A live restic on another host rewrites its lock under a new ID every 5
// minutes; a new ID starts the watch over, so such a lock never becomes
// unrefreshed. Only an ID left unchanged for longer than unrefreshed_after
// does. The clock is the checker's, moved on by the test; the locks, their
// rewrite (a new lock, the old one removed by its restic) and the store
// that remembers first sightings are real.
func TestRewrittenLockIsNeverUnrefreshed(t *testing.T) {
	demotest.RequireRoot(t, "run restic under another host name (unshare --uts)")
	repo := demotest.LocalRepo(t)
	first := demotest.Hold(t, repo, demo.Options{Hostname: "otherbox"})
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	c := checkerWith(t, config.ReaderNative, repo)
	c.Config.Defaults.UnrefreshedAfter.Duration = 8 * time.Minute
	c.Observe = db.Observe
	t0 := time.Now()
	at := func(d time.Duration, id string) check.LockStatus {
		t.Helper()
		c.Now = func() time.Time { return t0.Add(d) }
		return findLock(t, checkRepo(t, c, "r0"), id)
	}

	if l := at(0, first.LockID); l.Verdict != lock.Fresh {
		t.Fatalf("at 0: %s: %s", l.Verdict, l.Reason)
	}
	// 6 minutes on, "restic" has refreshed: a new lock, the old one gone.
	second := demotest.Hold(t, repo, demo.Options{Hostname: "otherbox"})
	if err := first.Finish(); err != nil {
		t.Fatal(err)
	}
	if l := at(6*time.Minute, second.LockID); l.Verdict != lock.Fresh {
		t.Errorf("a rewritten lock at 6m: %s: %s", l.Verdict, l.Reason)
	}
	// 12 minutes after the start, 6 after its first sighting: still fresh,
	// although the repository has had "a" lock for longer than 8m.
	if l := at(12*time.Minute, second.LockID); l.Verdict != lock.Fresh {
		t.Errorf("at 12m, watched 6m: %s: %s", l.Verdict, l.Reason)
	}
	// Unchanged for 9m > 8m: that restic stopped refreshing.
	l := at(15*time.Minute, second.LockID)
	if l.Verdict != lock.Unrefreshed || !strings.Contains(l.Reason, "lock unchanged for 9m") {
		t.Errorf("unchanged for 9m: %s: %s", l.Verdict, l.Reason)
	}
}

// vanishingReader is a real reader with one test hook: right after
// listing, it lets a real restic end, so that a listed lock is gone when
// lockwatch reads it (a backup finishing, or refreshing, at that moment).
type vanishingReader struct {
	reader.Reader
	afterList func()
}

func (d vanishingReader) ListLocks(ctx context.Context) ([]string, error) {
	ids, err := d.Reader.ListLocks(ctx)
	d.afterList()
	return ids, err
}

func TestLockGoneBetweenListAndRead(t *testing.T) {
	for _, name := range []string{config.ReaderRestic, config.ReaderNative} {
		t.Run(name, func(t *testing.T) {
			repo := demotest.LocalRepo(t)
			dead := demotest.Orphan(t, repo)
			live := demotest.Hold(t, repo, demo.Options{})
			c := checkerWith(t, name, repo)
			real := c.Open
			c.Open = func(r *config.Repo) (reader.Reader, error) {
				d, err := real(r)
				if err != nil {
					return nil, err
				}
				return vanishingReader{d, func() { _ = live.Finish() }}, nil
			}
			st := checkRepo(t, c, "r0")
			if len(st.Locks) != 1 || st.Locks[0].ID != dead.LockID || st.State != check.StateStale {
				t.Errorf("state %s %q, locks %+v; want just the orphaned one", st.State, st.Error, st.Locks)
			}
		})
	}
}

// [defaults] hostname is the name lockwatch judges "this host" by: a
// container's restic writes its container's name into its locks.
func TestHostnameOverride(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	c := checkerFor(t, repo)
	c.Config.Defaults.Hostname = "not-this-machine"
	l := findLock(t, checkRepo(t, c, "r0"), dead.LockID)
	if l.Verdict != lock.Fresh || !strings.Contains(l.Reason, "host") {
		t.Errorf("a dead local restic's lock seen as from another host: %s: %s", l.Verdict, l.Reason)
	}
}
