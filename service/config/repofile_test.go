package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// commentedConfig is a config as a user writes it: comments above and
// beside tables and keys, a ~ path, its own indentation, and keys the
// settings form does not show (max_snapshot_age).
const commentedConfig = `# my backups
[defaults]
check_interval = "10m"   # laptop: not too often

# the NAS in the cellar
[[repo]]
name = "nas"            # short
repository = "/srv/nas"
password_file = "~/.restic/nas"   # ~ stays as written
env = { B2_ACCOUNT_ID = "id" }
auto_unlock = "stale"   # decided 2026-01
max_snapshot_age = "48h"

# the USB disk
[[repo]]
  name = "usb"
  repository = "/media/usb/restic"
  password_file = "/etc/restic/usb"
`

// writeConfig writes text to a config file in a temporary directory and
// loads it.
func writeConfig(t *testing.T, text string) *Config {
	t.Helper()
	t.Setenv("HOME", "/home/t")
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// putAndSave is what the daemon does for the settings form: PutRepo, then
// SaveRepo.
func putAndSave(t *testing.T, cfg *Config, oldName string, in RepoInput) *Config {
	t.Helper()
	next, fields := cfg.PutRepo(oldName, in)
	if fields != nil {
		t.Fatalf("fields: %v", fields)
	}
	if err := SaveRepo(next, oldName, strings.TrimSpace(in.Name)); err != nil {
		t.Fatal(err)
	}
	// What was saved loads back as exactly what was put.
	if loaded, err := Load(next.Path); err != nil || !reflect.DeepEqual(loaded, next) {
		data, _ := os.ReadFile(next.Path)
		t.Fatalf("the saved file loads as %+v, %v; want %+v\n%s", loaded, err, next, data)
	}
	return next
}

// nasInput is the settings form for nas as the view shows it, unchanged.
var nasInput = RepoInput{Name: "nas", Repository: "/srv/nas", PasswordFile: "/home/t/.restic/nas",
	Env: map[string]string{"B2_ACCOUNT_ID": MaskedValue}, AutoUnlock: AutoUnlockStale}

var usbInput = RepoInput{Name: "usb", Repository: "/media/usb/restic", PasswordFile: "/etc/restic/usb"}

func TestSaveRepoEditsOnlyThatTable(t *testing.T) {
	nasChanged := nasInput
	nasChanged.Repository, nasChanged.AutoUnlock, nasChanged.CheckInterval = "/srv/nas2", AutoUnlockUnrefreshed, "1h"
	nasChanged.Env = map[string]string{"B2_ACCOUNT_ID": MaskedValue, "B2_ACCOUNT_KEY": "k"}
	usbRenamed := usbInput
	usbRenamed.Name = "usb disk"

	for _, tt := range []struct {
		name     string
		in       string // the file before; commentedConfig if ""
		del      string // the repo to delete, or
		old      string // the repo to put (add if "")
		input    RepoInput
		want     string
		crlfToo  bool // run again with CRLF line endings
		fallback bool // the file is written anew: compare settings, not text
	}{
		{name: "add", input: RepoInput{Name: "cloud", Repository: "rest:https://h/r", PasswordFile: "/p"},
			want:    commentedConfig + "\n[[repo]]\nname = \"cloud\"\nrepository = \"rest:https://h/r\"\npassword_file = \"/p\"\n",
			crlfToo: true},
		{name: "add to a file without a final newline", in: strings.TrimSuffix(commentedConfig, "\n"),
			input: RepoInput{Name: "cloud", Repository: "/c", PasswordKeyring: false, PasswordCommand: "pass show restic"},
			want:  commentedConfig + "\n[[repo]]\nname = \"cloud\"\nrepository = \"/c\"\npassword_command = \"pass show restic\"\n"},
		{name: "add the first", in: "# nothing yet\n[defaults]\nnotifications = false\n",
			input: RepoInput{Name: "cloud", Repository: "/c", PasswordFile: "/p", AutoUnlock: AutoUnlockStale},
			want:  "# nothing yet\n[defaults]\nnotifications = false\n\n[[repo]]\nname = \"cloud\"\nrepository = \"/c\"\npassword_file = \"/p\"\nauto_unlock = \"stale\"\n"},
		{name: "unchanged", old: "nas", input: nasInput, want: commentedConfig},
		{name: "edit", old: "nas", input: nasChanged, crlfToo: true,
			want: strings.NewReplacer(
				`repository = "/srv/nas"`, `repository = "/srv/nas2"`,
				`env = { B2_ACCOUNT_ID = "id" }`, `env = { B2_ACCOUNT_ID = "id", B2_ACCOUNT_KEY = "k" }`,
				`auto_unlock = "stale"   # decided`, `auto_unlock = "unrefreshed"   # decided`,
				"max_snapshot_age = \"48h\"\n", "max_snapshot_age = \"48h\"\ncheck_interval = \"1h\"\n",
			).Replace(commentedConfig)},
		{name: "turn auto-unlock off, change the password source", old: "nas",
			input: RepoInput{Name: "nas", Repository: "/srv/nas", PasswordCommand: "pass nas", Env: nasInput.Env},
			want: strings.NewReplacer(
				"password_file = \"~/.restic/nas\"   # ~ stays as written\n", "",
				`auto_unlock = "stale"   # decided`, `auto_unlock = "off"   # decided`,
				"max_snapshot_age = \"48h\"\n", "max_snapshot_age = \"48h\"\npassword_command = \"pass nas\"\n",
			).Replace(commentedConfig)},
		{name: "rename", old: "usb", input: usbRenamed, crlfToo: true,
			want: strings.Replace(commentedConfig, `  name = "usb"`, `  name = "usb disk"`, 1)},
		{name: "rename the first", old: "nas", input: func() RepoInput { in := nasInput; in.Name = "cellar"; return in }(),
			want: strings.Replace(commentedConfig, `name = "nas"            # short`, `name = "cellar"            # short`, 1)},
		{name: "delete the first", del: "nas", crlfToo: true,
			want: "# my backups\n[defaults]\ncheck_interval = \"10m\"   # laptop: not too often\n\n" +
				"# the USB disk\n[[repo]]\n  name = \"usb\"\n  repository = \"/media/usb/restic\"\n  password_file = \"/etc/restic/usb\"\n"},
		{name: "delete the last", del: "usb", crlfToo: true,
			want: commentedConfig[:strings.Index(commentedConfig, "\n# the USB disk")]},
		{name: "delete with a table after it", del: "usb", in: commentedConfig[strings.Index(commentedConfig, "# the NAS"):] + "\n# later\n[defaults]\ntimeout = \"1m\"\n",
			want: commentedConfig[strings.Index(commentedConfig, "# the NAS"):strings.Index(commentedConfig, "# the USB disk")] + "# later\n[defaults]\ntimeout = \"1m\"\n"},
		{name: "env in a [repo.env] table is written inline", old: "a",
			in:    "# top\n[[repo]] # a\nname = \"a\"\nrepository = \"/a\" # here\npassword_file = \"/p\"\n[repo.env]\nK = \"v\"\n\n# next\n[defaults]\ntimeout = \"1m\"\n",
			input: RepoInput{Name: "a", Repository: "/a", PasswordFile: "/p", Env: map[string]string{"K": MaskedValue, "L": "w"}},
			want:  "# top\n[[repo]] # a\nname = \"a\"\nrepository = \"/a\"\npassword_file = \"/p\"\nenv = { K = \"v\", L = \"w\" }\n\n# next\n[defaults]\ntimeout = \"1m\"\n"},
		// repo = [{...}] has no [[repo]] table to edit: the file is written
		// anew (the comments go, the settings stay).
		{name: "inline array of tables", old: "a", fallback: true,
			in:    "# gone\nrepo = [{ name = \"a\", repository = \"/a\", password_file = \"/p\" }]\n",
			input: RepoInput{Name: "a", Repository: "/b", PasswordFile: "/p"}},
	} {
		for _, crlf := range []bool{false, true} {
			if crlf && !tt.crlfToo {
				continue
			}
			name := tt.name
			if crlf {
				name += " CRLF"
			}
			t.Run(name, func(t *testing.T) {
				in, want := tt.in, tt.want
				if in == "" {
					in = commentedConfig
				}
				if crlf {
					in, want = strings.ReplaceAll(in, "\n", "\r\n"), strings.ReplaceAll(want, "\n", "\r\n")
				}
				cfg := writeConfig(t, in)
				var next *Config
				if tt.del != "" {
					var err error
					if next, err = cfg.DeleteRepo(tt.del); err != nil {
						t.Fatal(err)
					}
					if err := SaveRepo(next, tt.del, ""); err != nil {
						t.Fatal(err)
					}
				} else {
					next = putAndSave(t, cfg, tt.old, tt.input)
				}
				got, _ := os.ReadFile(cfg.Path)
				if !tt.fallback && string(got) != want {
					t.Errorf("file:\n%s\nwant:\n%s", got, want)
				}
				loaded, err := Load(cfg.Path)
				if err != nil {
					t.Fatalf("the saved file does not load: %v\n%s", err, got)
				}
				if !reflect.DeepEqual(loaded, next) {
					t.Errorf("loaded\n%+v\nwant\n%+v", loaded, next)
				}
			})
		}
	}
}

// TOML injection: values that would end a string or start a table, if
// written unquoted, come back exactly as typed.
func TestSaveRepoEscapesValues(t *testing.T) {
	hostile := []string{
		`a"b`,
		`x"]` + "\n" + `[[repo]]` + "\n" + `name = "evil`,
		`back\slash \" \u0041 'single' '''triple''' """dq"""`,
		`# not a comment ] [[repo]] = {`,
		"tab\there and unicode ✓ and a nul-free tail",
	}
	for i, value := range hostile {
		cfg := writeConfig(t, commentedConfig)
		// Names, paths and commands refuse control characters; env values
		// (a key may span lines) take them.
		flat := strings.NewReplacer("\n", " ", "\t", " ").Replace(value)
		in := RepoInput{
			Name:            fmt.Sprintf("r%d %s", i, strings.NewReplacer("/", "", `\`, "").Replace(flat)),
			Repository:      "/srv/" + flat,
			PasswordCommand: "echo " + flat,
			Env:             map[string]string{"V": value, "W": `"` + "\n[[repo]]\n", `K"].[[repo]]#`: "k"},
		}
		// Added, then edited under the same name, then renamed: each save
		// must load back as exactly what was put.
		next := putAndSave(t, cfg, "", in)
		for _, step := range []func(RepoInput) RepoInput{
			func(in RepoInput) RepoInput {
				in.Repository += ` "more"`
				in.Env = map[string]string{"V": value + `"`}
				return in
			},
			func(in RepoInput) RepoInput { in.Name += ` "renamed"`; return in },
		} {
			old := next.Repos[len(next.Repos)-1]
			in = step(in)
			next = putAndSave(t, next, old.Name, in)
		}
		loaded, err := Load(cfg.Path)
		if err != nil {
			data, _ := os.ReadFile(cfg.Path)
			t.Fatalf("value %q: the file does not load: %v\n%s", value, err, data)
		}
		if !reflect.DeepEqual(loaded, next) {
			t.Errorf("value %q: loaded\n%+v\nwant\n%+v", value, loaded.Repos, next.Repos)
		}
		r := loaded.Repos[len(loaded.Repos)-1]
		if len(loaded.Repos) != 3 || r.Name != in.Name || r.Repository != in.Repository || r.PasswordCommand != in.PasswordCommand || r.Env["V"] != value+`"` || len(r.Env) != 1 {
			t.Errorf("value %q: the repo came back as %#v (%d repos), env %q", value, r, len(loaded.Repos), r.Env)
		}
		data, _ := os.ReadFile(cfg.Path)
		if !strings.HasPrefix(string(data), commentedConfig) {
			t.Errorf("value %q: the rest of the file changed:\n%s", value, data)
		}
	}
}
