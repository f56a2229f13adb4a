package check_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// A config change keeps the native readers whose settings stayed (no new
// scrypt run), but not when the timeout changed: each request of a native
// reader has the timeout it was opened with.
func TestAdoptKeepsReadersUnlessTheTimeoutChanged(t *testing.T) {
	repo := demotest.LocalRepo(t)
	withTimeout := func(timeout string) *check.Checker {
		text := fmt.Sprintf("[defaults]\ntimeout = %q\n[[repo]]\nname = \"r0\"\nrepository = %q\npassword_file = %q\nreader = \"native\"\n",
			timeout, repo.Location, repo.PasswordFile)
		cfg, err := config.Parse(filepath.Join(t.TempDir(), "config.toml"), []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		c := check.NewChecker(cfg)
		t.Cleanup(c.Close)
		return c
	}
	open := func(c *check.Checker) any {
		r, err := c.Repo("r0")
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Open(r)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := withTimeout("60s")
	d1 := open(first)

	same := withTimeout("60s")
	same.Adopt(first)
	if d := open(same); d != d1 {
		t.Errorf("with the same settings the reader was not adopted: %p, want %p", d, d1)
	}
	longer := withTimeout("90s")
	longer.Adopt(same)
	if d := open(longer); d == d1 {
		t.Errorf("with another timeout the old reader (and its 60s per request) was kept")
	}
}
