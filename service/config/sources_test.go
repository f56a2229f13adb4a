package config

import (
	"os"
	"path/filepath"
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

func TestMetricsKeys(t *testing.T) {
	cfg, err := Parse("c.toml", []byte("[defaults]\nmetrics_listen = \"127.0.0.1:9977\"\ntextfile_path = \"/var/lib/node_exporter/lockwatch.prom\"\n"))
	if err != nil || cfg.Defaults.MetricsListen != "127.0.0.1:9977" || cfg.Defaults.TextfilePath != "/var/lib/node_exporter/lockwatch.prom" {
		t.Fatalf("metrics keys: %v %+v", err, cfg)
	}
	if cfg, err := Parse("c.toml", []byte("")); err != nil || cfg.Defaults.MetricsListen != "" || cfg.Defaults.TextfilePath != "" {
		t.Errorf("metrics are not off by default: %v %+v", err, cfg)
	}
	for _, c := range []struct{ text, want string }{
		{"[defaults]\nmetrics_listen = \"9977\"\n", `c.toml:2: metrics_listen "9977" is not host:port, e.g. "127.0.0.1:9977"`},
		{"[defaults]\nmetrics_listen = \"localhost:http\"\n", `c.toml:2: metrics_listen "localhost:http" has no port number`},
		{"[defaults]\n\ntextfile_path = \"/tmp/lockwatch.txt\"\n", `c.toml:3: textfile_path "/tmp/lockwatch.txt" must end in .prom`},
	} {
		_, err := Parse("c.toml", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
}

func TestLanguageKey(t *testing.T) {
	if cfg, err := Parse("c.toml", []byte("[defaults]\nlanguage = \"ja\"\n")); err != nil || cfg.Defaults.Language != "ja" {
		t.Fatalf("language = ja: %v %+v", err, cfg)
	}
	if _, err := Parse("c.toml", []byte("[defaults]\n\nlanguage = \"fr\"\n")); err == nil || !strings.Contains(err.Error(), `c.toml:3: language must be one of auto, en, zh-Hans, ja, not "fr"`) {
		t.Errorf("language = fr: %v", err)
	}
	path := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(path, []byte("# mine\n[defaults]\nnotifications = false # quiet\n"), 0o600)
	cfg, err := SetLanguage(path, "zh-Hans")
	if err != nil || cfg.Defaults.Language != "zh-Hans" || cfg.Defaults.Notifications {
		t.Fatalf("SetLanguage: %v %+v", err, cfg)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "# mine") || !strings.Contains(string(data), "notifications = false # quiet") || !strings.Contains(string(data), "zh-Hans") {
		t.Errorf("SetLanguage lost the file's lines:\n%s", data)
	}
	if _, err := SetLanguage(path, "xx"); err == nil {
		t.Error("SetLanguage took a language lockwatch does not speak")
	}
}
