package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/store"
)

// newRepoDaemon runs a daemon (not its scheduler) on one real local
// repository, "nas", with a real orphaned lock.
func newRepoDaemon(t *testing.T) (d *Daemon, st *store.Store, lockID string) {
	t.Helper()
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	d, _ = newSettingsDaemon(t, fmt.Sprintf("[defaults]\nrestic = %q\n[[repo]]\nname = \"nas\"\nrepository = %q\npassword_file = %q\n",
		demotest.Restic(t), repo.Location, repo.PasswordFile))
	return d, d.store, dead.LockID
}

// Two removals at once (a click while auto-unlock runs) remove and record
// the lock once.
func TestConcurrentUnlocksRecordOneRemoval(t *testing.T) {
	d, st, id := newRepoDaemon(t)
	var wg sync.WaitGroup
	for _, by := range []string{"tray", "cli", "api", "auto"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := d.Unlock(context.Background(), "nas", check.UnlockOptions{}, by); err != nil {
				t.Errorf("unlock by %s: %v", by, err)
			}
		}()
	}
	wg.Wait()
	d.WaitRechecks() // each unlock checks again: let those end before the temp dir goes
	h, err := st.History(store.Query{Repo: "nas", Kinds: []string{store.KindRemoval}})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Lock.ID != id {
		t.Errorf("%d removals recorded, want one of %s: %+v", len(h), id[:8], h)
	}
}

// A config change keeps each repository's native reader, and so its
// derived key: no second scrypt run per repository for a settings toggle.
func TestConfigChangeKeepsTheNativeReader(t *testing.T) {
	d, _, _ := newRepoDaemon(t)
	if _, err := d.CheckNow(context.Background(), "nas"); err != nil {
		t.Fatal(err)
	}
	reader := func() any {
		r, c, err := d.repo("nas")
		if err != nil {
			t.Fatal(err)
		}
		drv, err := c.Open(r)
		if err != nil {
			t.Fatal(err)
		}
		return drv
	}
	before := reader()
	if _, err := d.SetAutoUnlock("nas", config.AutoUnlockStale); err != nil {
		t.Fatal(err)
	}
	if after := reader(); after != before {
		t.Errorf("after a config change the reader is %p, was %p", after, before)
	}
	// Another password source may mean another key: a new reader.
	cfg := *d.cfg
	cfg.Repos = slices.Clone(cfg.Repos)
	password, err := os.ReadFile(cfg.Repos[0].PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Repos[0].PasswordFile = filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(cfg.Repos[0].PasswordFile, password, 0o600); err != nil {
		t.Fatal(err)
	}
	d.setConfig(&cfg, fileStamp{})
	if after := reader(); after == before {
		t.Error("a changed password file kept the reader")
	}
}

func TestNextInterval(t *testing.T) {
	for _, c := range []struct {
		interval time.Duration
		failures int
		jitter   float64
		want     time.Duration
	}{
		{5 * time.Minute, 0, 0, 5 * time.Minute},
		{5 * time.Minute, 0, -0.1, 4*time.Minute + 30*time.Second},
		{5 * time.Minute, 0, 0.0999, 5*time.Minute + 29970*time.Millisecond},
		{5 * time.Minute, 1, 0, 5 * time.Minute}, // the first failure: try again as usual
		{5 * time.Minute, 2, 0, 10 * time.Minute},
		{5 * time.Minute, 4, 0, 40 * time.Minute},
		{5 * time.Minute, 5, 0, time.Hour}, // 80m, capped at an hour
		{5 * time.Minute, 50, 0, time.Hour},
		{2 * time.Hour, 3, 0, 2 * time.Hour}, // never sooner than the interval
		{time.Minute, 7, 0, time.Hour},       // 64m, capped
	} {
		if got := nextInterval(c.interval, c.failures, c.jitter); got != c.want {
			t.Errorf("nextInterval(%v, %d, %v) = %v, want %v", c.interval, c.failures, c.jitter, got, c.want)
		}
	}
}

// A suspend shows as wall-clock time that the monotonic clock did not see.
func TestSleptSince(t *testing.T) {
	lastMono := time.Now()
	lastWall := lastMono.Round(0)
	if slept := sleptSince(time.Now(), lastWall, lastMono); slept < -time.Second || slept > time.Second {
		t.Errorf("awake: slept %v", slept)
	}
	// The wall clock says 10 minutes passed; the monotonic clock, none.
	if slept := sleptSince(time.Now(), lastWall.Add(-10*time.Minute), lastMono); slept < 10*time.Minute-time.Second || slept > 10*time.Minute+time.Second {
		t.Errorf("after a 10m suspend: slept %v", slept)
	}
}
