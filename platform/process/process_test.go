//go:build linux

package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startSleep runs a real sleep and returns it with the time just before it
// was started. The process is killed and reaped when the test ends.
func startSleep(t *testing.T, path string, args ...string) (*exec.Cmd, time.Time) {
	t.Helper()
	cmd := &exec.Cmd{Path: path, Args: append([]string{"sleep"}, args...)}
	before := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, before
}

func sleepPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary:", err)
	}
	return p
}

func mustLookup(t *testing.T, pid int) Info {
	t.Helper()
	info, err := Lookup(pid)
	if err != nil {
		t.Fatalf("Lookup(%d): %v", pid, err)
	}
	if info.PID != pid {
		t.Fatalf("Lookup(%d).PID = %d", pid, info.PID)
	}
	return info
}

func TestSelf(t *testing.T) {
	info := mustLookup(t, os.Getpid())
	now := time.Now()
	if !info.Exists {
		t.Fatal("own process does not exist")
	}
	want := filepath.Base(os.Args[0])
	if len(want) > 15 {
		want = want[:15]
	}
	if info.Name != want {
		t.Errorf("Name = %q, want %q", info.Name, want)
	}
	if info.StartTime.After(now) || now.Sub(info.StartTime) > 10*time.Second {
		t.Errorf("StartTime = %v, %v before now", info.StartTime, now.Sub(info.StartTime))
	}
}

func TestChild(t *testing.T) {
	cmd, before := startSleep(t, sleepPath(t), "30")
	pid := cmd.Process.Pid

	info := mustLookup(t, pid)
	if !info.Exists {
		t.Fatal("running sleep does not exist")
	}
	if info.Name != "sleep" {
		t.Errorf("Name = %q, want sleep", info.Name)
	}
	if d := info.StartTime.Sub(before); d < -time.Second || d > time.Second {
		t.Errorf("StartTime is %v off the time it was started", d)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if info := mustLookup(t, pid); info.Exists {
		t.Errorf("killed and reaped sleep still exists: %+v", info)
	}
}

// The stat line is parsed from the last ')', so a name full of parentheses
// and a fake state must come through whole.
func TestAwkwardName(t *testing.T) {
	name := "a) Z 1 (b) c"
	link := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(sleepPath(t), link); err != nil {
		t.Fatal(err)
	}
	cmd, before := startSleep(t, link, "30")
	info := mustLookup(t, cmd.Process.Pid)
	if !info.Exists || info.Name != name {
		t.Fatalf("got %+v, want existing process named %q", info, name)
	}
	if d := info.StartTime.Sub(before); d < -time.Second || d > time.Second {
		t.Errorf("StartTime is %v off the time it was started", d)
	}
}

func TestZombie(t *testing.T) {
	cmd, _ := startSleep(t, sleepPath(t), "0")
	pid := cmd.Process.Pid
	statPath := "/proc/" + strconv.Itoa(pid) + "/stat"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(statPath)
		if err != nil {
			t.Fatal(err)
		}
		if _, fields, ok := parseStat(b); ok && len(fields) > 0 && fields[0] == "Z" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d never became a zombie: %s", pid, b)
		}
	}
	if info := mustLookup(t, pid); info.Exists {
		t.Errorf("zombie reported as existing: %+v", info)
	}
	cmd.Wait()
}

func TestNoSuchPID(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	max, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if info := mustLookup(t, max+1); info.Exists {
		t.Errorf("PID above pid_max exists: %+v", info)
	}
}

func TestInvalidPID(t *testing.T) {
	for _, pid := range []int{0, -1} {
		if _, err := Lookup(pid); err == nil {
			t.Errorf("Lookup(%d): no error", pid)
		}
	}
}

func TestStartOrder(t *testing.T) {
	path := sleepPath(t)
	first, before1 := startSleep(t, path, "30")
	after1 := time.Now()
	// The second process must start well after the first, so that the
	// StartTimes' gap is plainly more than their precision: wait until
	// 1.5s have passed since the first was surely running.
	until := after1.Add(1500 * time.Millisecond)
	for wait := time.Until(until); wait > 0; wait = time.Until(until) {
		time.Sleep(wait)
	}
	second, before2 := startSleep(t, path, "30")
	after2 := time.Now()

	// Each process started between the times around its startSleep; each
	// StartTime is good to a clock tick and /proc/uptime's centisecond.
	const precision = 50 * time.Millisecond
	low, high := before2.Sub(after1)-precision, after2.Sub(before1)+precision
	a := mustLookup(t, first.Process.Pid)
	b := mustLookup(t, second.Process.Pid)
	if d := b.StartTime.Sub(a.StartTime); d < low || d > high {
		t.Errorf("processes started %v to %v apart have StartTimes %v apart", low+precision, high-precision, d)
	}
}
