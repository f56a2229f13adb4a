package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/store"
)

// The keyring in these tests is go-keyring's in-memory mock, a stand-in for
// the OS keyring: a test must not write into the keyring of whoever runs it
// (TestKeyringWithARealSecretService runs a real Secret Service).

const settingsConfig = `# my comment
[defaults]
check_interval = "5m"

[[repo]]
name = "nas"
repository = "/srv/restic"
password_file = "/etc/restic/pw"
env = { AWS_SECRET_ACCESS_KEY = "env-s3cr3t" }
`

func newSettingsDaemon(t testing.TB, text string) (*Daemon, string) {
	t.Helper()
	// A stand-in keyring (go-keyring's in-memory mock): in-process tests must not
	// reach the developer's keyring; TestKeyringWithARealSecretService runs a real one.
	config.MockKeyring()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "state", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{ConfigPath: path, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return d, path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestPutRepoAddsEditsAndTellsSubscribers(t *testing.T) {
	d, path := newSettingsDaemon(t, settingsConfig)
	events, stop := d.Subscribe()
	defer stop()

	view, fields, err := d.PutRepo("", config.RepoInput{Name: "usb", Repository: "/mnt/usb", PasswordFile: "/p", CheckInterval: "1h"})
	if err != nil || fields != nil {
		t.Fatalf("add: %v %v", fields, err)
	}
	if _, ok := view.Repo("usb"); !ok {
		t.Errorf("view after add: %+v", view)
	}
	loaded, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := loaded.Repo("usb"); !ok || r.CheckInterval.Duration != time.Hour {
		t.Errorf("saved file: %+v", loaded.Repos)
	}
	if r, _ := loaded.Repo("nas"); r.Env["AWS_SECRET_ACCESS_KEY"] != "env-s3cr3t" {
		t.Errorf("the other repo's secret got lost: %v", r.Env)
	}
	if st := d.Status(); len(st.Repos) != 2 || st.Repos[1].Name != "usb" {
		t.Errorf("the daemon does not run the new repo: %+v", st.Repos)
	}
	select {
	case ev := <-events:
		if ev.Type != EventConfig {
			t.Errorf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Error("no config event after saving")
	}

	// Edit: the masked env value keeps the secret.
	nas, _ := d.Config().Repo("nas")
	if nas.Env["AWS_SECRET_ACCESS_KEY"] != config.MaskedValue {
		t.Errorf("Config shows an env value: %v", nas.Env)
	}
	_, fields, err = d.PutRepo("nas", config.RepoInput{Name: "nas", Repository: nas.Repository, PasswordFile: nas.PasswordFile, Env: nas.Env, AutoUnlock: "stale"})
	if err != nil || fields != nil {
		t.Fatalf("edit: %v %v", fields, err)
	}
	loaded, _ = config.Load(path)
	if r, _ := loaded.Repo("nas"); r.Env["AWS_SECRET_ACCESS_KEY"] != "env-s3cr3t" || r.AutoUnlock != config.AutoUnlockStale {
		t.Errorf("after edit: %+v", r)
	}

	// Invalid input changes nothing.
	before := readFile(t, path)
	_, fields, err = d.PutRepo("nas", config.RepoInput{Name: "usb", Repository: "/r", PasswordFile: "/p", CheckInterval: "soon"})
	if err != nil || fields["name"] == "" || fields["check_interval"] == "" {
		t.Errorf("fields %v, err %v", fields, err)
	}
	if readFile(t, path) != before {
		t.Error("invalid input was saved")
	}
	if _, _, err := d.PutRepo("gone", config.RepoInput{Name: "gone"}); !errors.Is(err, ErrUnknownRepo) {
		t.Errorf("editing a missing repo: %v", err)
	}
}

func TestPutRepoKeyring(t *testing.T) {
	d, path := newSettingsDaemon(t, settingsConfig)
	in := config.RepoInput{Name: "laptop", Repository: "/backup", PasswordKeyring: true}

	_, fields, err := d.PutRepo("", in)
	if err != nil || !strings.Contains(fields["password"], "type the password") {
		t.Errorf("keyring without a password: %v %v", fields, err)
	}

	in.Password = "typed-s3cr3t"
	view, fields, err := d.PutRepo("", in)
	if err != nil || fields != nil {
		t.Fatalf("%v %v", fields, err)
	}
	if r, _ := view.Repo("laptop"); r.PasswordSource != config.PasswordFromKeyring {
		t.Errorf("view: %+v", r)
	}
	if pw, _ := config.KeyringPassword("laptop"); pw != "typed-s3cr3t" {
		t.Errorf("keyring holds %q", pw)
	}
	text := readFile(t, path)
	if strings.Contains(text, "typed-s3cr3t") || !strings.Contains(text, "password_keyring = true") {
		t.Errorf("config file:\n%s", text)
	}

	// Saving again without a password keeps the stored one; renaming moves it.
	in.Password = ""
	in.Name = "laptop2"
	if _, fields, err := d.PutRepo("laptop", in); err != nil || fields != nil {
		t.Fatalf("rename: %v %v", fields, err)
	}
	if pw, _ := config.KeyringPassword("laptop2"); pw != "typed-s3cr3t" {
		t.Errorf("after rename the keyring holds %q", pw)
	}
	if _, err := config.KeyringPassword("laptop"); !errors.Is(err, config.ErrNoKeyringPassword) {
		t.Errorf("the old entry is still there: %v", err)
	}

	// A password set with `lockwatch keyring set` before the repo is added.
	if err := config.SetKeyringPassword("cli", "cli-s3cr3t"); err != nil {
		t.Fatal(err)
	}
	if _, fields, err := d.PutRepo("", config.RepoInput{Name: "cli", Repository: "/c", PasswordKeyring: true}); err != nil || fields != nil {
		t.Errorf("keyring entry made beforehand: %v %v", fields, err)
	}

	// Leaving the keyring removes the entry; so does deleting the repo.
	if _, fields, err := d.PutRepo("laptop2", config.RepoInput{Name: "laptop2", Repository: "/backup", PasswordFile: "/p"}); err != nil || fields != nil {
		t.Fatalf("%v %v", fields, err)
	}
	if _, err := config.KeyringPassword("laptop2"); !errors.Is(err, config.ErrNoKeyringPassword) {
		t.Errorf("entry kept after switching to a file: %v", err)
	}
	if err := d.DeleteRepo("cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := config.KeyringPassword("cli"); !errors.Is(err, config.ErrNoKeyringPassword) {
		t.Errorf("entry kept after deleting the repo: %v", err)
	}
}

func TestKeyringUnavailableIsAFieldError(t *testing.T) {
	d, path := newSettingsDaemon(t, settingsConfig)
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	defer config.MockKeyring()
	before := readFile(t, path)
	_, fields, err := d.PutRepo("", config.RepoInput{Name: "k", Repository: "/r", PasswordKeyring: true, Password: "typed-s3cr3t"})
	if err != nil || !strings.Contains(fields["password"], "org.freedesktop.secrets") || strings.Contains(fields.String(), "typed-s3cr3t") {
		t.Errorf("fields %v, err %v", fields, err)
	}
	if readFile(t, path) != before {
		t.Error("config saved although the keyring failed")
	}
}

func TestSetKeyringUndo(t *testing.T) {
	// A stand-in keyring (go-keyring's in-memory mock): in-process tests must not
	// reach the developer's keyring; TestKeyringWithARealSecretService runs a real one.
	config.MockKeyring()
	undo, err := setKeyring("a", "new")
	if err != nil {
		t.Fatal(err)
	}
	undo()
	if _, err := config.KeyringPassword("a"); !errors.Is(err, config.ErrNoKeyringPassword) {
		t.Errorf("undo left a new entry: %v", err)
	}
	_ = config.SetKeyringPassword("a", "old")
	undo, _ = setKeyring("a", "new")
	undo()
	if pw, _ := config.KeyringPassword("a"); pw != "old" {
		t.Errorf("undo left %q", pw)
	}
}

func TestDeleteRepoAndNotifications(t *testing.T) {
	d, path := newSettingsDaemon(t, settingsConfig+"\n[[repo]]\nname = \"usb\"\nrepository = \"/u\"\npassword_file = \"/p\"\n")
	if err := d.DeleteRepo("nas"); err != nil {
		t.Fatal(err)
	}
	if v := d.Config(); len(v.Repos) != 1 || v.Repos[0].Name != "usb" {
		t.Errorf("after delete: %+v", v.Repos)
	}
	if err := d.DeleteRepo("nas"); !errors.Is(err, ErrUnknownRepo) {
		t.Errorf("deleting twice: %v", err)
	}
	if !d.Config().Notifications {
		t.Error("notifications are on by default")
	}
	if err := d.SetNotifications(false); err != nil {
		t.Fatal(err)
	}
	if d.Config().Notifications {
		t.Error("notifications still on")
	}
	if cfg, _ := config.Load(path); cfg.Defaults.Notifications {
		t.Error("notifications still on in the file")
	}
}

func TestTestRepo(t *testing.T) {
	repo := demotest.LocalRepo(t)
	pw, err := os.ReadFile(repo.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(pw))
	d, path := newSettingsDaemon(t, settingsConfig)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the temporary password file goes
	before := readFile(t, path)
	ctx := context.Background()

	// A typed password, not saved: it reaches restic through a file.
	in := config.RepoInput{Name: "new", Repository: repo.Location, PasswordKeyring: true, Password: password}
	st, fields := d.TestRepo(ctx, "", in)
	if fields != nil || st.State != check.StateOK || st.Error != "" {
		t.Errorf("test with the right password: %+v %v", st, fields)
	}
	in.Password = "wrong-s3cr3t"
	st, fields = d.TestRepo(ctx, "", in)
	if fields != nil || st.State != check.StateError || st.Error == "" || strings.Contains(st.Error, "wrong-s3cr3t") {
		t.Errorf("test with a wrong password: %+v %v", st, fields)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	if _, err := config.KeyringPassword("new"); err == nil {
		t.Error("testing stored the password in the keyring")
	}

	// The repository as saved, and a password file.
	st, fields = d.TestRepo(ctx, "", config.RepoInput{Name: "new", Repository: repo.Location, PasswordFile: repo.PasswordFile})
	if fields != nil || st.State != check.StateOK {
		t.Errorf("test with a password file: %+v %v", st, fields)
	}
	// Invalid input is reported before anything runs.
	_, fields = d.TestRepo(ctx, "", config.RepoInput{Name: "nas", Repository: repo.Location, PasswordFile: repo.PasswordFile, CheckInterval: "x"})
	if fields["name"] == "" || fields["check_interval"] == "" {
		t.Errorf("fields %v", fields)
	}
	if readFile(t, path) != before {
		t.Error("testing changed the config file")
	}
	if len(d.Status().Repos) != 1 {
		t.Error("testing added a repository")
	}
}
