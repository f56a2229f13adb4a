package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/process"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

// These tests run the real scheduler with check_interval = "1h" and real
// restic processes: whatever they see within seconds, a watch made them see.
// notScheduled is how long they wait: far less than the hour.
const notScheduled = 30 * time.Second

// watchConfig is a config of the given repositories (name → repo, extra
// lines of its table), checked hourly.
func watchConfig(t testing.TB, repos map[string]*demo.Repo, extra string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[defaults]\nrestic = %q\ncheck_interval = \"1h\"\ntimeout = \"60s\"\n%s\n", demotest.Restic(t), extra)
	for name, r := range repos {
		fmt.Fprintf(&b, "[[repo]]\nname = %q\nrepository = %q\npassword_file = %q\n", name, r.Location, r.PasswordFile)
		if len(r.Env) > 0 {
			var env []string
			for _, kv := range r.Env {
				k, v, _ := strings.Cut(kv, "=")
				env = append(env, fmt.Sprintf("%s = %q", k, v))
			}
			fmt.Fprintf(&b, "env = { %s }\n", strings.Join(env, ", "))
		}
	}
	return b.String()
}

// statuses runs d's scheduler until the test ends and hands out the
// repository statuses it publishes.
type statuses struct {
	t      testing.TB
	events <-chan Event
}

func runWatched(t testing.TB, d *Daemon) *statuses {
	t.Helper()
	events, unsubscribe := d.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; unsubscribe(); d.Close() })
	return &statuses{t: t, events: events}
}

// waitFor returns the first status of repo for which ok holds, published
// within notScheduled.
func (s *statuses) waitFor(repo, what string, ok func(check.RepoStatus) bool) check.RepoStatus {
	s.t.Helper()
	deadline := time.After(notScheduled)
	var last *check.RepoStatus
	for {
		select {
		case ev := <-s.events:
			if ev.Type == EventRepo && ev.Repo == repo {
				if ok(*ev.Status) {
					return *ev.Status
				}
				last = ev.Status
			}
		case <-deadline:
			s.t.Fatalf("%s: no status where %s within %s; last: %+v", repo, what, notScheduled, last)
		}
	}
}

// waitAll waits until n repositories have each published a status for
// which ok holds.
func (s *statuses) waitAll(n int, what string, ok func(check.RepoStatus) bool) {
	s.t.Helper()
	deadline := time.After(2 * notScheduled)
	done := map[string]bool{}
	for len(done) < n {
		select {
		case ev := <-s.events:
			if ev.Type == EventRepo && ok(*ev.Status) {
				done[ev.Repo] = true
			}
		case <-deadline:
			s.t.Fatalf("%s: only %d of %d within %s (%v)", what, len(done), n, 2*notScheduled, done)
		}
	}
}

func lockOf(st check.RepoStatus, id string) (check.LockStatus, bool) {
	for _, l := range st.Locks {
		if l.ID == id {
			return l, true
		}
	}
	return check.LockStatus{}, false
}

func watched(st check.RepoStatus) check.Watch {
	if st.Watch == nil {
		return check.Watch{}
	}
	return *st.Watch
}

// A lock written into a local repository is seen at once (locks/ is
// watched), and so is the death of the restic that holds it (its exit is
// watched): the repository is stale within seconds, not at the next
// hourly check.
func TestKilledBackupIsSeenAtOnce(t *testing.T) {
	repo := demotest.LocalRepo(t)
	d, _ := newSettingsDaemon(t, watchConfig(t, map[string]*demo.Repo{"local": repo}, ""))
	s := runWatched(t, d)
	first := s.waitFor("local", "the first check is done", func(st check.RepoStatus) bool { return !st.CheckedAt.IsZero() })
	if st := first.State; st != check.StateOK || !watched(first).LocksDir {
		t.Fatalf("first check: state %s, watch %+v; want ok with locks/ watched", st, first.Watch)
	}

	h := demotest.Hold(t, repo, demo.Options{})
	busy := s.waitFor("local", "the new lock is live", func(st check.RepoStatus) bool {
		l, ok := lockOf(st, h.LockID)
		return ok && l.Verdict == lock.Live
	})
	if w := watched(busy); busy.State != check.StateBusy || w.Owners != 1 || !w.LocksDir || w.Note != "" {
		t.Fatalf("with a backup running: state %s, watch %+v; want busy, its owner and locks/ watched", busy.State, w)
	}

	if err := h.Kill(); err != nil {
		t.Fatal(err)
	}
	stale := s.waitFor("local", "the killed backup's lock is orphaned", func(st check.RepoStatus) bool {
		l, ok := lockOf(st, h.LockID)
		return ok && l.Verdict == lock.Orphaned
	})
	if w := watched(stale); stale.State != check.StateStale || w.Owners != 0 {
		t.Errorf("after the kill: state %s, watch %+v; want stale, no owner left to watch", stale.State, w)
	}
}

// With auto_unlock = "stale", the lock of a killed backup is gone within
// moments, and the audit trail says the service removed it.
func TestKilledBackupIsUnlockedAtOnce(t *testing.T) {
	repo := demotest.LocalRepo(t)
	d, _ := newSettingsDaemon(t, watchConfig(t, map[string]*demo.Repo{"local": repo}, "")+"auto_unlock = \"stale\"\n")
	s := runWatched(t, d)
	h := demotest.Hold(t, repo, demo.Options{})
	s.waitFor("local", "the lock is live", func(st check.RepoStatus) bool {
		l, ok := lockOf(st, h.LockID)
		return ok && l.Verdict == lock.Live && watched(st).Owners == 1
	})
	if err := h.Kill(); err != nil {
		t.Fatal(err)
	}
	st := s.waitFor("local", "the lock is gone", func(st check.RepoStatus) bool {
		_, ok := lockOf(st, h.LockID)
		return !ok
	})
	if st.State != check.StateOK {
		t.Errorf("after auto-unlock: state %s", st.State)
	}
	if locks, err := repo.Locks(); err != nil || len(locks) != 0 {
		t.Errorf("lock files left: %v, %v", locks, err)
	}
	removals, err := d.History(store.Query{Repo: "local", Kinds: []string{store.KindRemoval}})
	if err != nil || len(removals) != 1 || removals[0].By != "auto" || removals[0].Lock.ID != h.LockID {
		t.Errorf("audit trail: %+v, %v; want one removal by auto", removals, err)
	}
}

// The lock is on a server; its owner is here. Over sftp nothing can watch
// the remote locks/, but the exit of the local restic is seen all the same.
func TestKilledBackupOverSFTPIsSeenAtOnce(t *testing.T) {
	repo := demotest.SFTPRepo(t)
	d, _ := newSettingsDaemon(t, watchConfig(t, map[string]*demo.Repo{"nas": repo}, ""))
	s := runWatched(t, d)
	s.waitFor("nas", "the first check is done", func(st check.RepoStatus) bool { return !st.CheckedAt.IsZero() })
	h := demotest.Hold(t, repo, demo.Options{})
	// No watch sees the new lock on the server: the test asks for a check,
	// as a user clicking "Check now" does.
	if _, err := d.CheckNow(context.Background(), "nas"); err != nil {
		t.Fatal(err)
	}
	busy := s.waitFor("nas", "the lock is live", func(st check.RepoStatus) bool {
		l, ok := lockOf(st, h.LockID)
		return ok && l.Verdict == lock.Live
	})
	if w := watched(busy); w.Owners != 1 || w.LocksDir {
		t.Fatalf("sftp repository with a live local owner: watch %+v; want its owner watched, no locks/", w)
	}
	if err := h.Kill(); err != nil {
		t.Fatal(err)
	}
	s.waitFor("nas", "the killed backup's lock is orphaned", func(st check.RepoStatus) bool {
		l, ok := lockOf(st, h.LockID)
		return ok && l.Verdict == lock.Orphaned && st.State == check.StateStale
	})
}

// The watch follows the process that was judged, not its PID: when the
// owner dies and another process takes its PID at once, the re-check
// says orphaned (the PID now names a later process), never live.
func TestReusedPIDIsNotTakenForTheWatchedOwner(t *testing.T) {
	repo := demotest.LocalRepo(t)
	d, _ := newSettingsDaemon(t, watchConfig(t, map[string]*demo.Repo{"local": repo}, ""))
	s := runWatched(t, d)
	s.waitFor("local", "the first check is done", func(st check.RepoStatus) bool { return !st.CheckedAt.IsZero() })

	// restic holds its lock (seen live through the watch on locks/) for a
	// few seconds, is killed, and a sleep takes its PID at once.
	dead, squatter := demotest.ReusedPID(t, repo, demo.Options{})
	lockID := dead.LockID
	st := s.waitFor("local", "the lock is judged again after its owner's exit", func(st check.RepoStatus) bool {
		l, ok := lockOf(st, lockID)
		if ok && l.Verdict == lock.Live && strings.Contains(l.Reason, "'sleep'") {
			t.Fatalf("the squatter was taken for the owner: %s", l.Reason)
		}
		return ok && l.Verdict != lock.Live
	})
	l, _ := lockOf(st, lockID)
	if l.Verdict != lock.Orphaned || !strings.Contains(l.Reason, fmt.Sprintf("PID %d now belongs to 'sleep'", squatter.Process.Pid)) {
		t.Errorf("after the PID was reused: %s (%s)", l.Verdict, l.Reason)
	}
}

// restic refreshes a lock by writing a new one and removing the old one;
// many changes in a moment make one check, not one each.
func TestLockBurstIsOneCheck(t *testing.T) {
	repo := demotest.LocalRepo(t)
	d, _ := newSettingsDaemon(t, watchConfig(t, map[string]*demo.Repo{"local": repo}, ""))
	s := runWatched(t, d)
	first := s.waitFor("local", "the first check is done", func(st check.RepoStatus) bool { return watched(st).LocksDir })

	// Not locks restic wrote: files in locks/ whose content is no lock,
	// written and removed in a burst as a refresh does, ten times over.
	name := func(i int) string { return filepath.Join(repo.LocksDir, fmt.Sprintf("%064x", i)) }
	for i := range 10 {
		if err := os.WriteFile(name(i), []byte("burst"), 0o600); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			if err := os.Remove(name(i - 1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	burst := s.waitFor("local", "the burst is checked", func(st check.RepoStatus) bool { return st.CheckedAt.After(first.CheckedAt) })
	if len(burst.Locks) != 1 || burst.Locks[0].ID != fmt.Sprintf("%064x", 9) {
		t.Fatalf("after the burst the check saw %+v, want the last file only", burst.Locks)
	}

	// A change after the burst's check has been published: the checks
	// seen before the one that shows it are the burst's.
	if err := os.Remove(name(9)); err != nil {
		t.Fatal(err)
	}
	checks := map[time.Time]bool{burst.CheckedAt: true}
	s.waitFor("local", "the removal is checked", func(st check.RepoStatus) bool {
		if len(st.Locks) == 0 {
			return true
		}
		checks[st.CheckedAt] = true
		return false
	})
	if len(checks) != 1 {
		t.Errorf("the burst made %d checks, want 1", len(checks))
	}
}

// Where a watch cannot be had, the schedule stands in and the status says
// why: a repository on a network mount, one whose directory disappears, a
// system without pidfd, and watch = false.
func TestWatchFallsBackToTheSchedule(t *testing.T) {
	t.Run("network mount", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		repo, err := demo.Init(ctx, demotest.Restic(t), demotest.Mirror(t), 0)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := newSettingsDaemon(t, watchConfig(t, map[string]*demo.Repo{"mounted": repo}, ""))
		s := runWatched(t, d)
		s.waitFor("mounted", "the first check is done", func(st check.RepoStatus) bool { return !st.CheckedAt.IsZero() })
		h := demotest.Hold(t, repo, demo.Options{})
		if _, err := d.CheckNow(ctx, "mounted"); err != nil {
			t.Fatal(err)
		}
		busy := s.waitFor("mounted", "the lock is live", func(st check.RepoStatus) bool { _, ok := lockOf(st, h.LockID); return ok })
		w := watched(busy)
		if w.LocksDir || !strings.Contains(w.Note, "network file system (fuse)") {
			t.Errorf("repository on a FUSE mount: watch %+v; want locks/ not watched, and why", w)
		}
		if w.Owners != 1 {
			t.Errorf("repository on a FUSE mount: %d owners watched, want 1 (processes are watched wherever the lock is)", w.Owners)
		}
	})

	t.Run("repository disappears", func(t *testing.T) {
		repo := demotest.LocalRepo(t)
		d, _ := newSettingsDaemon(t, watchConfig(t, map[string]*demo.Repo{"local": repo}, ""))
		s := runWatched(t, d)
		s.waitFor("local", "locks/ is watched", func(st check.RepoStatus) bool { return watched(st).LocksDir })
		if err := os.RemoveAll(repo.Location); err != nil {
			t.Fatal(err)
		}
		gone := s.waitFor("local", "the repository is missing", func(st check.RepoStatus) bool { return st.State == check.StateError })
		if w := watched(gone); w.LocksDir || !strings.Contains(w.Note, "locks/ is not watched") {
			t.Errorf("repository gone: watch %+v; want locks/ not watched, and why", w)
		}
		// Back again: the next check (here asked for) watches it again.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := repo.Init(ctx, 0); err != nil {
			t.Fatal(err)
		}
		back, err := d.CheckNow(ctx, "local")
		if err != nil || back.State != check.StateOK || !watched(back).LocksDir {
			t.Errorf("repository back: state %s, watch %+v, %v", back.State, back.Watch, err)
		}
	})

	t.Run("no pidfd", func(t *testing.T) {
		defer process.DisableExitWatch()()
		repo := demotest.LocalRepo(t)
		var logs syncBuffer
		d := newLoggingDaemon(t, watchConfig(t, map[string]*demo.Repo{"local": repo}, ""), &logs)
		s := runWatched(t, d)
		s.waitFor("local", "the first check is done", func(st check.RepoStatus) bool { return !st.CheckedAt.IsZero() })
		for range 2 {
			h := demotest.Hold(t, repo, demo.Options{})
			busy := s.waitFor("local", "the lock is live", func(st check.RepoStatus) bool { _, ok := lockOf(st, h.LockID); return ok })
			if w := watched(busy); w.Owners != 0 || !w.LocksDir || !strings.Contains(w.Note, "cannot watch for a process's exit") {
				t.Errorf("without pidfd: watch %+v; want no owner watched, locks/ watched, and why", w)
			}
			if err := h.Finish(); err != nil {
				t.Fatal(err)
			}
			s.waitFor("local", "the lock is gone", func(st check.RepoStatus) bool { _, ok := lockOf(st, h.LockID); return !ok })
		}
		if n := strings.Count(logs.String(), "cannot watch processes for their exit"); n != 1 {
			t.Errorf("the log says %d times that exits cannot be watched, want once:\n%s", n, logs.String())
		}
	})

	t.Run("watch = false", func(t *testing.T) {
		repo := demotest.LocalRepo(t)
		d, _ := newSettingsDaemon(t, watchConfig(t, map[string]*demo.Repo{"local": repo}, "watch = false"))
		s := runWatched(t, d)
		st := s.waitFor("local", "the first check is done", func(st check.RepoStatus) bool { return !st.CheckedAt.IsZero() })
		if w := watched(st); w.LocksDir || w.Owners != 0 || !strings.Contains(w.Note, "watch = false") {
			t.Errorf("watch = false: %+v", w)
		}
	})
}

func newLoggingDaemon(t *testing.T, text string, logs *syncBuffer) *Daemon {
	t.Helper()
	d, path := newSettingsDaemon(t, text)
	d.Close()
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	d, err = New(Options{ConfigPath: path, Store: st, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
