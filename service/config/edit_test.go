package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetAutoUnlockKeepsTheFile(t *testing.T) {
	const text = `# my backups
[defaults]
check_interval = "10m"   # laptop: not too often

[[repo]]
name = "nas"
repository = "/srv/nas"
password_file = "/etc/restic/nas"
auto_unlock = "off"   # decided 2026-01

# the USB disk
[[repo]]
  name = "usb"
  repository = "/media/usb/restic"
  password_file = "/etc/restic/usb"
`
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := SetAutoUnlock(path, "nas", AutoUnlockStale)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := cfg.Repo("nas"); r.AutoUnlock != AutoUnlockStale {
		t.Errorf("returned config has nas at %q", r.AutoUnlock)
	}
	if _, err := SetAutoUnlock(path, "usb", AutoUnlockUnrefreshed); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := strings.Replace(text, `auto_unlock = "off"   # decided`, `auto_unlock = "stale"   # decided`, 1)
	want = strings.Replace(want, "  name = \"usb\"\n", "  name = \"usb\"\n  auto_unlock = \"unrefreshed\"\n", 1)
	if string(got) != want {
		t.Errorf("file after two edits:\n%s\nwant:\n%s", got, want)
	}
	// The owner's and group's bits stay as the user set them; others lose
	// theirs (the file may hold secrets).
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := loaded.Repo("usb"); r.AutoUnlock != AutoUnlockUnrefreshed {
		t.Errorf("usb reloaded with %q", r.AutoUnlock)
	}
	if loaded.Defaults.CheckInterval.Duration.String() != "10m0s" {
		t.Errorf("other settings changed: %+v", loaded.Defaults)
	}
}

func TestSetAutoUnlockFallsBackWithoutLosingSettings(t *testing.T) {
	// An inline array of tables: the line edit cannot handle it, Save can.
	text := `repo = [{name = "a", repository = "/r/a", password_file = "/p/a", env = {X = "1"}}]` + "\n"
	path := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(path, []byte(text), 0o600)
	if _, err := SetAutoUnlock(path, "a", AutoUnlockStale); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := cfg.Repo("a")
	if r.AutoUnlock != AutoUnlockStale || r.Env["X"] != "1" || r.PasswordFile != "/p/a" {
		t.Errorf("after fallback: %+v", r)
	}
}

func TestSetAutoUnlockRejects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(path, []byte("[[repo]]\nname = \"a\"\nrepository = \"/r\"\npassword_file = \"/p\"\n"), 0o600)
	if _, err := SetAutoUnlock(path, "a", "always"); err == nil || !strings.Contains(err.Error(), `not "always"`) {
		t.Errorf("bad level: %v", err)
	}
	if _, err := SetAutoUnlock(path, "b", AutoUnlockStale); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("unknown repo: %v", err)
	}
}
