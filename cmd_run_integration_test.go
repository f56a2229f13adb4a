package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/flock"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/runner"
	"github.com/lockwatch/lockwatch/service/store"
)

// These tests run the real `lockwatch run` binary as cron would, around
// real commands and the real restic, each with private state dirs.

type runEnv struct {
	repo  *demo.Repo
	cfg   string   // config file
	env   []string // private XDG_STATE_HOME and XDG_RUNTIME_DIR
	state string   // lockwatch's state dir in it
}

func newRunEnv(t *testing.T, autoUnlock string) *runEnv {
	t.Helper()
	repo := demotest.LocalRepo(t)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	text := fmt.Sprintf("[defaults]\nrestic = %q\n\n[[repo]]\nname = \"nas\"\nrepository = %q\npassword_file = %q\nauto_unlock = %q\n",
		repo.Restic, repo.Location, repo.PasswordFile, autoUnlock)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env := serviceEnv(t)
	return &runEnv{repo: repo, cfg: cfg, env: env, state: filepath.Join(envValue(env, "XDG_STATE_HOME"), "lockwatch")}
}

// command prepares `lockwatch --config CFG args...`.
func (e *runEnv) command(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(lockwatchBinary(t), append([]string{"--config", e.cfg}, args...)...)
	cmd.Env = e.env
	return cmd
}

// run runs lockwatch to the end and returns its output and exit status.
func (e *runEnv) run(t *testing.T, stdin *os.File, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := e.command(t, args...)
	var out, errOut syncBuffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errOut
	err := cmd.Run()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		t.Fatalf("lockwatch %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// runs is `lockwatch runs nas --json`.
func (e *runEnv) runs(t *testing.T) []runner.Entry {
	t.Helper()
	out, errOut, code := e.run(t, nil, "runs", "nas", "--json")
	var entries []runner.Entry
	if err := json.Unmarshal([]byte(out), &entries); code != 0 || err != nil {
		t.Fatalf("runs --json: exit %d, %v:\n%s%s", code, err, out, errOut)
	}
	return entries
}

func fileInput(t *testing.T, data string) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "input")
	os.WriteFile(path, []byte(data), 0o600)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Both runs are real backups; the first reads its data from a pipe that
// the test closes only after the second run gave up.
func TestRunOverlapSkipsTheSecond(t *testing.T) {
	e := newRunEnv(t, "off")
	restic := demotest.Restic(t)
	first := e.command(t, "run", "nas", "--", restic, "backup", "--stdin", "--stdin-filename", "first.txt")
	data, err := first.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var firstErr syncBuffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	var firstWaitErr error
	exited := make(chan struct{})
	go func() { firstWaitErr = first.Wait(); close(exited) }()
	t.Cleanup(func() { data.Close(); first.Process.Kill(); <-exited })
	holder := runner.LockPath(e.state, "nas") + ".holder"
	waitFor(t, 30*time.Second, "the first run to take its guard", func() bool { _, err := os.Stat(holder); return err == nil })

	h, err := flock.ReadHolder(runner.LockPath(e.state, "nas"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, errOut, code := e.run(t, nil, "run", "nas", "--", "sh", "-c", "echo second ran; exec \"$0\" backup --stdin", restic)
	took := time.Since(start)
	want := fmt.Sprintf("lockwatch: another run for nas is in progress (PID %d, since %s)", first.Process.Pid, h.Since.Local().Format("15:04"))
	if code != runner.ExitSkipped || !strings.Contains(errOut, want) || strings.Contains(errOut, "second ran") {
		t.Errorf("second run: exit %d, stderr %q; want 75 and %q", code, errOut, want)
	}
	if took > time.Second {
		t.Errorf("the second run took %v to give up", took)
	}
	io.WriteString(data, "the first run's data\n")
	data.Close()
	<-exited
	if firstWaitErr != nil {
		t.Fatalf("first run: %v\n%s", firstWaitErr, firstErr.String())
	}

	entries := e.runs(t)
	if len(entries) != 2 || entries[0].Result != runner.ResultOK || entries[0].ExitCode != 0 || entries[0].Command != "restic" ||
		entries[1].Result != runner.ResultSkipped || entries[1].ExitCode != runner.ExitSkipped || !strings.Contains(entries[1].Summary, strconv.Itoa(first.Process.Pid)) {
		t.Errorf("runs: %+v", entries)
	}
	out, err := e.repo.Command(context.Background(), "snapshots", "--json").Output()
	var snaps []struct{ Paths []string }
	if err != nil || json.Unmarshal(out, &snaps) != nil || len(snaps) != 1 || len(snaps[0].Paths) != 1 || !strings.HasSuffix(snaps[0].Paths[0], "first.txt") {
		t.Errorf("snapshots after the runs, want the first's only: %v\n%s", err, out)
	}
}

func TestRunGuardDiesWithItsHolder(t *testing.T) {
	e := newRunEnv(t, "off")
	wrapper := e.command(t, "run", "nas", "--", "sh", "-c", "echo $$; exec sleep 60")
	stdout, err := wrapper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := wrapper.Start(); err != nil {
		t.Fatal(err)
	}
	var line [32]byte
	n, _ := stdout.Read(line[:])
	child, err := strconv.Atoi(strings.TrimSpace(string(line[:n])))
	if err != nil {
		t.Fatalf("the command printed %q", line[:n])
	}
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })

	if err := wrapper.Process.Kill(); err != nil { // kill -9: no cleanup of any kind
		t.Fatal(err)
	}
	wrapper.Wait()
	// The orphaned sleep lives on, but it never held the guard.
	start := time.Now()
	out, errOut, code := e.run(t, nil, "run", "nas", "--", "sh", "-c", "echo next ran")
	if code != 0 || out != "next ran\n" || time.Since(start) > 5*time.Second {
		t.Errorf("the next run: exit %d after %v, %q %q", code, time.Since(start), out, errOut)
	}
}

func TestRunPassesSIGINTOnAndResticRemovesItsLock(t *testing.T) {
	e := newRunEnv(t, "off")
	// A real file backup that is still in progress when the signal comes.
	src := demotest.NewSlowSource(t)
	wrapper := e.command(t, "run", "nas", "--", e.repo.Restic, "backup", src.Dir)
	var errOut syncBuffer
	wrapper.Stderr = &errOut
	if err := wrapper.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { wrapper.Wait(); close(exited) }()
	t.Cleanup(func() { wrapper.Process.Kill(); <-exited })
	select {
	case <-src.Reading(): // restic holds its lock and is archiving
	case <-exited:
		t.Fatalf("lockwatch run ended before restic read its source:\n%s", errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("restic did not start reading its source within 30s:\n%s", errOut.String())
	}

	if err := wrapper.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("lockwatch run did not end within 20s of SIGINT:\n%s", errOut.String())
	}
	if code := wrapper.ProcessState.ExitCode(); code == 0 {
		t.Errorf("lockwatch run exited 0 after SIGINT")
	}
	if ids, _ := e.repo.Locks(); len(ids) != 0 {
		t.Errorf("locks left after SIGINT: %v\n%s", ids, errOut.String())
	}
	entries := e.runs(t)
	if len(entries) != 1 || entries[0].Result != runner.ResultFailed || !strings.Contains(entries[0].Summary, "stopped by SIGINT") ||
		entries[0].ExitCode != wrapper.ProcessState.ExitCode() {
		t.Errorf("runs: %+v", entries)
	}
}

// orphanExclusive leaves the lock of a killed `restic key passwd`: an
// orphaned shared (backup) lock would not block a backup, an exclusive one does.
func orphanExclusive(t *testing.T, repo *demo.Repo) *demo.Holder {
	t.Helper()
	h := demotest.Hold(t, repo, demo.Options{Exclusive: true})
	if err := h.Kill(); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRunRemovesAnOrphanedLockAndRetries(t *testing.T) {
	e := newRunEnv(t, "stale")
	dead := orphanExclusive(t, e.repo)
	_, errOut, code := e.run(t, fileInput(t, "precious data\n"), "run", "nas", "--", e.repo.Restic, "backup", "--stdin")
	if code != 0 || !strings.Contains(errOut, "repository is already locked") || !strings.Contains(errOut, "lockwatch: removed orphaned lock "+dead.LockID[:8]) {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if ids, _ := e.repo.Locks(); len(ids) != 0 {
		t.Errorf("locks left: %v", ids)
	}
	entries := e.runs(t)
	if len(entries) != 1 || entries[0].Result != runner.ResultOK || !entries[0].Retried || entries[0].Conflict == nil || !entries[0].Conflict.Removed {
		t.Errorf("runs: %+v", entries)
	}
	st, err := store.Open(daemon.StorePath(e.state))
	if err != nil {
		t.Fatal(err)
	}
	removals, err := st.History(store.Query{Repo: "nas", Kinds: []string{store.KindRemoval}})
	if err != nil || len(removals) != 1 || removals[0].By != "run" || removals[0].Lock.ID != dead.LockID || removals[0].Lock.PID != dead.PID {
		t.Errorf("audit trail: %+v, %v", removals, err)
	}
	// The snapshot really is there.
	out, err := e.repo.Command(t.Context(), "snapshots", "--json", "--no-lock").Output()
	if err != nil || !strings.Contains(string(out), `"id"`) {
		t.Errorf("snapshots: %v %s", err, out)
	}
}

func TestRunRecordsTheBlockingLockWhenAutoUnlockIsOff(t *testing.T) {
	e := newRunEnv(t, "off")
	dead := orphanExclusive(t, e.repo)
	host, _ := os.Hostname()
	_, errOut, code := e.run(t, fileInput(t, "data\n"), "run", "nas", "--", e.repo.Restic, "backup", "--stdin")
	if code == 0 {
		t.Fatalf("exit 0:\n%s", errOut)
	}
	entries := e.runs(t)
	if len(entries) != 1 {
		t.Fatalf("runs: %+v", entries)
	}
	r := entries[0]
	if r.Result != runner.ResultLocked || r.ExitCode != code || r.Retried || r.Conflict == nil ||
		r.Conflict.PID != dead.PID || r.Conflict.Host != host || !r.Conflict.Exclusive || r.Conflict.Removed {
		t.Errorf("run: %+v, conflict %+v; want PID %d on %s", r, r.Conflict, dead.PID, host)
	}
	if ids, _ := e.repo.Locks(); len(ids) != 1 || ids[0] != dead.LockID {
		t.Errorf("locks: %v, want the orphan left alone", ids)
	}
	out, _, _ := e.run(t, nil, "runs")
	if !strings.Contains(out, "nas") || !strings.Contains(out, "locked") || !strings.Contains(out, fmt.Sprintf("PID %d on %s", dead.PID, host)) {
		t.Errorf("runs:\n%s", out)
	}
}

func TestRunExitStatusAndStderrTail(t *testing.T) {
	e := newRunEnv(t, "off")
	out, errOut, code := e.run(t, nil, "run", "nas", "--", "sh", "-c", "echo fine; echo oops >&2; exit 3", "sh", "--password=hunter2")
	if code != 3 || out != "fine\n" || errOut != "oops\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	entries := e.runs(t)
	if len(entries) != 1 || entries[0].Result != runner.ResultFailed || entries[0].ExitCode != 3 ||
		strings.Join(entries[0].StderrTail, "|") != "oops" || entries[0].Summary != "sh failed with exit status 3: oops" {
		t.Errorf("runs: %+v", entries)
	}
	human, _, _ := e.run(t, nil, "runs", "--limit", "5")
	if !strings.Contains(human, "nas  failed  exit 3") || strings.Contains(human, "hunter2") {
		t.Errorf("runs:\n%s", human)
	}
	raw, _, _ := e.run(t, nil, "runs", "--json")
	if strings.Contains(raw, "hunter2") {
		t.Errorf("an argument was recorded:\n%s", raw)
	}

	_, errOut, code = e.run(t, nil, "run", "nas", "--", "/nonexistent/restic", "backup")
	if code != runner.ExitCannotStart || !strings.Contains(errOut, "cannot start restic") {
		t.Errorf("missing command: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{{"run", "nas", "sh"}, {"run", "--", "sh"}, {"run", "nas", "--"}, {"run", "nas", "--grace", "0s", "--", "true"}, {"runs", "--limit", "-1"}} {
		if _, errOut, code := e.run(t, nil, args...); code != exitError || !strings.Contains(errOut, "Usage:") {
			t.Errorf("lockwatch %s: exit %d, %q", strings.Join(args, " "), code, errOut)
		}
	}
	if _, errOut, code := e.run(t, nil, "run", "nope", "--", "true"); code != exitError || !strings.Contains(errOut, `no repository named "nope"`) {
		t.Errorf("unknown repo: exit %d, %q", code, errOut)
	}
}
