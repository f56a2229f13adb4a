package process

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func watch(t *testing.T, p Info) *ExitWatch {
	t.Helper()
	w, err := WatchExit(p)
	if err != nil {
		t.Fatalf("WatchExit(%d): %v", p.PID, err)
	}
	t.Cleanup(w.Stop)
	return w
}

func exited(w *ExitWatch, within time.Duration) bool {
	select {
	case <-w.Exited():
		return true
	default:
	}
	select {
	case <-w.Exited():
		return true
	case <-time.After(within):
		return false
	}
}

func TestExitWatchSeesAKill(t *testing.T) {
	cmd, _ := startSleep(t, sleepPath(t), "60")
	w := watch(t, mustLookup(t, cmd.Process.Pid))
	select {
	case <-w.Exited():
		t.Fatal("exit reported while the process runs")
	default:
	}
	cmd.Process.Kill() // the test's own child: the thing a watch must notice
	if !exited(w, 10*time.Second) {
		t.Fatal("exit of a killed process not reported within 10s")
	}
}

// The zombie stage counts as exited: the PID lingers until the parent
// reaps it, and a dead restic's lock is orphaned from that moment.
func TestExitWatchSeesAnUnreapedExit(t *testing.T) {
	cmd, _ := startSleep(t, sleepPath(t), "60")
	w := watch(t, mustLookup(t, cmd.Process.Pid))
	// Signal via the *os.Process without Wait: the child stays a zombie.
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	if !exited(w, 10*time.Second) {
		t.Fatal("exit of an unreaped process not reported within 10s")
	}
}

func TestExitWatchOfAGoneOrReplacedProcess(t *testing.T) {
	cmd, _ := startSleep(t, sleepPath(t), "60")
	p := mustLookup(t, cmd.Process.Pid)

	// The same PID with another start is another process: what a watch
	// set up after the judged process died and its PID was reused sees.
	successor := p
	successor.start++
	if w := watch(t, successor); !exited(w, 0) {
		t.Error("a process with another start was watched as the one judged")
	}

	cmd.Process.Kill()
	cmd.Wait()
	if w := watch(t, p); !exited(w, 0) {
		t.Error("a process already gone was watched as running")
	}
	if w := watch(t, Info{PID: p.PID}); !exited(w, 0) {
		t.Error("an Info with Exists=false was watched as running")
	}
}

func TestExitWatchStop(t *testing.T) {
	cmd, _ := startSleep(t, sleepPath(t), "60")
	w := watch(t, mustLookup(t, cmd.Process.Pid))
	w.Stop()
	w.Stop()
	cmd.Process.Kill()
	cmd.Wait()
	// Nothing to wait for: a stopped watch never reports. Give a wrongly
	// still-running watch the chance a real one needs to report.
	if exited(w, time.Second) {
		t.Fatal("a stopped watch reported the exit")
	}
}

func TestExitWatchRefusesAnUnknownStart(t *testing.T) {
	p := mustLookup(t, os.Getpid())
	p.start = 0
	if _, err := WatchExit(p); err == nil {
		t.Fatal("a process without a known start was watched")
	}
}

func TestExitWatchDisabled(t *testing.T) {
	restore := DisableExitWatch()
	defer restore()
	_, err := WatchExit(mustLookup(t, os.Getpid()))
	if !errors.Is(err, ErrNoExitWatch) {
		t.Fatalf("WatchExit with the watch disabled: %v, want ErrNoExitWatch", err)
	}
}

// A watch costs no thread: fifty watches leave the process's thread count
// where it was (Go's poller waits for all of them).
func TestExitWatchesCostNoThreads(t *testing.T) {
	cmd, _ := startSleep(t, sleepPath(t), "60")
	p := mustLookup(t, cmd.Process.Pid)
	before := threads(t)
	for range 50 {
		watch(t, p)
	}
	if after := threads(t); after > before+2 {
		t.Fatalf("threads: %d before 50 watches, %d with them", before, after)
	}
}

func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}
