package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon/daemontest"
	"github.com/lockwatch/lockwatch/service/discover"
)

// importFixture is a home with a Backrest config naming three local
// repositories — one lockwatch watches already, one that is there, one
// whose disk is gone — and an environment naming a fourth with no
// password; it returns the import view on what discovery finds there, the
// config's path and the Backrest config's.
func importFixture(t *testing.T) (*ImportView, fyne.Window, string, string) {
	t.Helper()
	test.NewTempApp(t)
	home := t.TempDir()
	repo := func(name string) string {
		dir := filepath.Join(home, "backups", name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		// What makes a directory a restic repository to discovery.
		if err := os.WriteFile(filepath.Join(dir, "config"), []byte("restic"), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	mine, laptop, fromEnv := repo("mine"), repo("laptop"), repo("env")
	d, cfgPath := daemontest.New(t, fmt.Sprintf("[[repo]]\nname = \"mine\"\nrepository = %q\npassword_file = \"/etc/pw\"\n", mine))
	backrest := filepath.Join(home, ".config", "backrest", "config.json")
	os.MkdirAll(filepath.Dir(backrest), 0o700)
	os.WriteFile(backrest, []byte(fmt.Sprintf(`{"repos": [
  {"id": "mine", "uri": %q, "password": "pw-mine"},
  {"id": "laptop", "uri": %q, "password": "canary-laptop-5e1"},
  {"id": "usb", "uri": %q, "password": "pw-usb"}
]}`, mine, laptop, filepath.Join(home, "unplugged"))), 0o600)

	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	found, skipped, errs := discover.Discover(context.Background(), discover.Options{
		Home: home, GOOS: "linux", Sources: []string{discover.SourceBackrest, discover.SourceEnv},
		Environ: []string{"HOME=" + home, "RESTIC_REPOSITORY=" + fromEnv},
	})
	v := NewImportView(api.Local{Daemon: d}, cfgPath, Found{Offer: discover.Offer(found, cfg), Skipped: skipped, Errors: errs})
	v.inline = true
	v.KeyringAvailable = func() error { return nil } // daemontest's in-memory keyring, a stand-in
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(820, 700))
	return v, w, cfgPath, backrest
}

func TestImportViewOffersWhatWasFound(t *testing.T) {
	v, w, cfgPath, backrest := importFixture(t)
	text := strings.Join(labels(w.Canvas().Content()), "\n")
	for _, want := range []string{
		"lockwatch found 4 restic repositories on this computer",
		"found in backrest " + backrest + ":3", "found in the environment",
		"Already watched as “mine”.",
		"Not ticked: there is no restic repository at",
		"Password: plain text (to go to the keyring)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the offer does not say %q:\n%s", want, text)
		}
	}
	// Ticked: what is there and has a password. Not: the one watched, the
	// one not there, the one whose password is unknown.
	if got := v.Chosen(); !slices.Equal(got, []string{"laptop"}) {
		t.Fatalf("ticked at first: %v; want [laptop]", got)
	}

	// Typing the missing password ticks its repository.
	var typed bool
	for _, r := range v.rows {
		if r.password != nil {
			test.Type(r.password, "typed-pw")
			typed = true
		}
	}
	if !typed || !slices.Equal(v.Chosen(), []string{"laptop", "env"}) {
		t.Fatalf("after typing the env repository's password: %v", v.Chosen())
	}

	var done []string
	v.OnDone = func(imported []string) { done = imported }
	test.Tap(v.importBtn)
	if !slices.Equal(done, []string{"laptop", "env"}) {
		t.Fatalf("imported %v (result %q); want laptop, env", done, v.Result())
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mine", "laptop", "env"} {
		if r, ok := cfg.Repo(name); !ok || (name != "mine" && !r.PasswordKeyring) {
			t.Errorf("after the import the config has %s: %v", name, r)
		}
	}
	if len(cfg.Repos) != 3 {
		t.Errorf("the config has %d repositories; want 3 (usb is not there, mine was already)", len(cfg.Repos))
	}
	if data, _ := os.ReadFile(cfgPath); strings.Contains(string(data), "canary-laptop-5e1") || strings.Contains(string(data), "typed-pw") {
		t.Errorf("a password is in the config:\n%s", data)
	}
	for name, want := range map[string]string{"laptop": "canary-laptop-5e1", "env": "typed-pw"} {
		if pw, err := config.KeyringPassword(name); err != nil || pw != want {
			t.Errorf("the keyring's password of %s: %v", name, err)
		}
	}
}

// Without an OS keyring the view says so and imports nothing until the
// user chooses password files; then each is written beside the config.
func TestImportViewWithoutKeyring(t *testing.T) {
	v, _, cfgPath, _ := importFixture(t)
	v.KeyringAvailable = func() error { return errors.New("no OS keyring is running") }
	var done []string
	v.OnDone = func(imported []string) { done = imported }
	test.Tap(v.importBtn)
	if done != nil || !v.keyringNote.Visible() || !v.toFiles.Visible() || !strings.Contains(v.keyringNote.Text, "no OS keyring is running") {
		t.Fatalf("without a keyring: imported %v, note %q (shown %v)", done, v.keyringNote.Text, v.keyringNote.Visible())
	}
	if cfg, _ := config.Load(cfgPath); len(cfg.Repos) != 1 {
		t.Fatalf("something was imported before the user chose: %d repositories", len(cfg.Repos))
	}
	test.Tap(v.toFiles)
	test.Tap(v.importBtn)
	if !slices.Equal(done, []string{"laptop"}) {
		t.Fatalf("imported %v (result %q); want laptop", done, v.Result())
	}
	file := filepath.Join(discover.PasswordDir(cfgPath), "laptop")
	if data, err := os.ReadFile(file); err != nil || string(data) != "canary-laptop-5e1\n" {
		t.Errorf("the password file %s: %v", file, err)
	}
	cfg, _ := config.Load(cfgPath)
	if r, ok := cfg.Repo("laptop"); !ok || r.PasswordFile != file || r.PasswordKeyring {
		t.Errorf("laptop as configured: %v", r)
	}
}

// Not now leaves the config as it was.
func TestImportViewNotNow(t *testing.T) {
	v, _, cfgPath, _ := importFixture(t)
	before, _ := os.ReadFile(cfgPath)
	called := false
	v.OnDone = func(imported []string) { called = imported == nil }
	test.Tap(v.notNowBtn)
	after, _ := os.ReadFile(cfgPath)
	if !called || string(before) != string(after) {
		t.Errorf("Not now: done(nil) %v, config changed %v", called, string(before) != string(after))
	}
}
