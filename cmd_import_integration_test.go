package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// `lockwatch import --yes` end to end: Backrest, autorestic and
// resticprofile configs (written as those tools document them) point at
// real repositories with real orphaned locks; the import goes through the
// running service, whose next checks find those locks, and Backrest's
// autoUnlock, carried over as auto_unlock = "stale", removes one. The
// plain-text passwords land in a real Secret Service and nowhere else: not
// in the config, the output, the service's log or any file lockwatch wrote.
func TestImportFromOtherTools(t *testing.T) {
	env := secretService(t)
	home := envValue(env, "HOME")
	env = append(env, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_STATE_HOME="+filepath.Join(home, "state"))
	put := func(rel, text string) string {
		p := filepath.Join(home, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	password := func(r *demo.Repo) string { return readTrimmed(t, r.PasswordFile) }

	laptop, usb, profiled, mine := demotest.LocalRepo(t), demotest.LocalRepo(t), demotest.LocalRepo(t), demotest.LocalRepo(t)
	locks := map[string]*demo.Holder{}
	for name, r := range map[string]*demo.Repo{"laptop": laptop, "usb": usb, "repo": profiled, "mine": mine} {
		locks[name] = demotest.Orphan(t, r)
	}

	fixtures := []string{
		put(".config/backrest/config.json", fmt.Sprintf(`{
  "modno": 3,
  "version": 4,
  "instance": "desk",
  "repos": [
    {"id": "laptop", "uri": %q, "password": %q, "autoUnlock": true, "env": []}
  ]
}
`, laptop.Location, password(laptop))),
		put(".autorestic.yml", fmt.Sprintf(`version: 2
locations:
  home:
    from: /home/alice
    to: usb
backends:
  usb:
    type: local
    path: %q
    key: %q
`, usb.Location, password(usb))),
		// resticprofile, version 1: the repository comes from a template in
		// an inherited profile; one profile is a repository already watched.
		put(".config/resticprofile/profiles.yaml", fmt.Sprintf(`version: "1"
global:
  default-command: snapshots
base:
  repository: "local:%s/{{ .Profile.Name }}"
  password-file: %q
  status-file: %q
repo:
  inherit: base
old:
  repository: %q
  password-file: %q
`, filepath.Dir(profiled.Location), profiled.PasswordFile, filepath.Join(home, "status.json"), mine.Location, mine.PasswordFile)),
	}

	// resticprofile's record of the profile's last backup: it failed.
	put("status.json", `{"profiles": {"repo": {"backup": {"success": false, "time": "2026-12-01T03:00:12Z",
  "error": "exit status 11", "stderr": "Fatal: unable to create lock in backend: repository is already locked", "duration": 2.5}}}}`)

	cfgPath := filepath.Join(home, ".config", "lockwatch", "config.toml")
	put(".config/lockwatch/config.toml", fmt.Sprintf("# mine, kept by hand\n[defaults]\nrestic = %q\ncheck_interval = \"1h\"\n%s",
		demotest.Restic(t), repoTOML("mine", mine, "")))
	svc := startService(t, cfgPath, env)

	bin := lockwatchBinary(t)
	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, append([]string{"--config", cfgPath}, args...)...)
		cmd.Env, cmd.Dir = env, t.TempDir()
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}

	dry, code := run("import", "--from", "backrest,autorestic,resticprofile", "--dry-run")
	if code != 0 {
		t.Fatalf("import --dry-run: exit %d\n%s", code, dry)
	}
	for _, want := range []string{
		"laptop", "backrest " + fixtures[0] + ":6",
		"usb", "autorestic " + fixtures[1] + ":7",
		"repo", "resticprofile " + fixtures[2],
		`already configured as "mine"`,
		"--dry-run: nothing was changed",
	} {
		if !strings.Contains(dry, want) {
			t.Errorf("import --dry-run does not say %q:\n%s", want, dry)
		}
	}
	if data, _ := os.ReadFile(cfgPath); strings.Contains(string(data), "laptop") {
		t.Fatalf("--dry-run changed the config:\n%s", data)
	}

	out, code := run("import", "--from", "backrest,autorestic,resticprofile", "--yes")
	if code != 0 || !strings.Contains(out, "Imported 3 repositories") {
		t.Fatalf("import --yes: exit %d\n%s", code, out)
	}

	// The service applied the new config: its checks find the real locks,
	// and auto-unlock (Backrest's autoUnlock) removed the laptop's.
	waitFor(t, 60*time.Second, "the laptop's orphaned lock is auto-unlocked", func() bool {
		return !lockFile(laptop, locks["laptop"].LockID)
	})
	var st check.Status
	checkOut, _ := run("check", "--json")
	if err := json.Unmarshal([]byte(checkOut), &st); err != nil {
		t.Fatalf("check --json: %v\n%s", err, checkOut)
	}
	got := map[string]check.RepoStatus{}
	for _, r := range st.Repos {
		got[r.Name] = r
	}
	if len(got) != 4 {
		t.Errorf("after the import lockwatch watches %d repositories; want 4 (mine, laptop, usb, repo)", len(got))
	}
	for _, name := range []string{"usb", "repo", "mine"} {
		r := got[name]
		if len(r.Locks) != 1 || r.Locks[0].ID != locks[name].LockID || r.Locks[0].Verdict != "orphaned" {
			t.Errorf("%s after the import: %s %q, locks %+v; want its orphaned lock", name, r.State, r.Error, r.Locks)
		}
	}
	if r := got["usb"]; r.State != check.StateStale {
		t.Errorf("usb after the import: %s %q; want stale", r.State, r.Error)
	}
	// The imported profile's status file is read: its failed backup shows.
	if r := got["repo"]; r.State != check.StateFailed || !strings.Contains(r.Failure, "resticprofile repo backup failed") {
		t.Errorf("repo after the import: %s, failure %q; want resticprofile's failed backup", r.State, r.Failure)
	}
	if r := got["laptop"]; r.State != check.StateOK {
		t.Errorf("laptop after auto-unlock: %s %q", r.State, r.Error)
	}

	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"# mine, kept by hand", "password_keyring = true", `auto_unlock = "stale"`,
		`resticprofile_status = "` + filepath.Join(home, "status.json") + `"`, `resticprofile_profile = "repo"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the config lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, mine.Location); n != 1 {
		t.Errorf("the repository already watched is in the config %d times:\n%s", n, text)
	}

	for name, r := range map[string]*demo.Repo{"laptop": laptop, "usb": usb} {
		get := exec.Command(bin, "keyring", "get", name)
		get.Env = env
		if pw, err := get.Output(); err != nil || strings.TrimSpace(string(pw)) != password(r) {
			t.Errorf("the keyring's password of %s: %v (right: %v)", name, err, strings.TrimSpace(string(pw)) == password(r))
		}
	}

	// The canaries: the two plain-text passwords.
	canaries := []string{password(laptop), password(usb)}
	channels := map[string]string{"import --dry-run": dry, "import --yes": out, "check --json": checkOut, "the service's log": svc.logs.String()}
	isFixture := map[string]bool{}
	for _, f := range fixtures {
		isFixture[f] = true
	}
	keyringDir := envValue(env, "XDG_DATA_HOME")
	filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && p == keyringDir:
			return filepath.SkipDir // gnome-keyring's own (encrypted) store
		case d.Type().IsRegular() && !isFixture[p]:
			if data, err := os.ReadFile(p); err == nil {
				channels[p] = string(data)
			}
		}
		return nil
	})
	for where, text := range channels {
		for _, c := range canaries {
			if strings.Contains(text, c) {
				t.Errorf("a plain-text password leaked into %s", where)
			}
		}
	}
}

// Without --yes the import asks which to take, by number, and the password
// of one whose source was not found (read from the next line here; at a
// terminal without echo); what was not chosen stays out.
func TestImportAsksWhichAndForMissingPasswords(t *testing.T) {
	env := secretService(t)
	home := envValue(env, "HOME")
	a, b, c := demotest.LocalRepo(t), demotest.LocalRepo(t), demotest.LocalRepo(t)
	os.MkdirAll(filepath.Join(home, ".config", "backrest"), 0o700)
	os.WriteFile(filepath.Join(home, ".config", "backrest", "config.json"), []byte(fmt.Sprintf(`{"repos": [
  {"id": "a", "uri": %q, "password": %q},
  {"id": "b", "uri": %q, "password": %q}
]}`, a.Location, readTrimmed(t, a.PasswordFile), b.Location, readTrimmed(t, b.PasswordFile))), 0o600)
	env = append(env, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_STATE_HOME="+filepath.Join(home, "state"),
		"RESTIC_REPOSITORY="+c.Location) // the environment names c, without a password
	cfgPath := filepath.Join(home, ".config", "lockwatch", "config.toml")

	typed := readTrimmed(t, c.PasswordFile)
	cmd := exec.Command(lockwatchBinary(t), "--config", cfgPath, "import", "--from", "backrest,env")
	cmd.Env, cmd.Dir = env, t.TempDir()
	cmd.Stdin = strings.NewReader("1 3\n" + typed + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if strings.Contains(string(out), typed) {
		t.Errorf("the typed password was echoed:\n%s", out)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range cfg.Repos {
		names = append(names, r.Name)
	}
	if len(names) != 2 || names[0] != "a" || names[1] != filepath.Base(c.Location) {
		t.Fatalf("imported %v; want a and %s (1 and 3), not b\n%s", names, filepath.Base(c.Location), out)
	}
	get := exec.Command(lockwatchBinary(t), "keyring", "get", names[1])
	get.Env = env
	if pw, err := get.Output(); err != nil || strings.TrimSpace(string(pw)) != typed {
		t.Errorf("the typed password is not in the keyring: %v", err)
	}
	// And it opens the repository: the check reads it.
	check := exec.Command(lockwatchBinary(t), "--config", cfgPath, "check", names[1])
	check.Env = env
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("check %s with the typed password: %v\n%s", names[1], err, out)
	}
}
