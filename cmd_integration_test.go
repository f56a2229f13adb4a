package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// lockwatch runs one command line in-process, as main would.
func lockwatch(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// secretMark is planted in every secret of the test config; it must never
// show up in any output nor on restic's command line.
const secretMark = "S3CRET-d41d8cd9"

// testConfig writes a config for repo whose restic is a wrapper script that
// logs its argv before running the real restic.
func testConfig(t *testing.T, repo *demo.Repo, extra string) (cfgPath, argvLog string) {
	t.Helper()
	dir := t.TempDir()
	argvLog = filepath.Join(dir, "argv.log")
	wrapper := filepath.Join(dir, "restic-wrapper")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %q\nexec %q \"$@\"\n", argvLog, demotest.Restic(t))
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// The repository password itself carries the mark too.
	password, err := os.ReadFile(repo.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	command := filepath.Join(dir, "password-command")
	os.WriteFile(command, []byte(fmt.Sprintf("#!/bin/sh\n# %s\nprintf '%%s' %q\n", secretMark, strings.TrimSpace(string(password)))), 0o755)
	cfg := fmt.Sprintf(`[defaults]
restic = %q

[[repo]]
name = "demo"
repository = %q
password_command = "%s --token=%s"
env = { AWS_SECRET_ACCESS_KEY = %q }
reader = "restic" # these tests watch restic's command line
%s`, wrapper, repo.Location, command, secretMark, secretMark, extra)
	cfgPath = filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, argvLog
}

func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	if strings.Contains(text, secretMark) {
		t.Errorf("a secret leaked into %s:\n%s", where, text)
	}
}

func TestCheckAndUnlockCommands(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	live := demotest.Hold(t, repo, demo.Options{})
	cfg, argvLog := testConfig(t, repo, "")

	// check --json: one object, the orphaned lock judged, exit 1 (stale).
	out, errOut, code := lockwatch(t, "check", "--config", cfg, "--json")
	if code != exitAttention {
		t.Fatalf("check --json exited %d: %s%s", code, out, errOut)
	}
	var st check.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("check --json printed no JSON: %v\n%s", err, out)
	}
	if len(st.Repos) != 1 || st.Repos[0].State != check.StateStale || len(st.Repos[0].Locks) != 2 {
		t.Fatalf("check --json: %s", out)
	}
	for _, l := range st.Repos[0].Locks {
		want := map[string]string{dead.LockID: "orphaned", live.LockID: "live"}[l.ID]
		if string(l.Verdict) != want || l.Reason == "" || l.Time.IsZero() || l.Hostname == "" {
			t.Errorf("lock %+v, want verdict %s", l, want)
		}
	}
	for _, key := range []string{`"checked_at"`, `"age_seconds"`, `"exclusive"`, `"username"`, `"pid"`, `"verdict"`, `"reason"`, `"error"`} {
		if !strings.Contains(out, key) {
			t.Errorf("check --json lacks %s", key)
		}
	}

	// Human output: a line for the repo, a line per lock.
	out, _, code = lockwatch(t, "check", "--config", cfg)
	if code != exitAttention || !strings.Contains(out, "demo") || !strings.Contains(out, dead.LockID[:8]) ||
		!strings.Contains(out, fmt.Sprintf("process %d is gone", dead.PID)) {
		t.Errorf("check printed (exit %d):\n%s", code, out)
	}

	// --all without --yes is refused before anything happens.
	_, errOut, code = lockwatch(t, "unlock", "demo", "--config", cfg, "--all")
	if code != exitError || !strings.Contains(errOut, "--yes") {
		t.Errorf("unlock --all without --yes: exit %d: %s", code, errOut)
	}
	// --lock on the live one is refused.
	_, errOut, code = lockwatch(t, "unlock", "demo", "--config", cfg, "--lock", live.LockID[:12])
	if code != exitAttention || !strings.Contains(errOut, "live") {
		t.Errorf("unlock --lock LIVE: exit %d: %s", code, errOut)
	}
	// Plain unlock: the orphaned lock goes, the live one stays, both printed.
	out, errOut, code = lockwatch(t, "unlock", "demo", "--config", cfg)
	if code != exitOK || !strings.Contains(out, "removed 1 lock") ||
		!strings.Contains(out, "removed  "+dead.LockID[:8]) || !strings.Contains(out, "kept     "+live.LockID[:8]) {
		t.Errorf("unlock (exit %d):\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(repo.LocksDir, live.LockID)); err != nil {
		t.Fatal("the live lock is gone")
	}
	out, _, code = lockwatch(t, "check", "--config", cfg)
	if code != exitOK || !strings.Contains(out, "busy") {
		t.Errorf("after unlock, check exited %d:\n%s", code, out)
	}
	// unlock --json, with nothing stale left: what stayed, as JSON.
	out, errOut, code = lockwatch(t, "unlock", "demo", "--config", cfg, "--json")
	var res check.UnlockResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK {
		t.Fatalf("unlock --json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if res.Repo != "demo" || len(res.Removed) != 0 || len(res.Kept) != 1 || res.Kept[0].ID != live.LockID || res.Kept[0].Verdict != "live" {
		t.Errorf("unlock --json: %+v", res)
	}

	// repo list shows no secrets either.
	out, errOut, _ = lockwatch(t, "repo", "list", "--config", cfg)
	assertNoSecret(t, "repo list", out+errOut)
	if !strings.Contains(out, repo.Location) {
		t.Errorf("repo list:\n%s", out)
	}

	argv, err := os.ReadFile(argvLog)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "restic's argv", string(argv))
	password, _ := os.ReadFile(repo.PasswordFile)
	if bytes.Contains(argv, bytes.TrimSpace(password)) || strings.Contains(string(argv), repo.Location) {
		t.Errorf("restic's command line carries the password or repository:\n%s", argv)
	}
	if !strings.Contains(string(argv), "list locks --no-lock") {
		t.Errorf("the wrapper saw no restic calls:\n%s", argv)
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	repo := demotest.LocalRepo(t)
	// A config with mistakes next to the secrets.
	cfg, _ := testConfig(t, repo, "auto_unlock = \"yes\"\ncheck_interval = \"often\"\n")
	_, errOut, code := lockwatch(t, "check", "--config", cfg)
	if code != exitError || !strings.Contains(errOut, "auto_unlock") || !strings.Contains(errOut, "check_interval") || !strings.Contains(errOut, "config.toml:") {
		t.Errorf("bad config: exit %d: %s", code, errOut)
	}
	assertNoSecret(t, "config errors", errOut)

	// A wrong password: restic fails, lockwatch says so plainly, no secret.
	good, _ := testConfig(t, repo, "")
	data, _ := os.ReadFile(good)
	bad := strings.Replace(string(data), "password_command", "password_file = \"/dev/null\"\n#", 1)
	os.WriteFile(good, []byte(bad), 0o600)
	out, errOut, code := lockwatch(t, "check", "--config", good, "--json")
	if code != exitError || !strings.Contains(out, `"state": "error"`) {
		t.Errorf("unopenable repo: exit %d: %s%s", code, out, errOut)
	}
	assertNoSecret(t, "check output", out+errOut)
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"check", "--frobnicate"}, {"unlock"}, {"unlock", "a", "b"}, {"unlock", "x", "--force"}} {
		_, errOut, code := lockwatch(t, args...)
		if code != exitError || !strings.Contains(errOut, "Usage:") {
			t.Errorf("lockwatch %s: exit %d, stderr:\n%s", strings.Join(args, " "), code, errOut)
		}
	}
	out, _, code := lockwatch(t, "help", "check")
	if code != exitOK || !strings.Contains(out, "EXIT STATUS") {
		t.Errorf("help check: exit %d:\n%s", code, out)
	}
	out, _, code = lockwatch(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "lockwatch ") {
		t.Errorf("version: %q", out)
	}
	_, errOut, code := lockwatch(t, "check", "--config", filepath.Join(t.TempDir(), "none.toml"))
	if code != exitError || !strings.Contains(errOut, "lockwatch demo") {
		t.Errorf("missing config: exit %d: %s", code, errOut)
	}
}

func TestDemoCommand(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := lockwatch(t, "demo", "--dir", dir, "--restic", demotest.Restic(t))
	if code != exitOK || !strings.Contains(out, "killed it") {
		t.Fatalf("demo: exit %d:\n%s%s", code, out, errOut)
	}
	cfg := filepath.Join(dir, "config.toml")
	out, _, code = lockwatch(t, "check", "--config", cfg, "--json")
	var st check.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != exitAttention {
		t.Fatalf("check of the demo: exit %d: %v\n%s", code, err, out)
	}
	if locks := st.Repos[0].Locks; len(locks) != 1 || locks[0].Verdict != "orphaned" {
		t.Fatalf("demo lock: %+v", locks)
	}
	// Again: the repository and its lock are reused, not multiplied.
	out, _, code = lockwatch(t, "demo", "--dir", dir, "--quiet")
	if code != exitOK || strings.TrimSpace(out) != cfg {
		t.Errorf("demo --quiet: exit %d: %q", code, out)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "repo", "locks"))
	if len(entries) != 1 {
		t.Errorf("second demo left %d locks", len(entries))
	}
}

// A restic that is not there is named, with what to do.
func TestResticMissing(t *testing.T) {
	repo := demotest.LocalRepo(t)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	text := fmt.Sprintf("[defaults]\nrestic = \"/nonexistent/restic\"\n[[repo]]\nname = \"demo\"\nrepository = %q\npassword_file = %q\nreader = \"restic\"\n", repo.Location, repo.PasswordFile)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := lockwatch(t, "check", "--config", cfg)
	if code != exitError || !strings.Contains(out+errOut, "/nonexistent/restic") || !strings.Contains(out+errOut, "restic not found") || !strings.Contains(out+errOut, "install restic") {
		t.Errorf("check with restic missing: exit %d\n%s%s", code, out, errOut)
	}
}
