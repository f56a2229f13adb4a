package flock_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/flock"
)

// The helper process is this test binary run again with -test.run=TestHelperProcess:
// a real second process, so the tests see what the kernel does across processes.
const (
	helperModeEnv = "LOCKWATCH_FLOCK_HELPER"
	helperPathEnv = "LOCKWATCH_FLOCK_PATH"
)

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperModeEnv)
	if mode == "" {
		t.Skip("helper process for the other tests")
	}
	path := os.Getenv(helperPathEnv)
	l, err := flock.TryLock(path)
	switch mode {
	case "try": // report and exit
		if err != nil {
			fmt.Println("error:", err)
		} else {
			fmt.Println("ok")
		}
	case "hold": // hold the lock until stdin closes, killed, or 30s pass
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		done := make(chan struct{})
		go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
		_ = l // exit without Unlock: the kernel must release it
	}
	os.Exit(0)
}

func helper(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	// GORACE: under -race a process otherwise lingers 1s at exit.
	cmd.Env = append(os.Environ(), helperModeEnv+"="+mode, helperPathEnv+"="+path, "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	return cmd
}

// holdInChild starts a child that holds the lock at path, returning once it
// said "locked". Closing the returned writer lets the child exit.
func holdInChild(t *testing.T, path string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := helper(t, "hold", path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		if s != "locked" {
			t.Fatalf("child said %q, want \"locked\"", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("child did not take the lock within 10s")
	}
	return cmd, stdin
}

func tryInChild(t *testing.T, path string) string {
	t.Helper()
	out, err := helper(t, "try", path).Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func lockPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "state", "nas.lock")
}

// flock locks belong to the open file description, so two Locks on separate
// descriptors conflict even inside one process (unlike fcntl locks).
func TestTryLockTwiceInOneProcess(t *testing.T) {
	path := lockPath(t)
	l, err := flock.TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = flock.TryLock(path)
	var le *flock.LockedError
	if !errors.Is(err, flock.ErrLocked) || !errors.As(err, &le) {
		t.Fatalf("second TryLock = %v, want *LockedError matching ErrLocked", err)
	}
	if le.Holder.PID != os.Getpid() || le.Path != path {
		t.Errorf("LockedError = %+v, want our PID %d and path %s", le, os.Getpid(), path)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Errorf("second Unlock = %v, want nil", err)
	}
	if _, err := flock.ReadHolder(path); err == nil {
		t.Error("ReadHolder after Unlock found a holder record")
	}
	l, err = flock.TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after Unlock: %v", err)
	}
	l.Unlock()
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	path := lockPath(t)
	l, err := flock.TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
}

// The main property: a lock held by a process that dies is released by the
// kernel, so it can never go stale.
func TestLockedByChildReleasedWhenKilled(t *testing.T) {
	path := lockPath(t)
	child, _ := holdInChild(t, path)

	start := time.Now()
	_, err := flock.TryLock(path)
	if time.Since(start) > time.Second {
		t.Errorf("TryLock blocked for %v", time.Since(start))
	}
	var le *flock.LockedError
	if !errors.As(err, &le) || !errors.Is(err, flock.ErrLocked) {
		t.Fatalf("TryLock while child holds it = %v, want *LockedError", err)
	}
	if le.Holder.PID != child.Process.Pid {
		t.Errorf("Holder.PID = %d, want child's %d", le.Holder.PID, child.Process.Pid)
	}
	if age := time.Since(le.Holder.Since); age < 0 || age > time.Minute {
		t.Errorf("Holder.Since = %v, not just now", le.Holder.Since)
	}
	if msg, want := err.Error(), "locked by PID "+strconv.Itoa(child.Process.Pid)+" since "; !strings.HasPrefix(msg, want) {
		t.Errorf("error = %q, want prefix %q", msg, want)
	}
	if h, err := flock.ReadHolder(path); err != nil || h != le.Holder {
		t.Errorf("ReadHolder = %+v, %v; want %+v", h, err, le.Holder)
	}

	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	l, err := flock.TryLock(path) // no retry: the kernel released it at exit
	if err != nil {
		t.Fatalf("TryLock after the holder was killed: %v", err)
	}
	defer l.Unlock()
	if h, err := flock.ReadHolder(path); err != nil || h.PID != os.Getpid() {
		t.Errorf("ReadHolder = %+v, %v; want our PID", h, err)
	}
}

func TestWaitUntilHolderExits(t *testing.T) {
	path := lockPath(t)
	_, release := holdInChild(t, path)

	type result struct {
		l   *flock.Lock
		err error
	}
	got := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { l, err := flock.Wait(ctx, path); got <- result{l, err} }()

	// Proving that Wait does not return: there is no event to wait for.
	// 300ms lets its poll try several times (at 0, 10, 30, 70, 150ms).
	select {
	case r := <-got:
		t.Fatalf("Wait returned while the child held the lock: %v", r.err)
	case <-time.After(300 * time.Millisecond):
	}
	release.Close() // the child exits without unlocking
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("Wait = %v", r.err)
		}
		r.l.Unlock()
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return within 5s of the holder exiting")
	}
}

func TestWaitCancelled(t *testing.T) {
	path := lockPath(t)
	holdInChild(t, path)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if l, err := flock.Wait(ctx, path); err != context.Canceled || l != nil {
		t.Errorf("Wait with cancelled ctx = %v, %v; want nil, context.Canceled", l, err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := flock.Wait(ctx, path); err != context.DeadlineExceeded {
		t.Errorf("Wait past deadline = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Wait took %v to notice the deadline", d)
	}
}

func TestUnlockThenChildLocks(t *testing.T) {
	path := lockPath(t)
	l, err := flock.TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tryInChild(t, path), "error: locked by PID "+strconv.Itoa(os.Getpid()); !strings.HasPrefix(got, want) {
		t.Errorf("child while we hold it: %q, want prefix %q", got, want)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if got := tryInChild(t, path); got != "ok" {
		t.Errorf("child after Unlock: %q, want ok", got)
	}
}

func TestLockedErrorMessage(t *testing.T) {
	now := time.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 3, 0, time.Local)
	yesterday := today.AddDate(0, 0, -1)
	for _, tc := range []struct {
		holder flock.Holder
		want   string
	}{
		{flock.Holder{}, "locked by another process"},
		{flock.Holder{PID: 1234}, "locked by PID 1234"},
		{flock.Holder{PID: 1234, Since: today}, "locked by PID 1234 since 02:00:03"},
		{flock.Holder{PID: 1234, Since: yesterday}, "locked by PID 1234 since " + yesterday.Format("2006-01-02") + " 02:00:03"},
	} {
		if got := (&flock.LockedError{Path: "x", Holder: tc.holder}).Error(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.holder, got, tc.want)
		}
	}
}
