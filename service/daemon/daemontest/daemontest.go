// Package daemontest runs a real daemon (not its scheduler) for the tests
// of what sits on top of it: the local API and the app.
package daemontest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/store"
)

// New makes a daemon on a config file holding text, in a temp dir with the
// store beside it, and returns it and the config's path. The OS keyring is
// go-keyring's in-memory mock from here on, a stand-in: in-process tests
// must not reach the developer's keyring (TestKeyringWithARealSecretService
// in the root package runs a real Secret Service).
func New(t testing.TB, text string) (*daemon.Daemon, string) {
	t.Helper()
	config.MockKeyring()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(daemon.Options{ConfigPath: path, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return d, path
}
