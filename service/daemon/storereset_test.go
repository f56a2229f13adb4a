package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/store"
)

// A state store overwritten with garbage costs the history, not the
// monitoring: the daemon starts, and its status says what happened.
func TestDaemonStartsOnACorruptStore(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte("[[repo]]\nname = \"nas\"\nrepository = \"/srv/restic\"\npassword_file = \"/etc/pw\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := StorePath(dir)
	if err := os.WriteFile(db, []byte(strings.Repeat("\x8b\x1f garbage ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(db)
	if err != nil {
		t.Fatalf("store: %v", err)
	}
	d, err := New(Options{ConfigPath: cfg, Store: st})
	if err != nil {
		t.Fatalf("the daemon did not start: %v", err)
	}
	if n := d.Status().Notice; !strings.Contains(n, db+".corrupt-") || !strings.Contains(n, "history starts anew") {
		t.Errorf("status notice %q", n)
	}
}
