package native

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/process"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
)

// The native reader must see exactly what restic sees: the same IDs as
// `restic list locks`, and per ID the same fields as `restic cat lock`.

func TestDifferentialLocal(t *testing.T) {
	for _, version := range []int{1, 2} {
		t.Run(fmt.Sprintf("version%d", version), func(t *testing.T) {
			d, err := demo.Init(context.Background(), demotest.Restic(t), t.TempDir(), version)
			if err != nil {
				t.Fatal(err)
			}
			differential(t, d, version)
		})
	}
}

func TestDifferentialREST(t *testing.T) {
	d := demotest.RESTRepo(t) // restic's default format: version 2
	differential(t, d, 2)
}

// differential makes real lock situations with the real restic and
// compares both readers on them.
func differential(t *testing.T, d *demo.Repo, version int) {
	ctx := context.Background()
	r := openDemo(t, d)
	if v, err := r.Version(ctx); err != nil || v != version {
		t.Fatalf("Version() = %d, %v; want %d", v, err, version)
	}

	// An exclusive lock conflicts with every other lock, so restic takes
	// it alone: a live one first (`restic key passwd` waiting for input).
	hx := holdLock(t, d, demo.Options{Exclusive: true})
	got := compareWithRestic(t, d, r)
	if l := got[hx.LockID]; !l.Exclusive || l.PID != hx.PID {
		t.Errorf("live exclusive lock read as %+v, want exclusive, PID %d", l, hx.PID)
	}
	// Killed, it leaves an orphaned exclusive lock; its file is put aside
	// while restic takes the shared locks, then put back.
	if err := hx.Kill(); err != nil {
		t.Fatal(err)
	}
	exclusive := readDiskFile(t, d.LocksDir, hx.LockID)
	if err := os.Remove(filepath.Join(d.LocksDir, hx.LockID)); err != nil {
		t.Fatal(err)
	}

	live := holdLock(t, d, demo.Options{})
	orphan := orphanLock(t, d)
	var other *demo.Holder
	if os.Geteuid() == 0 {
		other = holdLock(t, d, demo.Options{Hostname: "otherbox"})
	} else {
		t.Log("not root: no lock of another host (needs a UTS namespace)")
	}
	// holdLock waited until each restic was past its check for
	// conflicting locks, which would have made it give up on this one.
	writeNamed(t, d.LocksDir, hx.LockID, exclusive)

	got = compareWithRestic(t, d, r)
	want := []string{hx.LockID, live.LockID, orphan.LockID}
	if other != nil {
		want = append(want, other.LockID)
		if l := got[other.LockID]; l.Hostname != "otherbox" {
			t.Errorf("other host's lock has hostname %q", l.Hostname)
		}
	}
	for _, id := range want {
		if _, ok := got[id]; !ok {
			t.Errorf("lock %.8s missing", id)
		}
	}
	if !got[hx.LockID].Exclusive || got[live.LockID].Exclusive || got[orphan.LockID].Exclusive {
		t.Errorf("exclusive flags wrong: %+v", got)
	}

	// restic 0.14 compresses the locks of version 2 repositories, so
	// both encodings are covered by restic's own files.
	key := masterKey(t, r)
	for id := range got {
		plain, err := key.open(readDiskFile(t, d.LocksDir, id))
		if err != nil {
			t.Fatal(err)
		}
		if wantFirst := map[int]byte{1: '{', 2: 2}[version]; plain[0] != wantFirst {
			t.Errorf("version %d lock %.8s starts with 0x%02x, want 0x%02x", version, id, plain[0], wantFirst)
		}
	}
}

// compareWithRestic checks that r lists and reads what restic does, and
// returns the locks by ID.
func compareWithRestic(t *testing.T, d *demo.Repo, r *Repo) map[string]lock.Lock {
	t.Helper()
	ctx := context.Background()
	want := resticIDs(t, d)
	ids, err := r.ListLocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("native ListLocks = %.8s\nrestic list locks = %.8s", ids, want)
	}
	got := map[string]lock.Lock{}
	for _, id := range ids {
		l, err := r.ReadLock(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		sameLock(t, l, resticCat(t, d, id))
		got[id] = l
	}
	return got
}

// TestWrittenLocks makes locks restic cannot be made to write (old, odd
// offsets, empty user names, no uid), checks that restic itself reads them
// as written, and that `restic unlock` removes exactly those lockwatch
// judges expired.
func TestWrittenLocks(t *testing.T) {
	for _, version := range []int{1, 2} {
		t.Run(fmt.Sprintf("version%d", version), func(t *testing.T) {
			d, err := demo.Init(context.Background(), demotest.Restic(t), t.TempDir(), version)
			if err != nil {
				t.Fatal(err)
			}
			writtenLocks(t, d, version)
		})
	}
}

func writtenLocks(t *testing.T, d *demo.Repo, version int) {
	ctx := context.Background()
	r := openDemo(t, d)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	// A live process of this host. restic's stale probe sends it SIGHUP,
	// which nohup makes it ignore; lockwatch only looks it up.
	sleeper := exec.Command("nohup", "sleep", "600")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	// The probe must find the process that ignores SIGHUP: nohup once it
	// has exec'd sleep.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if p, err := process.Lookup(sleeper.Process.Pid); err == nil && p.Name == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nohup did not exec sleep within 10s")
		}
	}

	now := time.Now()
	cases := []struct {
		name     string
		rec      lockRecord
		compress bool
		verdict  lock.Verdict
	}{
		{"31m old, this host's live PID, +05:45, no user, no uid",
			lockRecord{Time: at(now.Add(-31*time.Minute-123456789), 345), Hostname: host, PID: sleeper.Process.Pid, GID: 1000}, true, lock.Expired},
		{"2h old, exclusive, other host, -03:30",
			lockRecord{Time: at(now.Add(-2*time.Hour-1), -210), Exclusive: true, Hostname: "otherbox", Username: "alice", PID: 4242, UID: 1000, GID: 1000}, false, lock.Expired},
		{"73h old, +14:00, no user",
			lockRecord{Time: at(now.Add(-73*time.Hour), 840), Hostname: "nas", PID: 1}, true, lock.Expired},
		{"45m old, this host, dead PID, -09:30, root (no uid/gid)",
			lockRecord{Time: at(now.Add(-45*time.Minute+987654321), -570), Hostname: host, Username: "root", PID: 4194303}, false, lock.Expired},
		{"5m old, other host, +05:30",
			lockRecord{Time: at(now.Add(-5*time.Minute), 330), Hostname: "otherbox", Username: "bob", PID: 77, UID: 1001, GID: 1001}, true, lock.Fresh},
		{"20m old, exclusive, other host, -01:00, no user",
			lockRecord{Time: at(now.Add(-20*time.Minute-7), -60), Exclusive: true, Hostname: "laptop", PID: 31337}, false, lock.Fresh},
		{"just now, this host's live PID, +05:45",
			lockRecord{Time: at(time.Now(), 345), Hostname: host, PID: sleeper.Process.Pid}, true, lock.Live},
	}
	written := map[string]lock.Verdict{}
	for _, c := range cases {
		compress := c.compress && version >= 2 // version 1 knows no compression
		id := writeLock(t, r, d.LocksDir, c.rec, compress)
		written[id] = c.verdict
		want, err := lock.Parse(id, encodeLock(t, c.rec, false))
		if err != nil {
			t.Fatal(err)
		}
		// restic reads our file back as we wrote it...
		sameLock(t, resticCat(t, d, id), want)
		// ...and so does the native reader.
		got, err := r.ReadLock(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		sameLock(t, got, want)
		if _, off := got.Time.Zone(); off != zoneOffset(t, c.rec.Time) {
			t.Errorf("%s: UTC offset %d not kept", c.name, off)
		}
		if j := lock.Judge(got, time.Now(), host, process.Lookup); j.Verdict != c.verdict {
			t.Errorf("%s: judged %s (%s), want %s", c.name, j.Verdict, j.Reason, c.verdict)
		}
	}
	ids, err := r.ListLocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := resticIDs(t, d); !slices.Equal(ids, want) {
		t.Fatalf("native ListLocks = %.8s\nrestic list locks = %.8s", ids, want)
	}

	// restic's own rule removes exactly what lockwatch calls expired.
	resticRun(t, d, "unlock")
	left := diskLocks(t, d.LocksDir)
	for id, verdict := range written {
		removed := !slices.Contains(left, id)
		if removed != (verdict == lock.Expired) {
			t.Errorf("lock %.8s (%s): removed by restic unlock = %v", id, verdict, removed)
		}
	}
	if !demotest.Running(sleeper) {
		t.Error("restic's SIGHUP probe ended the live process")
	}
	ids, err = r.ListLocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, left) {
		t.Errorf("after restic unlock: native %.8s, on disk %.8s", ids, left)
	}
}

func mustParseTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func zoneOffset(t *testing.T, s string) int {
	_, off := mustParseTime(t, s).Zone()
	return off
}
