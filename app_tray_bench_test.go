//go:build !nogui

package main

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/app/client"
	"github.com/lockwatch/lockwatch/app/traytest"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// The tray's budgets while nothing happens, summed over every lockwatch
// process (the tray and anything it started). Issue 11 set them: the tray
// lives all day on a laptop.
const (
	restWakeupsPerSec = 1.0
	restCPUPercent    = 0.1
	restRSSMiB        = 40.0
	windowMapped      = 1500 * time.Millisecond
)

// BenchmarkTrayAtRest starts the real GUI binary under Xvfb with a tray host
// on a private bus, on a repository with a real orphaned lock (checked
// hourly, so no check falls in the window), lets it settle for 10 s, then
// samples 60 s with no window open: wakeups (context switches of every
// thread), CPU and RSS. Then it opens the main window from the tray menu
// (time until the window is mapped), closes it, and samples again from 5 s
// after the close. Run it alone: make bench-tray. LOCKWATCH_BENCH_WINDOW
// sets the sampling window; LOCKWATCH_BENCH_INTERVAL the check interval
// (say 1m: a check every minute should add its own cost and no steady
// wakeups; the at-rest budget is for the hourly default here).
func BenchmarkTrayAtRest(b *testing.B) {
	window := 60 * time.Second
	if v := os.Getenv("LOCKWATCH_BENCH_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		window = d
	}
	for b.Loop() {
		s := traytest.Start(b)
		w := s.StartWatcher(b) // a stand-in tray host: it only keeps the registration
		repo := demotest.LocalRepo(b)
		demotest.Orphan(b, repo)
		cfgPath := filepath.Join(b.TempDir(), "config.toml")
		interval := cmp.Or(os.Getenv("LOCKWATCH_BENCH_INTERVAL"), "1h")
		cfg := fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = %q\n", demotest.Restic(b), interval) + repoTOML("nas", repo, "")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			b.Fatal(err)
		}
		home := b.TempDir()
		runtimeDir := filepath.Join(home, "run")
		os.MkdirAll(runtimeDir, 0o700)
		b.Setenv("XDG_RUNTIME_DIR", runtimeDir) // for the hand-over that closes the window
		app := exec.Command(lockwatchGUI(b), "--config", cfgPath)
		app.Env = append(append([]string{}, s.Env...), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
			"XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_RUNTIME_DIR="+runtimeDir, "LANG=en_US.UTF-8")
		p := s.StartProcess(b, app)
		menu := w.WaitItem(b, 30*time.Second).Menu(b)
		menu.WaitLabel(b, "nas — stale lock", 60*time.Second)
		tray := p.Cmd.Process.Pid

		// The settling time and the sampling window are what is measured,
		// not a wait for an event.
		time.Sleep(10 * time.Second)
		rest := sampleCost(b, tray, window)
		b.ReportMetric(rest.wakeupsPerSec, "rest-wakeups/s")
		b.ReportMetric(rest.cpuPercent, "rest-cpu-%")
		b.ReportMetric(rest.rssMiB, "rest-rss-MiB")
		b.ReportMetric(float64(rest.processes), "rest-processes")

		clicked := time.Now()
		menu.ClickLabel(b, "Open lockwatch")
		waitFor(b, 30*time.Second, "the main window opens", func() bool { return windowTitled(b, s, "lockwatch — nas") })
		mapped := time.Since(clicked)
		b.ReportMetric(float64(mapped.Milliseconds()), "window-open-ms")
		open := sampleCost(b, tray, 5*time.Second)
		b.ReportMetric(open.wakeupsPerSec, "open-wakeups/s")
		b.ReportMetric(open.rssMiB, "open-rss-MiB")

		if !client.HandOver(client.Window, client.Quit, "") {
			b.Fatal("the window process did not take the request to close")
		}
		closed := time.Now()
		waitFor(b, 10*time.Second, "the window process exits", func() bool { return len(processTree(b, tray)) == 1 })
		time.Sleep(time.Until(closed.Add(5 * time.Second))) // the budget allows 5 s to get back to rest
		after := sampleCost(b, tray, window/2)
		b.ReportMetric(after.wakeupsPerSec, "after-close-wakeups/s")
		b.ReportMetric(after.cpuPercent, "after-close-cpu-%")

		if rest.wakeupsPerSec > restWakeupsPerSec || rest.cpuPercent > restCPUPercent || rest.rssMiB > restRSSMiB {
			b.Errorf("at rest: %.2f wakeups/s, %.3f %% CPU, %.1f MiB; budget %.0f/s, %.1f %%, %.0f MiB",
				rest.wakeupsPerSec, rest.cpuPercent, rest.rssMiB, restWakeupsPerSec, restCPUPercent, restRSSMiB)
		}
		if mapped > windowMapped {
			b.Errorf("the main window was mapped %s after the click; budget %s", mapped, windowMapped)
		}
		if after.wakeupsPerSec > restWakeupsPerSec || after.cpuPercent > restCPUPercent {
			b.Errorf("5 s after the window closed: %.2f wakeups/s, %.3f %% CPU", after.wakeupsPerSec, after.cpuPercent)
		}
	}
}

// cost is what a tree of processes used over a sampling window.
type cost struct {
	wakeupsPerSec, cpuPercent, rssMiB float64
	processes                         int
}

// sampleCost measures the process tree under root for d: context switches
// (each one a thread that slept and was woken, or was preempted) and CPU
// ticks of processes alive at both ends, and their RSS at the end.
func sampleCost(tb testing.TB, root int, d time.Duration) cost {
	before := map[int]procCost{}
	for _, pid := range processTree(tb, root) {
		before[pid] = readProcCost(pid)
	}
	start := time.Now()
	time.Sleep(d)
	wall := time.Since(start).Seconds()
	var c cost
	switches, ticks := 0, 0
	for _, pid := range processTree(tb, root) {
		now := readProcCost(pid)
		c.rssMiB += float64(now.rssKiB) / 1024
		c.processes++
		if was, ok := before[pid]; ok {
			switches += now.switches - was.switches
			ticks += now.ticks - was.ticks
		}
	}
	c.wakeupsPerSec = float64(switches) / wall
	c.cpuPercent = float64(ticks) / clockTicks / wall * 100
	return c
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on Linux.
const clockTicks = 100

type procCost struct{ switches, ticks, rssKiB int }

// readProcCost sums the context switches of every thread of pid, and reads
// its CPU ticks and RSS. A process that just ended reads as zero.
func readProcCost(pid int) procCost {
	var c procCost
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, status := range tasks {
		data, err := os.ReadFile(status)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				c.switches += n
			} else if v, ok := strings.CutPrefix(line, "nonvoluntary_ctxt_switches:"); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				c.switches += n
			}
		}
	}
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(data)
		f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
		utime, _ := strconv.Atoi(f[11])
		stime, _ := strconv.Atoi(f[12])
		c.ticks = utime + stime
	}
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				c.rssKiB, _ = strconv.Atoi(strings.Fields(v)[0])
			}
		}
	}
	return c
}

// processTree is root and all its descendants, found through /proc's
// parent links.
func processTree(tb testing.TB, root int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // it ended
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], pid)
	}
	tree := []int{root}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree
}
