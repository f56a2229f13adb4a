package config

import (
	"strings"
	"testing"
)

func TestKeyringSourceAndAppSettings(t *testing.T) {
	SelfCommand = "/opt/lock watch/lockwatch"
	defer func() { SelfCommand = "lockwatch" }()
	cfg, err := Parse("c.toml", []byte("[defaults]\nnotifications = false\nhistory_days = 30\n[[repo]]\nname = \"nas\"\nrepository = \"/r\"\npassword_keyring = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Defaults.Notifications || cfg.Defaults.HistoryDays != 30 {
		t.Errorf("defaults: %+v", cfg.Defaults)
	}
	r, _ := cfg.Repo("nas")
	env := strings.Join(r.Environ(), "\n")
	if !strings.Contains(env, "RESTIC_PASSWORD_COMMAND=/opt/lock watch/lockwatch keyring get nas") {
		t.Errorf("keyring repo environment:\n%s", env)
	}
	for _, c := range []struct{ text, want string }{
		{"[[repo]]\nname = \"a\"\nrepository = \"/r\"\npassword_keyring = true\npassword_file = \"/p\"\n", `c.toml:5: repo "a": password_file and password_keyring are both set; use exactly one`},
		{"[[repo]]\nname = \"a\"\nrepository = \"/r\"\npassword_keyring = false\n", `c.toml:1: repo "a": no password source`},
		{"[[repo]]\nname = \"a\"\nrepository = \"/r\"\npassword_keyring = \"yes\"\n", `c.toml:4: repo "a": password_keyring must be true or false`},
		{"[defaults]\nnotifications = 1\nhistory_days = 0\n", `c.toml:2: notifications must be true or false`},
		{"[defaults]\n\nwatch = \"no\"\n", `c.toml:3: watch must be true or false, not a string`},
		{"[defaults]\nhistory_days = 0\n", `c.toml:2: history_days must be a whole number of days, at least 1`},
	} {
		_, err := Parse("c.toml", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
}

func TestReaderKey(t *testing.T) {
	cfg, err := Parse("c.toml", []byte("[[repo]]\nname = \"a\"\nrepository = \"/r\"\npassword_file = \"/p\"\nreader = \"restic\"\n"))
	if err != nil || cfg.Repos[0].Reader != ReaderRestic {
		t.Fatalf("reader = restic: %v %+v", err, cfg)
	}
	_, err = Parse("c.toml", []byte("[[repo]]\nname = \"a\"\nrepository = \"/r\"\npassword_file = \"/p\"\nreader = \"fast\"\n"))
	if err == nil || !strings.Contains(err.Error(), `c.toml:5: repo "a": reader must be "auto", "native" or "restic", not "fast"`) {
		t.Errorf("bad reader: %v", err)
	}
}
