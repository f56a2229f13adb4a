package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
)

// The benchmarks of instant detection (make bench-watch) measure, with
// real restic processes and check_interval = "1h", how long after a
// backup dies or a lock appears the service knows. Each takes
// LOCKWATCH_BENCH_SAMPLES samples (20 by default) and reports their p50
// and p95 in milliseconds; run them with -benchtime=1x.

func benchSamples() int {
	if n, err := strconv.Atoi(os.Getenv("LOCKWATCH_BENCH_SAMPLES")); err == nil && n > 0 {
		return n
	}
	return 20
}

func reportLatencies(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	at := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1)+0.5)]) / float64(time.Millisecond) }
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(float64(d[len(d)-1])/float64(time.Millisecond), "max-ms")
	b.ReportMetric(0, "ns/op") // one op is many samples: its time says nothing
}

func isLive(id string) func(check.RepoStatus) bool {
	return func(st check.RepoStatus) bool {
		l, ok := lockOf(st, id)
		return ok && l.Verdict == lock.Live && watched(st).Owners > 0
	}
}

// BenchmarkKillToStale: from the SIGKILL of a real `restic backup` to the
// service's status saying its lock is orphaned.
func BenchmarkKillToStale(b *testing.B) {
	for _, backend := range []string{"local", "sftp"} {
		b.Run(backend, func(b *testing.B) {
			repo := demotest.LocalRepo(b)
			if backend == "sftp" {
				repo = demotest.SFTPRepo(b)
			}
			d, _ := newSettingsDaemon(b, watchConfig(b, map[string]*demo.Repo{"r": repo}, ""))
			s := runWatched(b, d)
			s.waitFor("r", "the first check is done", func(st check.RepoStatus) bool { return !st.CheckedAt.IsZero() })
			var took []time.Duration
			for range benchSamples() {
				h := demotest.Hold(b, repo, demo.Options{})
				if backend == "sftp" {
					// Nothing watches the server's locks/: ask, as "Check now" does.
					if _, err := d.CheckNow(context.Background(), "r"); err != nil {
						b.Fatal(err)
					}
				}
				s.waitFor("r", "the lock is live and its owner watched", isLive(h.LockID))
				killed := time.Now()
				if err := h.Kill(); err != nil {
					b.Fatal(err)
				}
				s.waitFor("r", "the lock is orphaned", func(st check.RepoStatus) bool {
					l, ok := lockOf(st, h.LockID)
					return ok && l.Verdict == lock.Orphaned
				})
				took = append(took, time.Since(killed))
				if _, err := d.Unlock(context.Background(), "r", check.UnlockOptions{Verdicts: []lock.Verdict{lock.Orphaned}}, "cli"); err != nil {
					b.Fatal(err)
				}
				s.waitFor("r", "the lock is removed", func(st check.RepoStatus) bool { _, ok := lockOf(st, h.LockID); return !ok })
			}
			reportLatencies(b, took)
		})
	}
}

// BenchmarkKillToUnlocked: from the SIGKILL of a real `restic backup` to
// its lock file's removal by auto_unlock = "stale", as the file system
// reports it.
func BenchmarkKillToUnlocked(b *testing.B) {
	repo := demotest.LocalRepo(b)
	d, _ := newSettingsDaemon(b, watchConfig(b, map[string]*demo.Repo{"r": repo}, "")+"auto_unlock = \"stale\"\n")
	s := runWatched(b, d)
	removed := watchRemovals(b, repo.LocksDir)
	var took []time.Duration
	for range benchSamples() {
		h := demotest.Hold(b, repo, demo.Options{})
		s.waitFor("r", "the lock is live and its owner watched", isLive(h.LockID))
		killed := time.Now()
		if err := h.Kill(); err != nil {
			b.Fatal(err)
		}
		select {
		case <-removed(h.LockID):
			took = append(took, time.Since(killed))
		case <-time.After(notScheduled):
			b.Fatalf("the killed backup's lock was not removed within %s", notScheduled)
		}
	}
	reportLatencies(b, took)
}

// watchRemovals reports the removal of lock files from dir: removed(id)
// is closed when the file id is gone.
func watchRemovals(b *testing.B, dir string) (removed func(id string) <-chan struct{}) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	if err := w.Add(dir); err != nil {
		b.Fatal(err)
	}
	return func(id string) <-chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for ev := range w.Events {
				if ev.Has(fsnotify.Remove) && filepath.Base(ev.Name) == id {
					return
				}
			}
		}()
		return done
	}
}

// BenchmarkLockToBusy: from a lock file written by a real restic into a
// watched local repository (its own mtime) to the status saying busy.
func BenchmarkLockToBusy(b *testing.B) {
	repo := demotest.LocalRepo(b)
	d, _ := newSettingsDaemon(b, watchConfig(b, map[string]*demo.Repo{"r": repo}, ""))
	s := runWatched(b, d)
	s.waitFor("r", "locks/ is watched", func(st check.RepoStatus) bool { return watched(st).LocksDir })
	var took []time.Duration
	for range benchSamples() {
		h, err := repo.Hold(context.Background(), demo.Options{})
		if err != nil {
			b.Fatal(err)
		}
		st := s.waitFor("r", "the lock is seen", func(st check.RepoStatus) bool { _, ok := lockOf(st, h.LockID); return ok })
		seen := time.Now()
		info, err := os.Stat(filepath.Join(repo.LocksDir, h.LockID))
		if err != nil {
			b.Fatal(err)
		}
		if st.State != check.StateBusy {
			b.Fatalf("with a live lock the state is %s", st.State)
		}
		took = append(took, seen.Sub(info.ModTime()))
		if err := h.Finish(); err != nil {
			b.Fatal(err)
		}
		s.waitFor("r", "the lock is gone", func(st check.RepoStatus) bool { _, ok := lockOf(st, h.LockID); return !ok })
	}
	reportLatencies(b, took)
}

// BenchmarkWatchAtRest: what ten watched local repositories, each with a
// live backup whose exit is watched, cost while nothing happens, against
// the same with watch = false: wakeups (context switches of this process,
// summed over its threads) per second and threads, over
// LOCKWATCH_BENCH_WINDOW (30s by default).
func BenchmarkWatchAtRest(b *testing.B) {
	window := 30 * time.Second
	if w, err := time.ParseDuration(os.Getenv("LOCKWATCH_BENCH_WINDOW")); err == nil {
		window = w
	}
	repos := map[string]*demo.Repo{}
	for i := range 10 {
		repos[fmt.Sprintf("r%d", i)] = demotest.LocalRepo(b)
	}
	for _, r := range repos {
		demotest.Hold(b, r, demo.Options{})
	}
	for _, mode := range []string{"watch = false", "watch = true"} {
		b.Run(strings.TrimPrefix(mode, "watch = "), func(b *testing.B) {
			d, _ := newSettingsDaemon(b, watchConfig(b, repos, mode))
			s := runWatched(b, d)
			s.waitAll(len(repos), "every repository is checked", func(st check.RepoStatus) bool {
				return st.State == check.StateBusy && (mode == "watch = false" || watched(st).Owners == 1 && watched(st).LocksDir)
			})
			// The checks just done end in goroutines publishing their
			// next-check times; what follows is rest.
			d.WaitRechecks()
			threadsBefore, switchesBefore := selfThreads(b)
			start := time.Now()
			time.Sleep(window) // the thing measured is this stretch of nothing happening
			threadsAfter, switchesAfter := selfThreads(b)
			secs := time.Since(start).Seconds()
			b.ReportMetric(float64(switchesAfter-switchesBefore)/secs, "wakeups/s")
			b.ReportMetric(float64(threadsAfter), "threads")
			b.ReportMetric(float64(threadsAfter-threadsBefore), "new-threads")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// selfThreads is this process's thread count and the context switches
// (voluntary and not) of all its threads.
func selfThreads(b *testing.B) (threads int, switches int64) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		b.Fatal(err)
	}
	for _, task := range tasks {
		data, err := os.ReadFile(filepath.Join("/proc/self/task", task.Name(), "status"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		threads++
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				switches += n
			} else if v, ok := strings.CutPrefix(line, "nonvoluntary_ctxt_switches:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				switches += n
			}
		}
	}
	return threads, switches
}
