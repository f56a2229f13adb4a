package native

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// TestOversizedRepoFilesLocal: the key file, the config and a snapshot of
// a real local repository, each made larger than lockwatch reads of such
// a file, fail the call that needs them with an error naming the file and
// its size, without the file being read.
func TestOversizedRepoFilesLocal(t *testing.T) {
	testOversizedRepoFiles(t, demotest.LocalRepo(t), "config", "keys", "snapshots")
}

// TestOversizedRepoFilesREST: the key file and a snapshot behind a real
// REST server (rclone), which announces their sizes in Content-Length and
// would send them whole. Not the config: rclone keeps the size of what it
// wrote or listed (--cache-objects, on by default), and the config is
// never listed, so a config grown on disk behind its back is served with
// its old length and cut short. restic never rewrites a config, so this
// is an artifact of the test; over REST the config is read by the same
// restBackend.Read as the key.
func TestOversizedRepoFilesREST(t *testing.T) {
	testOversizedRepoFiles(t, demotest.RESTRepo(t), "keys", "snapshots")
}

// testOversizedRepoFiles grows each of kinds (config, keys, snapshots) of
// d's files on disk, in place, to its bound, one byte over it and 2 GiB.
func testOversizedRepoFiles(t *testing.T, d *demo.Repo, kinds ...string) {
	ctx := context.Background()
	resticStdin(t, d, "backup", "--stdin", "--stdin-filename", "f.txt")
	dir := filepath.Dir(d.LocksDir) // the repository's files on disk
	keyID := onlyFile(t, filepath.Join(dir, "keys"))
	snapID := onlyFile(t, filepath.Join(dir, "snapshots"))

	deriveKey := func(r *Repo) error { return r.DeriveKey(ctx) }
	latestSnapshot := func(r *Repo) error {
		_, found, err := r.LatestSnapshot(ctx, "", nil, nil)
		if err == nil && !found {
			return fmt.Errorf("no snapshot found")
		}
		return err
	}
	for _, c := range []struct {
		file  string // in the repository
		limit int64
		// limitText is the bound as the error names it.
		limitText string
		call      func(*Repo) error
		// keyFirst derives the key before the 2 GiB file is tried, so
		// that scrypt's 32 MiB are not counted as reading it.
		keyFirst bool
	}{
		{"config", maxSmallFile, "64 KiB", deriveKey, false},
		{"keys/" + keyID, maxSmallFile, "64 KiB", deriveKey, false},
		{"snapshots/" + snapID, maxSnapshotFile, "4.0 MiB", latestSnapshot, true},
	} {
		kind, _, _ := strings.Cut(c.file, "/")
		if !slices.Contains(kinds, kind) {
			continue
		}
		t.Run(kind, func(t *testing.T) {
			path := filepath.Join(dir, filepath.FromSlash(c.file))
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			// restic writes its files read-only; the test puts the real
			// content back (truncated to its own size) when it is done.
			mode := fi.Mode()
			if err := os.Chmod(path, 0o600); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := os.Truncate(path, fi.Size()); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, mode); err != nil {
					t.Fatal(err)
				}
				// Whole again, the same call succeeds: the size alone made it fail.
				if err := c.call(openDemo(t, d)); err != nil {
					t.Errorf("%s restored: %v", c.file, err)
				}
			}()
			// The real content, then zeros: sparse, no disk space taken.
			grow := func(size int64) {
				t.Helper()
				if err := os.Truncate(path, size); err != nil {
					t.Fatal(err)
				}
			}

			// At the bound: read (and found broken, as the zeros make it),
			// not refused for its size.
			grow(c.limit)
			err = within(t, 30*time.Second, c.file+" at the bound", func() error { return c.call(openDemo(t, d)) })
			if err == nil || strings.Contains(err.Error(), "lockwatch reads of such a file") {
				t.Errorf("%s at the bound (%d bytes): %v; want it read, and found broken", c.file, c.limit, err)
			}

			// One byte over: refused, and the message shows the byte that
			// a rounded size would hide.
			grow(c.limit + 1)
			err = within(t, 30*time.Second, c.file+" one byte over", func() error { return c.call(openDemo(t, d)) })
			want := fmt.Sprintf("%s is %s (%d bytes), more than the %s lockwatch reads of such a file", c.file, c.limitText, c.limit+1, c.limitText)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s one byte over the bound: %v; want %q", c.file, err, want)
			}

			// 2 GiB: refused by its size before any of it is read.
			grow(2 << 30)
			r := openDemo(t, d)
			if c.keyFirst {
				if err := r.DeriveKey(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			err = within(t, 30*time.Second, c.file+" of 2 GiB", func() error { return c.call(r) })
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			want = c.file + " is 2.0 GiB (2147483648 bytes), more than the " + c.limitText + " lockwatch reads of such a file"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s of 2 GiB: %v; want %q", c.file, err, want)
			}
			// Nothing like 2 GiB, nor even the bound: the size decides
			// before the first byte is read.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("refusing a 2 GiB %s allocated %d bytes; want under 1 MiB", c.file, alloc)
			}
			t.Logf("%s of 2 GiB refused in %v: %v", c.file, took, err)
		})
	}
}

// resticStdin runs restic on d with "data\n" as its standard input.
func resticStdin(t *testing.T, d *demo.Repo, args ...string) {
	t.Helper()
	cmd := resticCmd(t, d, args...)
	cmd.Stdin = strings.NewReader("data\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("restic %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// onlyFile is the name of the one file in dir.
func onlyFile(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("%s holds %d files, want 1", dir, len(entries))
	}
	return entries[0].Name()
}
