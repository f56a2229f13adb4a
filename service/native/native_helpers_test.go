package native

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/reader"
)

// demoConfig describes a demo repository as lockwatch's config would.
func demoConfig(d *demo.Repo) *config.Repo {
	return &config.Repo{Name: "test", Repository: d.Location, PasswordFile: d.PasswordFile}
}

// openDemo opens a demo repository natively, through Open as the checker will.
func openDemo(t testing.TB, d *demo.Repo) *Repo {
	t.Helper()
	r, err := Open(context.Background(), demoConfig(d), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// resticCmd prepares restic on d with a time limit, so that a hung restic
// fails its test instead of the whole run.
func resticCmd(t testing.TB, d *demo.Repo, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd := d.Command(ctx, args...)
	cmd.WaitDelay = 5 * time.Second // a child holding our pipes must not hang Wait
	return cmd
}

// resticRun runs restic on d and returns its stdout, failing the test on error.
func resticRun(t testing.TB, d *demo.Repo, args ...string) []byte {
	t.Helper()
	cmd := resticCmd(t, d, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("restic %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// resticIDs is what `restic list locks` says, sorted.
func resticIDs(t testing.TB, d *demo.Repo) []string {
	t.Helper()
	var ids []string
	for _, line := range strings.Split(string(resticRun(t, d, "list", "locks", "--no-lock")), "\n") {
		if id := strings.TrimSpace(line); id != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// resticCat is what `restic cat lock ID --no-lock` says, parsed.
func resticCat(t testing.TB, d *demo.Repo, id string) lock.Lock {
	t.Helper()
	l, err := lock.Parse(id, resticRun(t, d, "cat", "lock", id, "--no-lock"))
	if err != nil {
		t.Fatalf("restic cat lock %.8s: %v", id, err)
	}
	return l
}

// sameLock fails unless got has want's fields (times compared as instants).
func sameLock(t testing.TB, got, want lock.Lock) {
	t.Helper()
	if got.Problem != "" {
		t.Errorf("lock %.8s: native reader found a problem: %s", got.ID, got.Problem)
		return
	}
	if got.ID != want.ID || !got.Time.Equal(want.Time) || got.Exclusive != want.Exclusive ||
		got.Hostname != want.Hostname || got.Username != want.Username || got.PID != want.PID ||
		got.UID != want.UID || got.GID != want.GID {
		t.Errorf("lock %.8s differs:\nnative %+v\nrestic %+v", got.ID, got, want)
	}
}

// readAll is one check as service.Checker does it without its cache:
// list, then read every ID, skipping those that vanished meanwhile.
func readAll(ctx context.Context, r *Repo) ([]lock.Lock, error) {
	ids, err := r.ListLocks(ctx)
	if err != nil {
		return nil, err
	}
	locks := make([]lock.Lock, 0, len(ids))
	for _, id := range ids {
		l, err := r.ReadLock(ctx, id)
		if errors.Is(err, reader.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// diskLocks lists the files in a locks directory, sorted.
func diskLocks(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// readDiskFile reads a lock file straight from disk.
func readDiskFile(t testing.TB, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// countingBackend counts the requests a Repo makes.
type countingBackend struct {
	Backend
	lists, reads, removes atomic.Int64
}

func (c *countingBackend) List(ctx context.Context, dir string) ([]FileInfo, error) {
	c.lists.Add(1)
	return c.Backend.List(ctx, dir)
}

func (c *countingBackend) Read(ctx context.Context, p string) ([]byte, error) {
	c.reads.Add(1)
	return c.Backend.Read(ctx, p)
}

func (c *countingBackend) Remove(ctx context.Context, p string) error {
	c.removes.Add(1)
	return c.Backend.Remove(ctx, p)
}

func (c *countingBackend) reset() { c.lists.Store(0); c.reads.Store(0); c.removes.Store(0) }

// fixedPassword is a PasswordFunc for tests that build a Repo by hand.
func fixedPassword(t testing.TB, file string) PasswordFunc {
	t.Helper()
	return func(context.Context) (string, error) { return readPasswordFile(file) }
}

// holdLock is demotest.Hold, returning only once restic's lock file is
// complete: a REST server shows a file while it is still being uploaded,
// and killing restic then (for an orphan) makes the server drop the
// partial file, leaving no lock at all.
func holdLock(t testing.TB, d *demo.Repo, opt demo.Options) *demo.Holder {
	t.Helper()
	h := demotest.Hold(t, d, opt)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		data, err := os.ReadFile(filepath.Join(d.LocksDir, h.LockID))
		if err == nil && matchesID(h.LockID, data) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lock %.8s of PID %d was not completely written within 10s", h.LockID, h.PID)
		}
	}
	// demo.Hold returned once restic blocked reading its stdin (the data
	// to back up, or key passwd's new password), which it does only after
	// its last look for conflicting locks: it is past that check.
	return h
}

// orphanLock leaves the complete lock of a restic killed by its PID.
func orphanLock(t testing.TB, d *demo.Repo) *demo.Holder {
	t.Helper()
	h := holdLock(t, d, demo.Options{})
	if err := h.Kill(); err != nil {
		t.Fatal(err)
	}
	return h
}
