// Package demotest sets up the real things lockwatch's tests need: restic
// itself, repositories on local disk and behind a real REST server, and a
// process that takes over a dead restic's PID.
package demotest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/lock"
)

// ResticEnv names the restic binary the tests drive instead of the one on
// PATH: make test runs them again with Debian 13's restic 0.18.
const ResticEnv = "LOCKWATCH_TEST_RESTIC"

// Restic returns the path of the real restic binary or fails the test:
// these tests mean nothing without it (make deps installs it).
func Restic(t testing.TB) string {
	t.Helper()
	if path := os.Getenv(ResticEnv); path != "" {
		if _, err := exec.LookPath(path); err != nil {
			t.Fatalf("%s=%s: %v", ResticEnv, path, err)
		}
		return path
	}
	path, err := exec.LookPath("restic")
	if err != nil {
		t.Fatalf("restic is not installed (run `make deps`, or apt-get install restic): %v", err)
	}
	return path
}

// ResticVersion is the version of the restic the tests drive, e.g. "0.18.0".
func ResticVersion(t testing.TB) string {
	t.Helper()
	out, err := exec.Command(Restic(t), "version").Output()
	if err != nil {
		t.Fatalf("restic version: %v", err)
	}
	// "restic 0.18.0 compiled with go1.24.4 on linux/amd64"
	f := strings.Fields(string(out))
	if len(f) < 2 || f[0] != "restic" {
		t.Fatalf("restic version printed %q", out)
	}
	return f[1]
}

// RequireRoot skips tests that need root: new UTS namespaces, ns_last_pid.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root to %s", why)
	}
}

// LocalRepo makes a new local repository in a temp dir.
func LocalRepo(t testing.TB) *demo.Repo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := demo.Init(ctx, Restic(t), t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Hold starts a restic that holds a lock and stops it when the test ends.
func Hold(t testing.TB, r *demo.Repo, opt demo.Options) *demo.Holder {
	t.Helper()
	h, err := r.Hold(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Kill() })
	return h
}

// Orphan leaves the lock of a restic killed by its PID.
func Orphan(t testing.TB, r *demo.Repo) *demo.Holder {
	t.Helper()
	h := Hold(t, r, demo.Options{})
	if err := h.Kill(); err != nil {
		t.Fatal(err)
	}
	return h
}

// RESTRepo makes a repository behind a real REST server (`rclone serve
// restic`) on loopback. Its files are visible on disk, under LocksDir.
func RESTRepo(t testing.TB) *demo.Repo {
	t.Helper()
	rclone, err := exec.LookPath("rclone")
	if err != nil {
		t.Fatalf("rclone is not installed (run `make deps`): %v", err)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	cmd := exec.Command(rclone, "serve", "restic", "--addr", addr, filepath.Join(dir, "served"))
	cmd.Env = append(os.Environ(), "RCLONE_CONFIG="+filepath.Join(dir, "rclone.conf"))
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitListening(t, addr, &logs)
	r := &demo.Repo{
		Restic:       Restic(t),
		Location:     "rest:http://" + addr + "/test/",
		LocksDir:     filepath.Join(dir, "served", "test", "locks"),
		PasswordFile: filepath.Join(dir, "password"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.Init(ctx, 0); err != nil {
		t.Fatal(err)
	}
	return r
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitListening(t testing.TB, addr string, logs fmt.Stringer) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("server on %s did not start: %s", addr, logs)
}

// ReuseMargin is how long after a lock was written a process that takes
// over its PID must start for lockwatch to see that the PID was reused:
// the judgement's start-time margin and a second more for the precision
// of process start times.
const ReuseMargin = lock.StartMargin + time.Second

// ReusedPID leaves the lock of a dead restic whose PID a live `sleep` has
// taken over: the PID reuse that makes restic's own SIGHUP probe kill
// innocent processes. restic holds its lock (alive, so its PID stays its
// own) until ReuseMargin has passed, and only then is killed and its PID
// taken at once: on a busy machine with a small pid_max (32768 on Debian)
// a PID left free for seconds is soon some other process's. Linux, root.
func ReusedPID(t testing.TB, r *demo.Repo, opt demo.Options) (dead *demo.Holder, squatter *exec.Cmd) {
	t.Helper()
	RequireRoot(t, "choose the next PID through /proc/sys/kernel/ns_last_pid")
	for try := 1; ; try++ {
		h := Hold(t, r, opt)
		info, err := os.Stat(filepath.Join(r.LocksDir, h.LockID))
		if err != nil {
			t.Fatalf("the lock restic holds: %v", err)
		}
		// What is waited for is the clock passing a point fixed by the
		// lock file's own time (never earlier than the time in the lock).
		for until := info.ModTime().Add(ReuseMargin); time.Now().Before(until); {
			time.Sleep(time.Until(until))
		}
		if err := h.Kill(); err != nil {
			t.Fatal(err)
		}
		squatter, err := takePID(h.PID)
		if err == nil {
			t.Cleanup(func() { _ = squatter.Process.Kill(); _ = squatter.Wait() })
			return h, squatter
		}
		if try == 3 {
			t.Fatal(err)
		}
		// Another process won the PID in the moment it was free. The lock
		// would then name that process: take it away and start over.
		t.Logf("try %d: %v; again with a new lock", try, err)
		if err := os.Remove(filepath.Join(r.LocksDir, h.LockID)); err != nil {
			t.Fatal(err)
		}
	}
}

// ErrPIDTaken is OrphanAs's error when a process of this machine has the PID.
var ErrPIDTaken = errors.New("the PID belongs to a process here")

// OrphanAs leaves the lock of a killed restic whose PID was exactly pid:
// a lock naming a process ID that is free here but means something
// elsewhere (a Windows process under Wine, whose PIDs are Wine's own).
// Linux, root (ns_last_pid). It fails with ErrPIDTaken when a process
// here has the PID.
func OrphanAs(t testing.TB, r *demo.Repo, pid int) (*demo.Holder, error) {
	t.Helper()
	RequireRoot(t, "choose the next PID through /proc/sys/kernel/ns_last_pid")
	for try := 0; try < 20; try++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			return nil, fmt.Errorf("PID %d: %w", pid, ErrPIDTaken)
		}
		restore, err := nextPID(pid)
		if err != nil {
			t.Fatal(err)
		}
		h := Hold(t, r, demo.Options{})
		restore()
		if err := h.Kill(); err != nil {
			t.Fatal(err)
		}
		if h.PID == pid {
			return h, nil
		}
		// Another process forked in between: take its lock away, again.
		if err := os.Remove(filepath.Join(r.LocksDir, h.LockID)); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("could not start restic as PID %d in 20 tries", pid)
	return nil, nil
}

// nextPID makes pid the next PID the kernel hands out, by setting
// ns_last_pid back to pid-1; restore puts the counter back where it was.
// Without restore, every process the machine starts afterwards (other
// tests' restics among them, in packages tested in parallel) would walk
// again through the PIDs just used, and take those of processes that died
// moments ago: a lock of a killed restic would then name a live process.
func nextPID(pid int) (restore func(), err error) {
	const counter = "/proc/sys/kernel/ns_last_pid"
	data, err := os.ReadFile(counter)
	if err != nil {
		return nil, fmt.Errorf("reading ns_last_pid: %w", err)
	}
	was, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("reading ns_last_pid: %w", err)
	}
	if err := os.WriteFile(counter, []byte(strconv.Itoa(pid-1)), 0o644); err != nil {
		return nil, fmt.Errorf("setting ns_last_pid: %w", err)
	}
	return func() {
		now, err := os.ReadFile(counter)
		if n, _ := strconv.Atoi(strings.TrimSpace(string(now))); err == nil && n < was {
			_ = os.WriteFile(counter, []byte(strconv.Itoa(was)), 0o644)
		}
	}, nil
}

// takePID starts a long-running `sleep` with exactly the given PID, which
// must belong to a process that has ended moments ago.
func takePID(pid int) (*exec.Cmd, error) {
	for attempt := 0; attempt < 50; attempt++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			return nil, fmt.Errorf("PID %d is taken by another process (%s)", pid, strings.TrimSpace(string(comm)))
		}
		restore, err := nextPID(pid)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command("sleep", "600")
		err = cmd.Start()
		restore()
		if err != nil {
			return nil, err
		}
		if cmd.Process.Pid == pid {
			return cmd, nil
		}
		// Another process forked between our write and our fork; try again.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	return nil, fmt.Errorf("could not start a process with PID %d in 50 tries", pid)
}

// Running reports whether cmd's process is still running (not a zombie).
func Running(cmd *exec.Cmd) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
	return len(fields) > 0 && fields[0] != "Z"
}
