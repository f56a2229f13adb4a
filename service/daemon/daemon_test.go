package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lockwatch/lockwatch/service"
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
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	text := fmt.Sprintf("[defaults]\nrestic = %q\n[[repo]]\nname = \"nas\"\nrepository = %q\npassword_file = %q\n",
		demotest.Restic(t), repo.Location, repo.PasswordFile)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	d, err = New(Options{ConfigPath: path, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return d, st, dead.LockID
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
			if _, err := d.Unlock(context.Background(), "nas", service.UnlockOptions{}, by); err != nil {
				t.Errorf("unlock by %s: %v", by, err)
			}
		}()
	}
	wg.Wait()
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
		drv, err := c.Driver(r)
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
}
