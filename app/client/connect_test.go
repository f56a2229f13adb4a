package client

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// Where the app cannot serve its socket (here: the runtime dir's lockwatch
// entry is a file, not a dir) it still checks, in-process, and says that
// the CLI cannot reach it.
func TestAppChecksWithoutItsSocket(t *testing.T) {
	runtime := t.TempDir()
	if err := os.WriteFile(filepath.Join(runtime, "lockwatch"), []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	cfgPath := filepath.Join(t.TempDir(), "config.toml")
	text := fmt.Sprintf("[defaults]\nrestic = %q\n[[repo]]\nname = \"nas\"\nrepository = %q\npassword_file = %q\n", repo.Restic, repo.Location, repo.PasswordFile)
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	backend, note, err := Connect(ctx, cfgPath)
	if err != nil {
		t.Fatalf("connect: %v (the app would check nothing)", err)
	}
	if _, ok := backend.(api.Local); !ok {
		t.Fatalf("backend is %T, want the in-process service", backend)
	}
	if !strings.Contains(note, "cannot reach this app") || !strings.Contains(note, "local API") {
		t.Errorf("note %q does not say that the CLI cannot reach the app", note)
	}
	st, err := backend.Check(ctx, "nas")
	if err != nil || st.State != check.StateStale || len(st.Locks) != 1 || st.Locks[0].ID != dead.LockID {
		t.Errorf("check: %+v, %v; want the orphaned lock %s", st, err, dead.LockID[:8])
	}
}
