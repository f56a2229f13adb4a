package main

import (
	"encoding/json"
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
func (c *windowsCLI) run(args ...string) (string, int) {
	c.t.Helper()
	cmd := c.command(args...)
	out, err := cmd.CombinedOutput()
	if err != nil && cmd.ProcessState == nil {
		c.t.Fatalf("lockwatch.exe %s: %v", strings.Join(args, " "), err)
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
	api := cli.wine.Command(winetest.Build(t, "testdata/wineapi"), cli.config, "r", "stale")
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
