//go:build linux || darwin

package ipc_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/ipc"
)

func TestModes(t *testing.T) {
	path := sockPath(t)
	// An existing directory of ours that is too open gets tightened.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	serve(t, path)
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
}

const (
	nobody          = 65534
	helperClientEnv = "LOCKWATCH_IPC_CLIENT"
)

func TestDirectoryOfAnotherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown")
	}
	path := sockPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Dir(path), nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if ln, err := ipc.Listen(path); err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
		if ln != nil {
			ln.Close()
		}
		t.Fatalf("Listen in nobody's directory = %v, want refusal", err)
	}
}

// TestHelperClient is the client process of TestPeerOfAnotherUserRefused: it
// GETs over the socket and prints "status N" or "error: ...".
func TestHelperClient(t *testing.T) {
	path := os.Getenv(helperClientEnv)
	if path == "" {
		t.Skip("helper process for TestPeerOfAnotherUserRefused")
	}
	if code, _, err := get(path); err != nil {
		fmt.Println("error:", err)
	} else {
		fmt.Println("status", code)
	}
	os.Exit(0)
}

// The peer check is the second line of defence: the test opens the directory
// and socket to everyone, then a client running as nobody must be refused.
func TestPeerOfAnotherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	// t.TempDir's parents may be 0700; nobody needs to reach the binary
	// and the socket.
	base, err := os.MkdirTemp("", "lockwatch-ipc-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(base, "ipc.test")
	copyFile(t, os.Args[0], exe)

	path := filepath.Join(base, "run", "lockwatch.sock")
	ln := serve(t, path)
	// Test-only weakening of the first line of defence.
	if err := os.Chmod(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}

	out := runClient(t, exe, path, &syscall.Credential{Uid: nobody, Gid: nobody})
	t.Logf("client as nobody: %s", out)
	if !strings.HasPrefix(out, "error:") {
		t.Errorf("client as nobody got %q, want no HTTP answer", out)
	}
	if n := ln.Refused(); n != 1 {
		t.Errorf("Refused() = %d, want 1 (client said %q)", n, out)
	}

	if out := runClient(t, exe, path, nil); out != "status 200" {
		t.Errorf("client as ourselves got %q, want status 200", out)
	}
	if n := ln.Refused(); n != 1 {
		t.Errorf("Refused() after our own client = %d, want 1", n)
	}
}

func runClient(t *testing.T, exe, path string, cred *syscall.Credential) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestHelperClient$", "-test.count=1")
	cmd.Dir = filepath.Dir(exe)
	// GORACE: under -race a process otherwise lingers 1s at exit.
	cmd.Env = append(os.Environ(), helperClientEnv+"="+path, "GORACE=atexit_sleep_ms=0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("client (cred %+v): %v", cred, err)
	}
	return strings.TrimSpace(string(out))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
