package api

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/platform/ipc"
)

// A service starting where someone else has made the socket directory
// (lockwatch/ in the runtime dir, owned by another user) refuses to serve
// its API there, and says why; its owner could swap our socket for theirs.
// Linux only: on macOS the socket lives in the real home's state dir.
func TestServiceRefusesSocketDirOfAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown")
	}
	base := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "state"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(base, "run"))
	sock, err := ipc.SocketPath()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	const nobody = 65534
	if err := os.Chown(filepath.Dir(sock), nobody, nobody); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(base, "config.toml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil { // no repositories yet
		t.Fatal(err)
	}
	s, err := NewServer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Listen()
	if err == nil || !strings.Contains(err.Error(), filepath.Dir(sock)+" belongs to uid 65534") {
		t.Errorf("service Listen with the socket dir nobody's = %v, want a refusal naming %s", err, filepath.Dir(sock))
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket %s: %v; want none made", sock, err)
	}
}
