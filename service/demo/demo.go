// Package demo makes real restic repositories holding real locks, with the
// real restic binary: for `lockwatch demo` and for tests.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
)

// Repo is a restic repository made for a demo or a test.
type Repo struct {
	Restic       string   // restic binary
	Location     string   // RESTIC_REPOSITORY: a directory, or sftp:/rest: for other backends
	LocksDir     string   // where its lock files can be seen on this machine
	PasswordFile string   // holds the repository password
	Env          []string // extra environment for backends
}

// Init creates a repository in dir/repo with a random password in
// dir/password, or reuses the one already there. version is restic's
// repository version (1 or 2; 0 for restic's default).
func Init(ctx context.Context, restic, dir string, version int) (*Repo, error) {
	r := &Repo{Restic: restic, Location: filepath.Join(dir, "repo"), PasswordFile: filepath.Join(dir, "password")}
	r.LocksDir = filepath.Join(r.Location, "locks")
	return r, r.Init(ctx, version)
}

// Init runs `restic init` for r unless its locks directory exists already,
// writing a random password first if r.PasswordFile does not exist.
func (r *Repo) Init(ctx context.Context, version int) error {
	if _, err := os.Stat(r.LocksDir); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(r.PasswordFile), 0o700); err != nil {
		return err
	}
	if err := writePassword(r.PasswordFile); err != nil {
		return err
	}
	args := []string{"init"}
	if version > 0 {
		args = append(args, "--repository-version", fmt.Sprint(version))
	}
	if out, err := r.Command(ctx, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("restic init in %s: %v: %s", r.Location, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func writePassword(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	return atomicfile.Write(path, []byte(hex.EncodeToString(secret)+"\n"), 0o600)
}

// Environ is what restic needs to open the repository.
func (r *Repo) Environ() []string {
	env := []string{"RESTIC_REPOSITORY=" + r.Location, "RESTIC_PASSWORD_FILE=" + r.PasswordFile}
	return append(env, r.Env...)
}

// Command prepares a restic call on this repository.
func (r *Repo) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.Restic, args...)
	cmd.Env = append(withoutRestic(os.Environ()), r.Environ()...)
	return cmd
}

func withoutRestic(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "RESTIC_") {
			out = append(out, kv)
		}
	}
	return out
}

// Locks lists the lock files as they are on disk, sorted.
func (r *Repo) Locks() ([]string, error) {
	entries, err := os.ReadDir(r.LocksDir)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Name())
	}
	sort.Strings(ids)
	return ids, nil
}

// Holder is a running restic that holds a lock on the repository.
type Holder struct {
	PID    int
	LockID string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan error // receives cmd.Wait's result once
	stderr *strings.Builder
	backup bool // restic backup, which wants some input to finish cleanly
	mu     sync.Mutex
	done   bool // restic has ended and been waited for
}

// Options change how Hold runs restic.
type Options struct {
	// Hostname runs restic in its own UTS namespace under this host name
	// (needs root and unshare), to make a lock of another host.
	Hostname string
	// Exclusive takes an exclusive lock (restic key passwd, which waits
	// for the new password on stdin) instead of a backup's shared one.
	Exclusive bool
}

// Hold starts restic so that it takes a lock and then waits for input on
// stdin, which we keep open: `restic backup --stdin` for a shared lock.
// It returns once the new lock file is on disk.
func (r *Repo) Hold(ctx context.Context, opt Options) (*Holder, error) {
	before, err := r.Locks()
	if err != nil {
		return nil, err
	}
	args := []string{"backup", "--stdin", "--stdin-filename", "demo.txt", "--host", "demo"}
	if opt.Exclusive {
		args = []string{"key", "passwd"}
	}
	cmd := r.Command(context.Background(), args...)
	if opt.Hostname != "" {
		script := `hostname "$0" && exec "$@"`
		cmd = exec.Command("unshare", append([]string{"--uts", "sh", "-c", script, opt.Hostname, r.Restic}, args...)...)
		cmd.Env = append(withoutRestic(os.Environ()), r.Environ()...)
	}
	// A killed restic's ssh child (sftp backend) may keep stderr open.
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	h := &Holder{PID: cmd.Process.Pid, cmd: cmd, stdin: stdin, exited: exited, stderr: &stderr, backup: !opt.Exclusive}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if h.LockID == "" {
			h.LockID = newLock(r, before)
		}
		// restic looks at the other locks once more 200 ms after writing
		// its own (to catch a race) and gives up if one is unreadable: it
		// is past that once it waits for its input. Where the OS cannot
		// say so, a pause stands in.
		if h.LockID != "" {
			reading, known := readingStdin(h.PID)
			if reading {
				return h, nil
			}
			if !known {
				time.Sleep(500 * time.Millisecond)
				return h, nil
			}
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("restic %s exited before taking a lock (%v): %s", args[0], err, strings.TrimSpace(stderr.String()))
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			if h.LockID != "" {
				return nil, fmt.Errorf("restic took lock %.8s but /proc/%d never showed it waiting for its input within 60s", h.LockID, h.PID)
			}
			return nil, errors.New("restic took no lock within 60s")
		}
	}
}

func newLock(r *Repo, before []string) string {
	now, _ := r.Locks()
	old := map[string]bool{}
	for _, id := range before {
		old[id] = true
	}
	for _, id := range now {
		// Backends write under a temporary name first; only a full storage ID is a lock.
		if !old[id] && isID(id) {
			return id
		}
	}
	return ""
}

// Kill ends restic with SIGKILL before it can remove its lock: what a
// crash, an OOM kill or a pulled plug leaves behind. A restic that has
// already ended is left alone: its PID may belong to someone else by now.
func (h *Holder) Kill() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return nil
	}
	if err := h.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-h.exited
	h.done = true
	_ = h.stdin.Close()
	return nil
}

// Finish lets restic end normally (end of input), so it removes its own
// lock. A backup then saves a snapshot; key passwd fails without changing anything.
func (h *Holder) Finish() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return nil
	}
	if h.backup {
		// An empty stdin makes an empty snapshot, which restic refuses.
		_, _ = io.WriteString(h.stdin, "lockwatch demo data\n")
	}
	_ = h.stdin.Close()
	select {
	case err := <-h.exited:
		h.done = true
		if err != nil {
			return fmt.Errorf("restic (PID %d): %v: %s", h.PID, err, strings.TrimSpace(h.stderr.String()))
		}
		return nil
	case <-time.After(60 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.exited
		h.done = true
		return fmt.Errorf("restic (PID %d) did not finish within 60s", h.PID)
	}
}

func isID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
