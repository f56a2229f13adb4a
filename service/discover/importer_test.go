package discover_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon/daemontest"
	"github.com/lockwatch/lockwatch/service/discover"
)

const importedConfig = `# my repositories
[defaults]
check_interval = "5m"

# the one I set up by hand
[[repo]]
name = "nas"
repository = "/srv/restic/home"
password_file = "/etc/restic/pw"
`

// Offer marks what is configured already and renames what would clash;
// Import adds the rest through the settings' writer (the comments stay),
// the plain password into the keyring (go-keyring's in-memory mock here,
// a stand-in; the root package's import test uses a real Secret Service).
func TestImport(t *testing.T) {
	d, path := daemontest.New(t, importedConfig)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "canary-Import-7f3a"
	found := []discover.Found{
		{Source: "backrest", Name: "home", Repository: "/srv/restic/home/", Password: "x"},
		{Source: "backrest", Name: "nas", Repository: "/mnt/nas/restic", Password: secret,
			Env: map[string]discover.Secret{"AWS_ACCESS_KEY_ID": "id"}, AutoUnlock: config.AutoUnlockStale},
		{Source: "resticprofile", Name: "docs", Repository: "/backup/docs", PasswordFile: "/etc/restic/docs.pw",
			ResticprofileStatus: "/home/a/status.json", ResticprofileProfile: "docs"},
		{Source: "cron", Name: "cron", Repository: "/backup/cron"},
	}
	offer := discover.Offer(found, cfg)
	if offer[0].Configured != "nas" {
		t.Errorf("the repository at /srv/restic/home is configured as %q; want nas", offer[0].Configured)
	}
	if offer[1].Name != "nas-2" {
		t.Errorf("a new repository named like a configured one is offered as %q; want nas-2", offer[1].Name)
	}
	if !offer[3].NeedsPassword() || offer[2].NeedsPassword() {
		t.Errorf("NeedsPassword: cron %v, docs %v; want true, false", offer[3].NeedsPassword(), offer[2].NeedsPassword())
	}

	ctx := context.Background()
	b := api.Local{Daemon: d}
	if _, err := discover.Import(ctx, b, offer[0], discover.ImportOptions{}); !errors.Is(err, discover.ErrAlreadyConfigured) {
		t.Errorf("importing a configured repository: %v; want ErrAlreadyConfigured", err)
	}
	if _, err := discover.Import(ctx, b, offer[3], discover.ImportOptions{}); !errors.Is(err, discover.ErrNoPassword) {
		t.Errorf("importing without any password: %v; want ErrNoPassword", err)
	}
	for i, opts := range map[int]discover.ImportOptions{1: {}, 2: {}, 3: {Password: "typed"}} {
		if _, err := discover.Import(ctx, b, offer[i], opts); err != nil {
			t.Fatalf("importing %s: %v", offer[i].Name, err)
		}
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"# my repositories", "# the one I set up by hand", `name = "nas-2"`, `auto_unlock = "stale"`,
		`resticprofile_status = "/home/a/status.json"`, `resticprofile_profile = "docs"`, `password_file = "/etc/restic/docs.pw"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the config after the import lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, secret) || strings.Contains(text, "typed") {
		t.Errorf("a password landed in the config:\n%s", text)
	}
	for name, want := range map[string]string{"nas-2": secret, "cron": "typed"} {
		if pw, err := config.KeyringPassword(name); err != nil || pw != want {
			t.Errorf("keyring entry of %s: %v (right value: %v)", name, err, pw == want)
		}
	}
	cfg, err = config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := cfg.Repo("nas-2"); r == nil || !r.PasswordKeyring || r.Env["AWS_ACCESS_KEY_ID"] != "id" {
		t.Errorf("nas-2 as loaded: %v", r)
	}
}

// With no keyring, the user may choose password files instead: each is
// written beside the config, readable by the user alone, and referenced.
func TestImportToPasswordFile(t *testing.T) {
	d, path := daemontest.New(t, importedConfig)
	c := discover.Candidate{Found: discover.Found{Source: "autorestic", Name: "hdd", Repository: "/mnt/hdd", Password: "canary-File-19"}}
	dir := discover.PasswordDir(path)
	view, err := discover.Import(context.Background(), api.Local{Daemon: d}, c, discover.ImportOptions{PasswordDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "hdd")
	if view.PasswordSource != config.PasswordFromFile || view.PasswordFile != want {
		t.Errorf("imported as %+v; want the password file %s", view, want)
	}
	fi, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the password file's mode is %v; want 0600", fi.Mode().Perm())
	}
	if data, _ := os.ReadFile(want); string(data) != "canary-File-19\n" {
		t.Error("the password file does not hold the password")
	}
	if _, err := config.KeyringPassword("hdd"); err == nil {
		t.Error("the password went to the keyring too")
	}
}

// A password file never replaces another: a name already taken (by a
// repository renamed since, or one whose name maps to the same file) gets
// a file of its own, and a repository that is not added leaves none.
func TestPasswordFilesNeverReplaceAnother(t *testing.T) {
	dir := t.TempDir()
	first, err := discover.WritePasswordFile(dir, "my nas", "first-pw")
	if err != nil {
		t.Fatal(err)
	}
	second, err := discover.WritePasswordFile(dir, "my_nas", "second-pw")
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatalf("two repositories share the password file %s", first)
	}
	if data, _ := os.ReadFile(first); string(data) != "first-pw\n" {
		t.Errorf("the first password file was overwritten: %q", data)
	}
	if _, err := discover.WritePasswordFile(dir, "x", " padded "); err == nil {
		t.Error("a password restic would trim was written to a file")
	}

	d, path := daemontest.New(t, importedConfig)
	// "nas" is taken in the config: AddRepo refuses, and the file goes again.
	c := discover.Candidate{Found: discover.Found{Source: "autorestic", Name: "nas", Repository: "/mnt/other", Password: "pw-refused"}}
	pwDir := discover.PasswordDir(path)
	if _, err := discover.Import(context.Background(), api.Local{Daemon: d}, c, discover.ImportOptions{PasswordDir: pwDir}); err == nil {
		t.Fatal("a second repository named nas was added")
	}
	entries, _ := os.ReadDir(pwDir)
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(pwDir, e.Name()))
		if strings.Contains(string(data), "pw-refused") {
			t.Errorf("the refused repository's password stayed in %s", e.Name())
		}
	}
}
