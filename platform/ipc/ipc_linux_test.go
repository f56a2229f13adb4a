package ipc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/platform/ipc"
	"github.com/lockwatch/lockwatch/platform/paths"
)

func TestSocketPath(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	if got, err := ipc.SocketPath(); err != nil || got != "/run/user/1000/lockwatch/lockwatch.sock" {
		t.Errorf("with XDG_RUNTIME_DIR: %q, %v", got, err)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	state, err := paths.StateDir()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ipc.SocketPath(); err != nil || got != filepath.Join(state, "lockwatch.sock") {
		t.Errorf("without XDG_RUNTIME_DIR: %q, %v; want in %s", got, err, state)
	}
}

// Without XDG_RUNTIME_DIR the socket goes in the state dir, under the same
// rule: a symlink planted there is not followed.
func TestSymlinkAtStateDirRefused(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "state"))
	elsewhere := filepath.Join(base, "elsewhere")
	mkdirMode(t, filepath.Join(base, "state"), 0o770)
	mkdirMode(t, elsewhere, 0o755)
	link := filepath.Join(base, "state", "lockwatch")
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}
	path, err := ipc.SocketPath()
	if err != nil || filepath.Dir(path) != link {
		t.Fatalf("SocketPath = %q, %v; want it in %s", path, err, link)
	}
	ln, err := ipc.Listen(path)
	if err == nil {
		ln.Close()
	}
	if err == nil || !strings.Contains(err.Error(), link+" is a symbolic link") {
		t.Errorf("Listen through a symlinked state dir = %v, want a refusal naming %s as a symbolic link", err, link)
	}
	assertUntouched(t, elsewhere, 0o755)
}
