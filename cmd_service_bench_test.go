package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// BenchmarkServiceIdle measures what the service costs while nothing
// happens: 10 local repositories without locks, checked every minute.
// Run it alone, once: go test -run '^$' -bench ServiceIdle -benchtime 1x
// (LOCKWATCH_BENCH_WINDOW sets how long it watches; default 3m). It reports
// the service's peak RSS, its own CPU share, and the CPU share of the restic
// processes it starts: none with the native reader, the default for local
// repositories; LOCKWATCH_BENCH_READER=restic measures the restic CLI driver.
func BenchmarkServiceIdle(b *testing.B) {
	extra := ""
	if reader := os.Getenv("LOCKWATCH_BENCH_READER"); reader != "" {
		extra = fmt.Sprintf("reader = %q\n", reader)
	}
	window := 3 * time.Minute
	if v := os.Getenv("LOCKWATCH_BENCH_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		window = d
	}
	cfg := fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = \"1m\"\n", demotest.Restic(b))
	for i := 0; i < 10; i++ {
		cfg += repoTOML(fmt.Sprintf("r%d", i), demotest.LocalRepo(b), extra)
	}
	for b.Loop() {
		s := startServiceB(b, cfg)
		pid := s.cmd.Process.Pid
		// Let the first round of checks (all due at start) pass.
		time.Sleep(15 * time.Second)
		cpu0, child0 := cpuTicks(b, pid)
		start := time.Now()
		peak := 0
		for time.Since(start) < window {
			time.Sleep(2 * time.Second)
			peak = max(peak, rssKiB(b, pid))
		}
		cpu1, child1 := cpuTicks(b, pid)
		wall := time.Since(start).Seconds()
		b.ReportMetric(float64(peak)/1024, "rss-MiB")
		b.ReportMetric(float64(procStatusKiB(b, pid, "VmHWM:"))/1024, "start-peak-rss-MiB")
		b.ReportMetric(float64(cpu1-cpu0)/100/wall*100, "service-cpu-%")
		b.ReportMetric(float64(child1-child0)/100/wall*100, "restic-cpu-%")
	}
}

// startServiceB is startService for benchmarks.
func startServiceB(b *testing.B, cfg string) *runningService {
	dir := b.TempDir()
	path := dir + "/config.toml"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	return startService(b, path, serviceEnv(b))
}

// cpuTicks is the process's own CPU time and that of its waited-for children, in clock ticks.
func cpuTicks(tb testing.TB, pid int) (own, children int) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	// Fields after the name: state is f[0]; utime, stime, cutime, cstime are stat fields 14-17.
	n := func(i int) int { v, _ := strconv.Atoi(f[i-3]); return v }
	return n(14) + n(15), n(16) + n(17)
}

func rssKiB(tb testing.TB, pid int) int { return procStatusKiB(tb, pid, "VmRSS:") }

// procStatusKiB reads one kB figure of /proc/PID/status (VmRSS now, VmHWM the peak).
func procStatusKiB(tb testing.TB, pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return 0
}
