package discover

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lockwatch/lockwatch/service/config"
)

func TestDedup(t *testing.T) {
	backrest := Found{Source: SourceBackrest, File: "/b/config.json", Line: 4, Name: "home",
		Repository: "/srv/restic/home/", Env: secrets("AWS_ACCESS_KEY_ID", "a"),
		Notes: notes(newNote(NoteNoPassword, "no password source found: type its password when importing (it goes to the OS keyring)"))}
	unit := Found{Source: SourceSystemd, File: "/u/restic.service", Line: 9, Name: "restic",
		Repository: "/srv/restic/./home", PasswordFile: "/etc/pw",
		Env:   secrets("AWS_ACCESS_KEY_ID", "b", "AWS_SECRET_ACCESS_KEY", "CANARY-2"),
		Notes: notes("a note of its own")}
	cron := Found{Source: SourceCron, File: "crontab -l", Line: 3, Name: "home", Repository: "~/../../srv/restic/home", PasswordCommand: "pass x"}
	other := Found{Source: SourceEnv, Name: "x", Repository: "s3:host/bucket/"}
	same := Found{Source: SourceCron, File: "crontab -l", Line: 5, Name: "y", Repository: "s3:host/bucket"}

	got := Dedup([]Found{backrest, unit, cron, other, same}, "/home/alice")
	checkFound(t, got, []Found{{
		Source: SourceBackrest, File: "/b/config.json", Line: 4, Name: "home",
		Repository: "/srv/restic/home/",
		// What the first lacks comes from the others; where they disagree, the first wins.
		PasswordFile: "/etc/pw",
		Env:          secrets("AWS_ACCESS_KEY_ID", "a", "AWS_SECRET_ACCESS_KEY", "CANARY-2"),
		Also:         []Origin{{SourceSystemd, "/u/restic.service", 9}, {SourceCron, "crontab -l", 3}},
		Notes: notes(
			"the password source comes from systemd /u/restic.service:9",
			"env AWS_ACCESS_KEY_ID has another value in systemd /u/restic.service:9; this one is kept",
			"systemd: a note of its own",
			"cron crontab -l:3 gives another password source (command); this one is kept",
		),
	}, {
		Source: SourceEnv, Name: "x", Repository: "s3:host/bucket/",
		Also: []Origin{{SourceCron, "crontab -l", 5}},
	}})
}

func TestUniqueNames(t *testing.T) {
	found := []Found{{Name: "laptop"}, {Name: "nas"}, {Name: "laptop"}, {Name: "laptop-2"}, {Name: "laptop"}}
	uniqueNames(found)
	var names []string
	for _, f := range found {
		names = append(names, f.Name)
	}
	if want := []string{"laptop", "nas", "laptop-2", "laptop-2-2", "laptop-3"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %q; want %q", names, want)
	}
}

func TestSanitizeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"home", "home"},
		{"b2/offsite", "b2-offsite"},
		{`C:\backup`, "C:-backup"},
		{"  spaced  ", "spaced"},
		{"tab\there\n", "tabhere"},
		{"..", "fallback"},
		{"   ", "fallback"},
		{"Übersicht 📦", "Übersicht 📦"},
	} {
		if got := SanitizeName(tc.in, "fallback"); got != tc.want {
			t.Errorf("SanitizeName(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	// What SanitizeName gives, config takes.
	for _, name := range []string{SanitizeName("a/b\\c\x00", "x"), nameFromLocation("sftp:u@h:/srv/restic/", "x"), nameFromLocation("/", "x")} {
		text := "[[repo]]\nname = " + quoteTOML(name) + "\nrepository = \"/srv/r\"\npassword_file = \"/etc/pw\"\n"
		if _, err := config.Parse("test.toml", []byte(text)); err != nil {
			t.Errorf("config refuses the name %q: %v", name, err)
		}
	}
}

func quoteTOML(s string) string { return "'" + s + "'" }

func TestNameFromLocation(t *testing.T) {
	for loc, want := range map[string]string{
		"/srv/restic/laptop":                      "laptop",
		"/srv/restic/laptop/":                     "laptop",
		"local:/mnt/usb":                          "usb",
		"s3:s3.amazonaws.com/bucket/laptop":       "laptop",
		"sftp:backup@nas.lan:/srv/restic/photos/": "photos",
		"rest:https://host:8000/":                 "8000",
		"b2:bucket":                               "bucket",
		"/":                                       "fallback",
	} {
		if got := nameFromLocation(loc, "fallback"); got != want {
			t.Errorf("nameFromLocation(%q) = %q; want %q", loc, got, want)
		}
	}
}

func TestConfiguredAs(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	cfg, err := config.Parse("config.toml", []byte(`
[[repo]]
name = "home"
repository = "/srv/restic/home"
password_file = "/etc/pw"

[[repo]]
name = "nas"
repository = "sftp:backup@nas.lan:/srv/restic/laptop"
password_file = "/etc/pw"

[[repo]]
name = "mine"
repository = "~/restic"
password_file = "/etc/pw"

[[repo]]
name = "by-file"
repository_file = "/etc/restic/repo"
password_file = "/etc/pw"
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    Found
		want string
	}{
		{Found{Repository: "/srv/restic/home"}, "home"},
		{Found{Repository: "/srv/restic//home/"}, "home"}, // cleaned
		{Found{Repository: "local:/srv/restic/home"}, "home"},
		{Found{Repository: "/srv/restic/home2"}, ""},
		{Found{Repository: "sftp:backup@nas.lan:/srv/restic/laptop/"}, "nas"}, // a trailing slash
		{Found{Repository: "sftp:backup@nas.lan:/srv/restic/photos"}, ""},
		{Found{Repository: filepath.Join(home, "restic")}, "mine"}, // ~ expanded on both sides
		{Found{Repository: "~/restic/"}, "mine"},
		{Found{RepositoryFile: "/etc/restic/../restic/repo"}, "by-file"},
		{Found{RepositoryFile: "/srv/restic/home"}, ""}, // a file naming a repository is not that repository
		{Found{}, ""},
	} {
		if got := ConfiguredAs(tc.f, cfg); got != tc.want {
			t.Errorf("ConfiguredAs(%q, %q) = %q; want %q", tc.f.Repository, tc.f.RepositoryFile, got, tc.want)
		}
	}
	if ConfiguredAs(Found{Repository: "/srv/restic/home"}, nil) != "" {
		t.Error("a nil config has a repository")
	}
}
