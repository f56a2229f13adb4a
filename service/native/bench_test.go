//go:build unix

package native

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/restic"
)

// Side by side, in one run:
//
//	go test -run '^$' -bench . -benchtime 3x ./service/native/
//
// A warm check is what the daemon does every few minutes on a repository
// it has checked before: list locks/ and have every lock. Besides ns/op
// and Go allocations, each benchmark reports cpu-ms/op: the CPU time of
// this process and of the restic processes it started, which is what a
// laptop pays for (allocs/op cannot see restic's own allocations).

const benchLocks = 10

// benchRepo is a local repository holding benchLocks locks.
func benchRepo(b *testing.B) *demo.Repo {
	b.Helper()
	d := demotest.LocalRepo(b)
	be, err := OpenLocal(d.Location)
	if err != nil {
		b.Fatal(err)
	}
	w := NewRepo(be, fixedPassword(b, d.PasswordFile))
	now := time.Now()
	for i := range benchLocks {
		writeLock(b, w, d.LocksDir, lockRecord{
			Time: at(now.Add(-time.Duration(i)*time.Minute), 60), Hostname: "otherbox", Username: "alice", PID: 1000 + i,
		}, true)
	}
	return d
}

// cpuTime is the CPU time used so far by this process and its waited-for children.
func cpuTime(b *testing.B) time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			b.Fatal(err)
		}
		total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return total
}

// measure runs op in a b.Loop and reports CPU time per op.
func measure(b *testing.B, op func()) {
	b.ReportAllocs()
	start, n := cpuTime(b), 0
	for b.Loop() {
		op()
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(n)/1e6, "cpu-ms/op")
}

func BenchmarkWarmCheckNative(b *testing.B) {
	ctx := context.Background()
	r := openDemo(b, benchRepo(b))
	if locks, err := readAll(ctx, r); err != nil || len(locks) != benchLocks { // warms the cache, as the daemon's first check does
		b.Fatalf("%d locks, %v", len(locks), err)
	}
	measure(b, func() {
		if locks, err := readAll(ctx, r); err != nil || len(locks) != benchLocks {
			b.Fatalf("%d locks, %v", len(locks), err)
		}
	})
}

func resticCLI(b *testing.B, d *demo.Repo) *restic.CLI {
	return &restic.CLI{Binary: demotest.Restic(b), Env: d.Environ(), Timeout: 2 * time.Minute, Dir: d.Location}
}

// BenchmarkWarmCheckResticCLI: what restic.CLI costs for the same work,
// one `restic list locks` and one `restic cat lock` per lock.
func BenchmarkWarmCheckResticCLI(b *testing.B) {
	ctx := context.Background()
	cli := resticCLI(b, benchRepo(b))
	measure(b, func() {
		ids, err := cli.ListLocks(ctx)
		if err != nil || len(ids) != benchLocks {
			b.Fatalf("%d locks, %v", len(ids), err)
		}
		for _, id := range ids {
			if l, err := cli.ReadLock(ctx, id); err != nil || l.Problem != "" {
				b.Fatalf("%+v, %v", l, err)
			}
		}
	})
}

// BenchmarkWarmListResticCLI: the restic CLI's best case, when the
// checker's own cache spares it every `cat lock`: one `restic list locks`.
// It is also the cold native check's yardstick.
func BenchmarkWarmListResticCLI(b *testing.B) {
	ctx := context.Background()
	cli := resticCLI(b, benchRepo(b))
	measure(b, func() {
		if ids, err := cli.ListLocks(ctx); err != nil || len(ids) != benchLocks {
			b.Fatalf("%d locks, %v", len(ids), err)
		}
	})
}

// BenchmarkColdOpenNative: a first check, key derivation (scrypt) included.
func BenchmarkColdOpenNative(b *testing.B) {
	ctx := context.Background()
	cfg := demoConfig(benchRepo(b))
	measure(b, func() {
		r, err := Open(ctx, cfg, 0)
		if err != nil {
			b.Fatal(err)
		}
		if locks, err := readAll(ctx, r); err != nil || len(locks) != benchLocks {
			b.Fatalf("%d locks, %v", len(locks), err)
		}
		_ = r.Close()
	})
}
