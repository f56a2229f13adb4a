package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// editBase has one repository of each password source, with secrets in
// places the view must hide: env values, a command, a URL password.
const editBase = `[defaults]
check_interval = "5m"

[[repo]]
name = "nas"
repository = "/srv/restic"
password_file = "/etc/restic/pw"
env = { AWS_ACCESS_KEY_ID = "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY = "s3cr3t-env" }
check_interval = "10m"
auto_unlock = "stale"

[[repo]]
name = "cloud"
repository = "rest:https://me:url-s3cr3t@host:8000/repo"
password_command = "echo cmd-s3cr3t"

[[repo]]
name = "laptop"
repository = "/backup"
password_keyring = true
`

var editSecrets = []string{"AKIAEXAMPLE", "s3cr3t-env", "url-s3cr3t", "cmd-s3cr3t"}

func editConfig(t *testing.T) *Config {
	t.Helper()
	cfg, err := Parse(testFile, []byte(editBase))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func noSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, editSecrets...) {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q:\n%s", what, s, text)
		}
	}
}

func TestViewHidesSecrets(t *testing.T) {
	v := editConfig(t).View()
	want := ConfigView{
		Path: testFile, Notifications: true, CheckInterval: "5m",
		Repos: []RepoView{
			{Name: "nas", Repository: "/srv/restic", PasswordSource: "file", PasswordFile: "/etc/restic/pw",
				Env: map[string]string{"AWS_ACCESS_KEY_ID": MaskedValue, "AWS_SECRET_ACCESS_KEY": MaskedValue}, CheckInterval: "10m", AutoUnlock: "stale"},
			{Name: "cloud", Repository: "rest:https://me:***@host:8000/repo", PasswordSource: "command", AutoUnlock: "off"},
			{Name: "laptop", Repository: "/backup", PasswordSource: "keyring", AutoUnlock: "off"},
		},
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("View:\n got %+v\nwant %+v", v, want)
	}
	data, _ := json.Marshal(v)
	noSecrets(t, "the view's JSON", string(data))
}

func TestPutRepoAddsWithoutTouchingTheOriginal(t *testing.T) {
	cfg := editConfig(t)
	t.Setenv("LW_TEST_HOME", "/home/t")
	next, fields := cfg.PutRepo("", RepoInput{
		Name: " usb ", Repository: "$LW_TEST_HOME/usb-repo", PasswordFile: "/p",
		Env: map[string]string{"B2_ACCOUNT_ID": "id"}, CheckInterval: "90s", AutoUnlock: AutoUnlockUnrefreshed,
	})
	if fields != nil {
		t.Fatalf("fields: %v", fields)
	}
	if len(cfg.Repos) != 3 {
		t.Fatalf("the original config changed: %v", cfg.Repos)
	}
	r, ok := next.Repo("usb")
	if !ok {
		t.Fatalf("no usb repo in %v", next.Repos)
	}
	want := Repo{Name: "usb", Repository: "/home/t/usb-repo", PasswordFile: "/p", Env: map[string]string{"B2_ACCOUNT_ID": "id"},
		CheckInterval: Duration{90 * time.Second}, AutoUnlock: AutoUnlockUnrefreshed}
	if !reflect.DeepEqual(*r, want) {
		t.Errorf("added repo:\n got %#v\nwant %#v", *r, want)
	}
	if next.Path != cfg.Path || next.Defaults != cfg.Defaults {
		t.Errorf("path or defaults changed: %q %+v", next.Path, next.Defaults)
	}
}

func TestPutRepoEditKeepsMaskedSecrets(t *testing.T) {
	cfg := editConfig(t)
	view, _ := cfg.View().Repo("cloud")
	next, fields := cfg.PutRepo("cloud", RepoInput{
		Name: "cloud2", Repository: view.Repository, // redacted, unchanged
		Env: map[string]string{"NEW": "v"}, // command "": keep it
	})
	if fields != nil {
		t.Fatalf("fields: %v", fields)
	}
	if _, ok := next.Repo("cloud"); ok {
		t.Error("the old name is still there after a rename")
	}
	r, _ := next.Repo("cloud2")
	if r.Repository != "rest:https://me:url-s3cr3t@host:8000/repo" || r.PasswordCommand != "echo cmd-s3cr3t" {
		t.Errorf("rename lost the URL's password or the command: %q %q", r.Repository, r.PasswordCommand)
	}
	if next.Repos[1].Name != "cloud2" {
		t.Errorf("the edited repo moved: %v", next.Repos)
	}

	nas, _ := cfg.View().Repo("nas")
	nas.Env["AWS_ACCESS_KEY_ID"] = "AKIANEW"
	delete(nas.Env, "AWS_SECRET_ACCESS_KEY")
	nas.Env["EXTRA"] = "x"
	next, fields = cfg.PutRepo("nas", RepoInput{Name: "nas", Repository: nas.Repository, PasswordFile: nas.PasswordFile,
		Env: map[string]string{"AWS_ACCESS_KEY_ID": MaskedValue, "AWS_SECRET_ACCESS_KEY": "changed", "  ": ""}, AutoUnlock: nas.AutoUnlock})
	if fields != nil {
		t.Fatalf("fields: %v", fields)
	}
	r, _ = next.Repo("nas")
	if want := map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "changed"}; !reflect.DeepEqual(r.Env, want) {
		t.Errorf("env = %v, want %v", r.Env, want)
	}
	if r.CheckInterval.Duration != 0 {
		t.Errorf("an empty check interval should fall back to the default, got %v", r.CheckInterval)
	}

	// Switching the command repo to the keyring drops the command.
	next, fields = cfg.PutRepo("cloud", RepoInput{Name: "cloud", Repository: "/r", PasswordKeyring: true, Password: "typed"})
	if fields != nil {
		t.Fatalf("fields: %v", fields)
	}
	if r, _ := next.Repo("cloud"); r.PasswordCommand != "" || !r.PasswordKeyring {
		t.Errorf("keyring switch: %#v command %q", r, r.PasswordCommand)
	}
}

func TestPutRepoFieldErrors(t *testing.T) {
	cfg := editConfig(t)
	ok := RepoInput{Name: "new", Repository: "/r", PasswordFile: "/p"}
	with := func(f func(*RepoInput)) RepoInput { in := ok; f(&in); return in }
	tests := []struct {
		name    string
		oldName string
		in      RepoInput
		want    map[string]string // field → substring
	}{
		{"duplicate name", "", with(func(in *RepoInput) { in.Name = "nas" }), map[string]string{"name": `already named "nas"`}},
		{"rename onto another", "cloud", with(func(in *RepoInput) { in.Name = "laptop" }), map[string]string{"name": `already named "laptop"`}},
		{"bad name", "", with(func(in *RepoInput) { in.Name = "a/b" }), map[string]string{"name": "must not contain"}},
		{"blank name", "", with(func(in *RepoInput) { in.Name = "  " }), map[string]string{"name": "empty"}},
		{"bad interval", "", with(func(in *RepoInput) { in.CheckInterval = "5 min" }), map[string]string{"check_interval": `"5 min" is not a duration`}},
		{"short interval", "", with(func(in *RepoInput) { in.CheckInterval = "10ms" }), map[string]string{"check_interval": "at least 1s"}},
		{"no password", "", with(func(in *RepoInput) { in.PasswordFile = "" }), map[string]string{"password": "no password source"}},
		{"two sources", "", with(func(in *RepoInput) { in.PasswordKeyring = true }), map[string]string{"password": "choose one"}},
		{"typed password without keyring", "", with(func(in *RepoInput) { in.Password = "pw-s3cr3t" }), map[string]string{"password": "only in the OS keyring"}},
		{"unset variable", "", with(func(in *RepoInput) { in.PasswordFile = "$LW_SURELY_UNSET/pw" }), map[string]string{"password": "LW_SURELY_UNSET is not set"}},
		{"no repository", "", with(func(in *RepoInput) { in.Repository = "" }), map[string]string{"repository": "no repository"}},
		{"two repositories", "", with(func(in *RepoInput) { in.RepositoryFile = "/f" }), map[string]string{"repository": "both set"}},
		{"reserved env", "", with(func(in *RepoInput) { in.Env = map[string]string{"RESTIC_PASSWORD": "env-s3cr3t"} }), map[string]string{"env": "RESTIC_PASSWORD must not be set"}},
		{"bad env name", "", with(func(in *RepoInput) { in.Env = map[string]string{"A B": "env-s3cr3t"} }), map[string]string{"env": "invalid variable name"}},
		{"value without name", "", with(func(in *RepoInput) { in.Env = map[string]string{"": "env-s3cr3t"} }), map[string]string{"env": "no name"}},
		{"masked new variable", "", with(func(in *RepoInput) { in.Env = map[string]string{"NEW": MaskedValue} }), map[string]string{"env": "NEW: type its value"}},
		{"bad auto-unlock", "", with(func(in *RepoInput) { in.AutoUnlock = "always" }), map[string]string{"auto_unlock": `"off", "stale" or "unrefreshed"`}},
		{"gone", "nope", ok, map[string]string{"name": `no repository named "nope"`}},
		{"several at once", "", RepoInput{Name: "nas", CheckInterval: "x"}, map[string]string{
			"name": "already named", "check_interval": "not a duration", "password": "no password source", "repository": "no repository"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, fields := cfg.PutRepo(tt.oldName, tt.in)
			if next != nil {
				t.Errorf("got a config despite errors")
			}
			if len(fields) != len(tt.want) {
				t.Errorf("fields = %v, want keys of %v", fields, tt.want)
			}
			for k, sub := range tt.want {
				if !strings.Contains(fields[k], sub) {
					t.Errorf("fields[%q] = %q, want it to contain %q (all: %v)", k, fields[k], sub, fields)
				}
			}
			noSecrets(t, "field errors", fields.String(), "pw-s3cr3t", "env-s3cr3t")
		})
	}
}

func TestPutRepoSavesAndLoadsAgain(t *testing.T) {
	cfg := editConfig(t)
	cfg.Path = filepath.Join(t.TempDir(), "config.toml")
	next, fields := cfg.PutRepo("nas", RepoInput{Name: "nas", Repository: "/srv/restic", PasswordFile: "/etc/restic/pw",
		Env: map[string]string{"AWS_ACCESS_KEY_ID": MaskedValue}, CheckInterval: "1h30m"})
	if fields != nil {
		t.Fatal(fields)
	}
	if err := Save(next); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, next) {
		t.Errorf("loaded %+v\nsaved %+v", loaded, next)
	}
	if fi, _ := os.Stat(cfg.Path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
}

func TestDeleteRepo(t *testing.T) {
	cfg := editConfig(t)
	next, err := cfg.DeleteRepo("cloud")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Repos) != 3 || len(next.Repos) != 2 || next.Repos[0].Name != "nas" || next.Repos[1].Name != "laptop" {
		t.Errorf("after delete: %v (original %v)", next.Repos, cfg.Repos)
	}
	if _, err := cfg.DeleteRepo("nope"); err == nil || !strings.Contains(err.Error(), `no repository named "nope"`) {
		t.Errorf("deleting a missing repo: %v", err)
	}
}

func TestRepoInputStringHidesSecrets(t *testing.T) {
	in := RepoInput{Name: "x", Repository: "rest:https://me:url-s3cr3t@h/", PasswordCommand: "echo cmd-s3cr3t", Password: "pw-s3cr3t",
		Env: map[string]string{"K": "env-s3cr3t"}}
	for _, s := range []string{in.String(), in.GoString()} {
		noSecrets(t, "RepoInput.String", s, "pw-s3cr3t", "env-s3cr3t")
	}
}

func TestSetNotifications(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, in, want string
		on             bool
	}{
		{"changes the line", "# mine\n[defaults]\nnotifications = true # keep\n\n" + repoOK, "# mine\n[defaults]\nnotifications = false # keep\n\n" + repoOK, false},
		{"adds it under [defaults]", "[defaults] # d\r\ntimeout = \"1m\"\r\n" + repoOK, "[defaults] # d\r\nnotifications = false\r\ntimeout = \"1m\"\r\n" + repoOK, false},
		{"turns it on", "[defaults]\nnotifications = false\n", "[defaults]\nnotifications = true\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "c.toml")
			if err := os.WriteFile(path, []byte(tt.in), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := SetNotifications(path, tt.on)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			if string(data) != tt.want {
				t.Errorf("file:\n%s\nwant:\n%s", data, tt.want)
			}
			if cfg.Defaults.Notifications != tt.on {
				t.Errorf("returned config has notifications = %v", cfg.Defaults.Notifications)
			}
		})
	}
	// No [defaults] table: one is added at the end.
	path := filepath.Join(dir, "bare.toml")
	if err := os.WriteFile(path, []byte("# mine\n"+repoOK), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := SetNotifications(path, false); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "# mine\n"+repoOK+"\n[defaults]\nnotifications = false\n" {
		t.Errorf("file:\n%s", data)
	}
	// Defaults set in a way the edit does not follow: the whole file is
	// written anew, settings intact.
	if err := os.WriteFile(path, []byte("defaults.timeout = \"1m\"\n"+repoOK), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := SetNotifications(path, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Defaults.Notifications || cfg.Defaults.Timeout.Duration != time.Minute || len(cfg.Repos) != 1 || cfg.Repos[0].PasswordFile != "/etc/restic/pw" {
		t.Errorf("after the fallback: %+v", cfg)
	}
}
