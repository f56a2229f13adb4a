package native

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

func TestRemove(t *testing.T) {
	t.Run("local", func(t *testing.T) { removal(t, demotest.LocalRepo(t)) })
	t.Run("REST", func(t *testing.T) { removal(t, demotest.RESTRepo(t)) })
}

func removal(t *testing.T, d *demo.Repo) {
	ctx := context.Background()
	r := openDemo(t, d)
	live := holdLock(t, d, demo.Options{})
	orphan := orphanLock(t, d)
	old := writeLock(t, r, d.LocksDir, lockRecord{Time: at(time.Now().Add(-time.Hour), 0), Hostname: "nas", PID: 9}, true)
	empty := randomID(t)
	writeNamed(t, d.LocksDir, empty, nil)
	writeNamed(t, d.LocksDir, "not-an-id", []byte("x"))
	if _, err := readAll(ctx, r); err != nil {
		t.Fatal(err)
	}

	// Exactly the named locks go (read-only files included); one already
	// gone counts as removed.
	gone := randomID(t)
	if err := r.RemoveLocks(ctx, []string{orphan.LockID, old, gone}); err != nil {
		t.Fatal(err)
	}
	if got, want := diskLocks(t, d.LocksDir), sorted(live.LockID, empty, "not-an-id"); !slices.Equal(got, want) {
		t.Fatalf("after RemoveLocks: %v, want %v", got, want)
	}
	if err := r.RemoveLocks(ctx, []string{"../config"}); err == nil {
		t.Fatal("RemoveLocks took a path for an ID")
	}
	// A removed lock is forgotten: it must not come back from the cache.
	if _, err := r.ReadLock(ctx, orphan.LockID); !errors.Is(err, ErrNotExist) {
		t.Fatalf("ReadLock of a removed lock: %v", err)
	}

	// Removing every listed lock (unlock --all) takes the live and the
	// empty one too, and leaves what is not a lock file: a backend's
	// temporary file may be a lock being written.
	ids, err := r.ListLocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveLocks(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if got := diskLocks(t, d.LocksDir); !slices.Equal(got, []string{"not-an-id"}) {
		t.Fatalf("after removing every listed lock: %v", got)
	}
	if ids, err := r.ListLocks(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("ListLocks after removing them all: %v, %v", ids, err)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }
