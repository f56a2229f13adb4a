package ipc_test

import (
	"path/filepath"
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
