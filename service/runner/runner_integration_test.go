package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/flock"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/runner"
	"github.com/lockwatch/lockwatch/service/store"
)

// These tests run real commands, restic among them, on real repositories
// holding real locks.

type env struct {
	repo     *demo.Repo
	cfg      *config.Config
	stateDir string
	store    *store.Store
	backend  api.Backend
}

func setup(t *testing.T, autoUnlock string) *env {
	t.Helper()
	repo := demotest.LocalRepo(t)
	text := fmt.Sprintf(`[defaults]
restic = %q

[[repo]]
name = "nas"
repository = %q
password_file = %q
auto_unlock = %q
`, repo.Restic, repo.Location, repo.PasswordFile, autoUnlock)
	stateDir := t.TempDir()
	path := filepath.Join(stateDir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(stateDir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The daemon `lockwatch run` goes through when no service runs.
	d, err := daemon.New(daemon.Options{ConfigPath: path, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return &env{repo: repo, cfg: cfg, stateDir: stateDir, store: st, backend: api.Local{Daemon: d}}
}

// outcome is what one Execute left behind.
type outcome struct {
	run            *runner.Run
	code           int
	stdout, stderr string // the command's
	log            string // lockwatch's own messages
}

func (e *env) exec(t *testing.T, o runner.Options) outcome {
	t.Helper()
	var stdout, stderr, log bytes.Buffer
	o.Config, o.Repo, o.StateDir, o.Store, o.Backend = e.cfg, "nas", e.stateDir, e.store, e.backend
	if o.Stdout == nil {
		o.Stdout = &stdout
	}
	o.Stderr, o.Log = &stderr, &log
	if o.Signals == nil {
		o.Signals = make(chan os.Signal) // the test's own signals stay the test's
	}
	run, code, err := runner.Execute(context.Background(), o)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	return outcome{run, code, stdout.String(), stderr.String(), log.String()}
}

// recorded is the newest run in the store, which must be run.
func (e *env) recorded(t *testing.T, want *runner.Run) {
	t.Helper()
	got, err := runner.LastRun(e.store, "nas")
	if err != nil || got == nil {
		t.Fatalf("LastRun = %v, %v", got, err)
	}
	if got.Result != want.Result || got.ExitCode != want.ExitCode || got.Summary != want.Summary || !got.StartedAt.Equal(want.StartedAt) {
		t.Errorf("recorded %+v\nwant %+v", got, want)
	}
}

// input is stdin from a file: a retry reads what the first attempt left,
// where a pipe fed from a Reader is drained into the first attempt at once.
func input(t *testing.T, data string) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func backup(e *env, args ...string) []string {
	return append([]string{e.repo.Restic, "backup", "--stdin", "--stdin-filename", "data.txt", "--host", "test"}, args...)
}

func TestExitStatusStderrTailAndRecord(t *testing.T) {
	e := setup(t, "off")
	script := `echo to stdout; for i in $(seq 1 60); do echo "err $i" >&2; done; printf 'no newline' >&2; exit 3`
	out := e.exec(t, runner.Options{Command: []string{"sh", "-c", script, "secret-arg"}})
	if out.code != 3 || out.run.ExitCode != 3 || out.run.Result != runner.ResultFailed {
		t.Fatalf("exit %d, run %+v", out.code, out.run)
	}
	if out.stdout != "to stdout\n" || !strings.HasPrefix(out.stderr, "err 1\nerr 2\n") || !strings.HasSuffix(out.stderr, "err 60\nno newline") {
		t.Errorf("output not passed through: stdout %q, stderr %q", out.stdout, out.stderr)
	}
	tail := out.run.StderrTail
	if len(tail) != runner.TailLines || tail[0] != "err 12" || tail[len(tail)-1] != "no newline" {
		t.Errorf("stderr tail: %d lines, %q … %q", len(tail), tail[0], tail[len(tail)-1])
	}
	if out.run.Summary != "sh failed with exit status 3: no newline" || out.run.Command != "sh" {
		t.Errorf("summary %q, command %q", out.run.Summary, out.run.Command)
	}
	e.recorded(t, out.run)

	// The JSON names exactly the documented fields, and no argument.
	entries, err := runner.History(e.store, "", 0)
	if err != nil || len(entries) != 1 {
		t.Fatalf("History = %v, %v", entries, err)
	}
	data, _ := json.Marshal(entries[0])
	for _, key := range []string{`"repo":"nas"`, `"started_at"`, `"ended_at"`, `"duration_seconds"`, `"exit_code":3`, `"result":"failed"`, `"summary"`, `"stderr_tail"`, `"command":"sh"`, `"retried":false`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}
	if bytes.Contains(data, []byte("secret-arg")) || bytes.Contains(data, []byte(`"conflict"`)) {
		t.Errorf("JSON: %s", data)
	}

	out = e.exec(t, runner.Options{Command: []string{"true"}})
	if out.code != 0 || out.run.Result != runner.ResultOK || !strings.HasPrefix(out.run.Summary, "true succeeded in ") {
		t.Errorf("true: exit %d, %+v", out.code, out.run)
	}
	e.recorded(t, out.run)
}

func TestRepositoryEnvironment(t *testing.T) {
	e := setup(t, "off")
	t.Setenv("RESTIC_PASSWORD", "from-the-shell")
	t.Setenv("RESTIC_REPOSITORY", "/somewhere/else")
	out := e.exec(t, runner.Options{Command: []string{"sh", "-c", `echo "$RESTIC_REPOSITORY|${RESTIC_PASSWORD-unset}|$RESTIC_PASSWORD_FILE"`}})
	if want := e.repo.Location + "|unset|" + e.repo.PasswordFile + "\n"; out.stdout != want {
		t.Errorf("the command saw %q, want %q", out.stdout, want)
	}
	// And restic itself works with it.
	out = e.exec(t, runner.Options{Command: backup(e), Stdin: input(t, "data\n")})
	if out.code != 0 || out.run.Result != runner.ResultOK {
		t.Fatalf("backup: exit %d, %+v\n%s", out.code, out.run, out.stderr)
	}
}

func TestCannotStart(t *testing.T) {
	e := setup(t, "off")
	out := e.exec(t, runner.Options{Command: []string{"/nonexistent/restic", "backup"}})
	if out.code != runner.ExitCannotStart || out.run.Result != runner.ResultFailed ||
		!strings.Contains(out.run.Summary, "could not start restic") || !strings.Contains(out.log, "cannot start restic") {
		t.Errorf("exit %d, %+v, log %q", out.code, out.run, out.log)
	}
	e.recorded(t, out.run)
}

func TestOverlapSkipsAtOnceOrWaits(t *testing.T) {
	e := setup(t, "off")
	guard, err := flock.TryLock(runner.LockPath(e.stateDir, "nas"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out := e.exec(t, runner.Options{Command: []string{"sh", "-c", "echo ran"}})
	if time.Since(start) > time.Second {
		t.Errorf("skipping took %v", time.Since(start))
	}
	h, err := flock.ReadHolder(runner.LockPath(e.stateDir, "nas"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("another run for nas is in progress (PID %d, since %s)", os.Getpid(), h.Since.Local().Format("15:04"))
	if out.code != runner.ExitSkipped || out.run.Result != runner.ResultSkipped || out.run.Summary != want ||
		out.stdout != "" || !strings.Contains(out.log, want) {
		t.Errorf("exit %d, %+v, log %q; want %q", out.code, out.run, out.log, want)
	}
	e.recorded(t, out.run)

	// --wait: the run goes ahead once the guard is free.
	go func(g *flock.Lock) { time.Sleep(300 * time.Millisecond); g.Unlock() }(guard)
	out = e.exec(t, runner.Options{Command: []string{"sh", "-c", "echo ran"}, Wait: 10 * time.Second})
	if out.code != 0 || out.stdout != "ran\n" {
		t.Errorf("with --wait: exit %d, %+v", out.code, out.run)
	}
	// ... or gives up after waiting.
	guard, err = flock.TryLock(runner.LockPath(e.stateDir, "nas"))
	if err != nil {
		t.Fatal(err)
	}
	defer guard.Unlock()
	out = e.exec(t, runner.Options{Command: []string{"sh", "-c", "echo ran"}, Wait: 200 * time.Millisecond})
	if out.code != runner.ExitSkipped || !strings.Contains(out.run.Summary, "still in progress after waiting 200ms (PID "+strconv.Itoa(os.Getpid())) {
		t.Errorf("wait ran out: exit %d, %+v", out.code, out.run)
	}
}

// waitDone waits for a run that was told to stop.
func waitDone(t *testing.T, done chan outcome, within time.Duration) outcome {
	t.Helper()
	select {
	case out := <-done:
		return out
	case <-time.After(within):
		t.Fatalf("the run did not end within %s of SIGINT", within)
	}
	return outcome{}
}

// A real file backup in progress, stopped: restic removes its lock and
// exits, and the run says it was stopped.
func TestStopIsPassedOnAndResticRemovesItsLock(t *testing.T) {
	e := setup(t, "off")
	src := demotest.NewSlowSource(t)
	sigs := make(chan os.Signal, 1)
	done := make(chan outcome, 1)
	go func() {
		done <- e.exec(t, runner.Options{Command: []string{e.repo.Restic, "backup", "--host", "test", src.Dir}, Signals: sigs, Grace: 30 * time.Second})
	}()
	select {
	case <-src.Reading(): // past its lock, archiving
	case out := <-done:
		t.Fatalf("restic ended before it read its source: exit %d, %+v\n%s", out.code, out.run, out.stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("restic did not start reading its source within 30s")
	}
	if ids, _ := e.repo.Locks(); len(ids) != 1 {
		t.Fatalf("locks while backing up: %v, want restic's one", ids)
	}
	sigs <- syscall.SIGINT
	out := waitDone(t, done, 20*time.Second)
	if ids, _ := e.repo.Locks(); len(ids) != 0 {
		t.Errorf("locks left after SIGINT: %v", ids)
	}
	if out.code == 0 || out.run.Result != runner.ResultFailed || !strings.Contains(out.run.Summary, "stopped by SIGINT") || strings.Contains(out.run.Summary, "killed") {
		t.Errorf("exit %d, %+v\nlog: %s", out.code, out.run, out.log)
	}
	e.recorded(t, out.run)
}

func TestKilledAfterGrace(t *testing.T) {
	e := setup(t, "off")
	sigs := make(chan os.Signal, 1)
	done := make(chan outcome, 1)
	ready := filepath.Join(t.TempDir(), "ready")
	go func() {
		script := `trap "" INT TERM; touch "$0"; exec sleep 20`
		done <- e.exec(t, runner.Options{Command: []string{"sh", "-c", script, ready}, Signals: sigs, Grace: 300 * time.Millisecond})
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sh did not set its trap within 10s")
		}
	}
	start := time.Now()
	sigs <- syscall.SIGTERM
	out := <-done
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("kill came after %v", took)
	}
	if out.code != 128+int(syscall.SIGKILL) || !strings.Contains(out.run.Summary, "killed after ignoring SIGTERM") {
		t.Errorf("exit %d, %+v, log %q", out.code, out.run, out.log)
	}
}

// exclusiveOrphan leaves the lock of a killed `restic key passwd`: an
// exclusive lock, which (unlike a shared backup lock) blocks a backup.
func exclusiveOrphan(t *testing.T, e *env) *demo.Holder {
	t.Helper()
	h := demotest.Hold(t, e.repo, demo.Options{Exclusive: true})
	if err := h.Kill(); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestOrphanedLockRemovedAndRetried(t *testing.T) {
	e := setup(t, "stale")
	dead := exclusiveOrphan(t, e)
	out := e.exec(t, runner.Options{Command: backup(e), Stdin: input(t, "data\n")})
	if out.code != 0 || out.run.Result != runner.ResultOK || !out.run.Retried {
		t.Fatalf("exit %d, %+v\nlog: %s\nstderr: %s", out.code, out.run, out.log, out.stderr)
	}
	c := out.run.Conflict
	if c == nil || c.PID != dead.PID || c.LockID != dead.LockID || c.Verdict != "orphaned" || !c.Removed || !c.Exclusive {
		t.Errorf("conflict %+v, want the orphan PID %d lock %s", c, dead.PID, dead.LockID)
	}
	if !strings.Contains(out.run.Summary, "after lockwatch removed the orphaned lock "+dead.LockID[:8]) {
		t.Errorf("summary %q", out.run.Summary)
	}
	if ids, _ := e.repo.Locks(); len(ids) != 0 {
		t.Errorf("locks left: %v", ids)
	}
	e.recorded(t, out.run)
	removals, err := e.store.History(store.Query{Repo: "nas", Kinds: []string{store.KindRemoval}})
	if err != nil || len(removals) != 1 || removals[0].By != "run" || removals[0].Lock.ID != dead.LockID || removals[0].Verdict != "orphaned" {
		t.Errorf("audit trail: %+v, %v", removals, err)
	}
}

func TestLockedWithAutoUnlockOff(t *testing.T) {
	e := setup(t, "off")
	dead := exclusiveOrphan(t, e)
	host, _ := os.Hostname()
	out := e.exec(t, runner.Options{Command: backup(e), Stdin: input(t, "data\n")})
	if out.code == 0 || out.run.Result != runner.ResultLocked || out.run.Retried {
		t.Fatalf("exit %d, %+v", out.code, out.run)
	}
	c := out.run.Conflict
	if c == nil || c.PID != dead.PID || c.Host != host || !c.Exclusive || c.LockID != dead.LockID[:8] || c.Removed {
		t.Errorf("conflict %+v, want PID %d on %s", c, dead.PID, host)
	}
	want := fmt.Sprintf("restic was blocked by an exclusive lock (%s) of PID %d on %s", dead.LockID[:8], dead.PID, host)
	if !strings.HasPrefix(out.run.Summary, want) || !strings.HasSuffix(out.run.Summary, "; auto_unlock is off") {
		t.Errorf("summary %q, want %q…", out.run.Summary, want)
	}
	if ids, _ := e.repo.Locks(); len(ids) != 1 {
		t.Errorf("locks: %v, want the orphan still there", ids)
	}
	e.recorded(t, out.run)
}

func TestLiveLockIsNeverRemoved(t *testing.T) {
	e := setup(t, "unrefreshed")
	live := demotest.Hold(t, e.repo, demo.Options{Exclusive: true})
	out := e.exec(t, runner.Options{Command: backup(e), Stdin: input(t, "data\n")})
	if out.code == 0 || out.run.Result != runner.ResultLocked || out.run.Retried {
		t.Fatalf("exit %d, %+v", out.code, out.run)
	}
	if c := out.run.Conflict; c == nil || c.Verdict != "live" || c.Removed || c.LockID != live.LockID {
		t.Errorf("conflict %+v", c)
	}
	if !strings.Contains(out.run.Summary, "lockwatch left it: it is live") {
		t.Errorf("summary %q", out.run.Summary)
	}
	if _, err := os.Stat(filepath.Join(e.repo.LocksDir, live.LockID)); err != nil {
		t.Error("the live lock is gone")
	}
}

func TestExitElevenIsLocked(t *testing.T) {
	e := setup(t, "stale")
	// restic 0.17+ exits 11 on a conflict; with no text to go by there is
	// no lock to look for, so nothing is removed and nothing retried.
	out := e.exec(t, runner.Options{Command: []string{"sh", "-c", "exit 11"}})
	if out.code != 11 || out.run.Result != runner.ResultLocked || out.run.Retried || out.run.Conflict != nil {
		t.Errorf("exit %d, %+v", out.code, out.run)
	}
	// The conflict text of restic 0.17+ (with "Fatal: ") is understood too.
	text := `echo 'Fatal: unable to create lock in backend: repository is already locked exclusively by PID 4242 on elsewhere by bob (UID 1000, GID 1000)' >&2
echo 'lock was created at 2026-11-18 23:23:22 (2h0m1s ago)' >&2; echo 'storage ID 0930d0a3' >&2; exit 11`
	out = e.exec(t, runner.Options{Command: []string{"sh", "-c", text}})
	c := out.run.Conflict
	if out.run.Result != runner.ResultLocked || c == nil || c.PID != 4242 || c.Host != "elsewhere" || c.User != "bob" || c.AgeSeconds != 7201 || c.LockID != "0930d0a3" {
		t.Errorf("%+v, conflict %+v", out.run, c)
	}
	if !strings.Contains(out.run.Summary, "lockwatch could not find that lock") {
		t.Errorf("summary %q", out.run.Summary)
	}
}
