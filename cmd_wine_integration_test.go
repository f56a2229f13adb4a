package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/winetest"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
)

// The Windows CLI and service, run for real under Wine against a real
// repository made by Linux restic (a Z:\ path): what Windows users run,
// except that the restic involved is Linux's and Wine stands in for
// Windows (see platform/winetest).

type windowsCLI struct {
	t      *testing.T
	wine   *winetest.Wine
	exe    string
	config string // the config's path as Windows sees it
	// linuxConfig is the same file's path here.
	linuxConfig string
}

func newWindowsCLI(t *testing.T, repo *demo.Repo, extra string) *windowsCLI {
	t.Helper()
	w := winetest.Start(t)
	w.KillAll(t)
	exe := winetest.Build(t, ".")
	path := filepath.Join(t.TempDir(), "config.toml")
	text := fmt.Sprintf("# kept by every edit\n[defaults]\ncheck_interval = \"1h\"\n\n[[repo]]\nname = \"r\"\nrepository = %q\npassword_file = %q\n%s",
		winetest.Path(repo.Location), winetest.Path(repo.PasswordFile), extra)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return &windowsCLI{t: t, wine: w, exe: exe, config: winetest.Path(path), linuxConfig: path}
}

func (c *windowsCLI) command(args ...string) *exec.Cmd {
	return c.wine.Command(c.exe, append([]string{"--config", c.config}, args...)...)
}

// run runs lockwatch.exe to its end and returns its output and exit code.
// The output goes through a file, not a pipe: under Wine a process it
// starts detached (service install) inherits the pipe and would hold it.
func (c *windowsCLI) run(args ...string) (string, int) {
	c.t.Helper()
	cmd := c.command(args...)
	f, err := os.CreateTemp(c.t.TempDir(), "out")
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		c.t.Fatalf("lockwatch.exe %s: %v", strings.Join(args, " "), err)
	}
	out, err := os.ReadFile(f.Name())
	if err != nil {
		c.t.Fatal(err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

func (c *windowsCLI) status(args ...string) check.Status {
	c.t.Helper()
	out, _ := c.run(args...)
	var st check.Status
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &st); err != nil {
		c.t.Fatalf("lockwatch.exe %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return st
}

func TestWindowsCLIUnderWine(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	cli := newWindowsCLI(t, repo, "")

	// check --json with the native reader: Linux's PID is no process of
	// Windows, so the lock is orphaned.
	st := cli.status("check", "--json")
	if len(st.Repos) != 1 || st.Repos[0].Reader != "native" || len(st.Repos[0].Locks) != 1 {
		t.Fatalf("check --json: %+v", st)
	}
	l := st.Repos[0].Locks[0]
	if l.ID != dead.LockID || l.Verdict != lock.Orphaned || l.Reason != fmt.Sprintf("process %d is gone", dead.PID) {
		t.Errorf("the dead restic's lock under Windows: %s (%s)", l.Verdict, l.Reason)
	}
	if out, code := cli.run("check"); code != 1 || !strings.Contains(out, "orphaned") {
		t.Errorf("check: exit %d\n%s", code, out)
	}

	// unlock removes it: the file is gone on the Linux side too.
	if out, code := cli.run("unlock", "r"); code != 0 || !strings.Contains(out, "removed 1 lock") {
		t.Fatalf("unlock: exit %d\n%s", code, out)
	}
	if locks, _ := repo.Locks(); len(locks) != 0 {
		t.Errorf("lock files after unlock: %v", locks)
	}
}

// The service listens on its named pipe; status, unlock and a settings
// edit go through it; a second service refuses to start.
func TestWindowsServiceUnderWine(t *testing.T) {
	repo := demotest.LocalRepo(t)
	cli := newWindowsCLI(t, repo, "")
	svc := cli.command("service", "run")
	var log syncBuffer
	svc.Stdout, svc.Stderr = &log, &log
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Process.Kill(); svc.Wait() })
	waitFor(t, 60*time.Second, "the service answers on its pipe", func() bool {
		out, code := cli.run("status", "--json")
		return code == 0 && strings.Contains(out, `"source": "service"`)
	})

	// A lock of a killed restic appears; the service's check finds it.
	demotest.Orphan(t, repo)
	if out, code := cli.run("check", "r"); code != 1 || !strings.Contains(out, "orphaned") {
		t.Fatalf("check through the service: exit %d\n%s", code, out)
	}
	if out, code := cli.run("unlock", "r"); code != 0 || !strings.Contains(out, "removed 1 lock") {
		t.Fatalf("unlock through the service: exit %d\n%s", code, out)
	}
	if locks, _ := repo.Locks(); len(locks) != 0 {
		t.Errorf("lock files after unlock: %v", locks)
	}
	st := cli.status("status", "--json")
	if st.Source != "service" || st.PID == 0 || len(st.Repos) != 1 {
		t.Errorf("status through the pipe: %+v", st)
	}
	// The settings edit of the tray, through the pipe: the file keeps its comment.
	api := cli.wine.Command(winetest.Build(t, "testdata/winehelper"), "auto-unlock", cli.config, "r", "stale")
	if out, err := api.CombinedOutput(); err != nil || !strings.Contains(string(out), "auto-unlock stale") {
		t.Fatalf("auto-unlock through the service's API: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(cli.linuxConfig)
	if !strings.Contains(string(data), "# kept by every edit") || !strings.Contains(string(data), `auto_unlock = "stale"`) {
		t.Errorf("config after the edit through the service:\n%s", data)
	}
	// With auto-unlock on, the service removes the next orphaned lock by itself.
	again := demotest.Orphan(t, repo)
	waitFor(t, 60*time.Second, "the service removes the orphaned lock", func() bool {
		_, err := os.Stat(filepath.Join(repo.LocksDir, again.LockID))
		return os.IsNotExist(err)
	})

	// A second service finds the first and stops at once.
	if out, code := cli.run("service", "run"); code != 2 || !strings.Contains(out, "already") {
		t.Errorf("second service run: exit %d\n%s", code, out)
	}
}

// A lock that names a live Windows process is live, judged through
// OpenProcess and GetProcessTimes, and kept; once that process is gone the
// lock is orphaned. The lock is a real one of Linux restic, started under
// the PID Wine gave a waiting Windows process (Wine's PIDs are its own).
func TestWindowsLiveLockUnderWine(t *testing.T) {
	repo := demotest.LocalRepo(t)
	cli := newWindowsCLI(t, repo, "")
	helper := winetest.Build(t, "testdata/winehelper")
	var (
		owner *exec.Cmd
		lockd *demo.Holder
	)
	for try := 0; lockd == nil; try++ {
		if try == 10 {
			t.Fatal("ten Windows processes in a row had PIDs that processes here have too")
		}
		cmd := cli.wine.Command(helper, "wait")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		var pid int
		if _, err := fmt.Fscanf(stdout, "pid %d\n", &pid); err != nil {
			t.Fatalf("winehelper wait: %v", err)
		}
		h, err := demotest.OrphanAs(t, repo, pid)
		if errors.Is(err, demotest.ErrPIDTaken) {
			continue // keep it running, so that the next one gets another PID
		}
		owner, lockd = cmd, h
	}

	st := cli.status("check", "--json")
	l, ok := findLock(st, lockd.LockID)
	if !ok || l.Verdict != lock.Live || !strings.Contains(l.Reason, fmt.Sprintf("process %d ('winehelper') is running", lockd.PID)) {
		t.Fatalf("a lock naming a live Windows process: %+v", l)
	}
	if out, code := cli.run("unlock", "r"); code != 0 || !strings.Contains(out, "r: nothing to remove") {
		t.Errorf("unlock with only a live lock: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(repo.LocksDir, lockd.LockID)); err != nil {
		t.Fatalf("unlock removed the live lock: %v", err)
	}

	owner.Process.Kill()
	owner.Wait()
	st = cli.status("check", "--json")
	if l, ok := findLock(st, lockd.LockID); !ok || l.Verdict != lock.Orphaned {
		t.Errorf("after its Windows process ended: %+v", l)
	}
}

func findLock(st check.Status, id string) (check.LockStatus, bool) {
	for _, r := range st.Repos {
		for _, l := range r.Locks {
			if l.ID == id {
				return l, true
			}
		}
	}
	return check.LockStatus{}, false
}

// run's overlap guard (LockFileEx on Windows): a second run of the same
// repository exits 75 at once while the first runs, and once the first is
// killed the next one runs.
func TestWindowsRunGuardUnderWine(t *testing.T) {
	repo := demotest.LocalRepo(t)
	cli := newWindowsCLI(t, repo, "")
	// The first run's command waits until it is killed (testdata/winehelper).
	first := cli.command("run", "r", "--", winetest.Path(winetest.Build(t, "testdata/winehelper")), "wait")
	var out syncBuffer
	first.Stdout, first.Stderr = &out, &out
	first.WaitDelay = time.Second // the helper outlives a killed run and holds the pipe
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		first.Process.Kill()
		first.Wait()
		cli.wine.Command("taskkill", "/f", "/im", "winehelper.exe").Run() // a killed run leaves its command running
	})
	// The helper prints its PID as it starts: the first run holds the
	// guard by then.
	waitFor(t, 60*time.Second, "the first run's command runs", func() bool { return strings.Contains(out.String(), "pid ") })
	second, code := cli.run("run", "r", "--", "cmd", "/c", "exit", "0")
	if code != 75 {
		t.Fatalf("a second run while the first runs: exit %d, want 75\n%s\nthe first said:\n%s", code, second, out.String())
	}
	if !strings.Contains(second, "another run for r is in progress") {
		t.Errorf("the second run says: %s", second)
	}
	first.Process.Kill() // what a crash or a shutdown does: the OS releases the guard
	first.Wait()
	// wineserver releases a dead process's locks as it learns of the
	// death: until then a run still finds the guard held (75, nothing run).
	waitFor(t, 30*time.Second, "a run after the first was killed runs", func() bool {
		_, code := cli.run("run", "r", "--", "cmd", "/c", "exit", "0")
		return code == 0
	})
}

// service install without admin writes the HKCU Run value (read back with
// Wine's reg.exe) and starts the service; uninstall stops it and removes it.
func TestWindowsServiceInstallUnderWine(t *testing.T) {
	repo := demotest.LocalRepo(t)
	cli := newWindowsCLI(t, repo, "")
	runKey := `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`
	if out, code := cli.run("service", "install"); code != 0 || !strings.Contains(out, "installed per-user autostart") {
		t.Fatalf("service install: exit %d\n%s", code, out)
	}
	query, err := cli.wine.Command("reg", "query", runKey, "/v", "lockwatch-service").CombinedOutput()
	if err != nil || !strings.Contains(string(query), "service run") || !strings.Contains(string(query), cli.config) {
		t.Fatalf("reg query after install: %v\n%s", err, query)
	}
	waitFor(t, 60*time.Second, "the installed service answers", func() bool {
		out, code := cli.run("status", "--json")
		return code == 0 && strings.Contains(out, `"source": "service"`)
	})
	if out, code := cli.run("service", "uninstall"); code != 0 || !strings.Contains(out, "stopped and removed per-user autostart") {
		t.Fatalf("service uninstall: exit %d\n%s", code, out)
	}
	if query, err := cli.wine.Command("reg", "query", runKey, "/v", "lockwatch-service").CombinedOutput(); err == nil {
		t.Errorf("reg query after uninstall still finds the value:\n%s", query)
	}
	if out, _ := cli.run("status", "--json"); strings.Contains(out, `"source": "service"`) {
		t.Errorf("a service still answers after uninstall:\n%s", out)
	}
}
