package config

import (
	"strings"
	"testing"
)

// FuzzConfig feeds the parser any bytes: it never panics, every error
// names the file, and what it accepts holds no control characters in the
// values lockwatch prints.
func FuzzConfig(f *testing.F) {
	f.Add([]byte("[defaults]\ncheck_interval = \"5m\"\n[[repo]]\nname = \"nas\"\nrepository = \"/srv/restic\"\npassword_file = \"/etc/pw\"\nauto_unlock = \"stale\"\n"))
	f.Add([]byte("[[repo]]\nname = \"a\"\nrepository_file = \"/r\"\npassword_command = \"pass show x\"\nenv = { AWS_ACCESS_KEY_ID = \"k\" }\n[repo.env]\nB = \"v\"\n"))
	f.Add([]byte("[defaults]\nunrefreshed_after = \"1m\"\ntimeout = \"-1s\"\nhistory_days = -3\n"))
	f.Add([]byte("[[repo]]\nname = \"x\\u001b[2J\"\nrepository = \"a\\nb\"\n"))
	f.Add([]byte("[[repo]\nname = "))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.toml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.toml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for _, r := range cfg.Repos {
			if hasControl(r.Name) || hasControl(r.Location()) {
				t.Fatalf("accepted a control character: %q %q", r.Name, r.Location())
			}
		}
	})
}
