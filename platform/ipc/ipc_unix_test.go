//go:build linux || darwin

package ipc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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
	// helperRawClientEnv makes TestHelperClient a plain socket client.
	helperRawClientEnv = "LOCKWATCH_IPC_RAW_CLIENT"
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
// GETs over the socket and prints "status N" or "error: ...". With
// helperRawClientEnv set it is a stranger's client instead: a plain socket
// that sends a request whoever serves it (ipc's client would refuse a server
// of another user itself, before the listener could refuse it) and prints
// "closed unanswered" or what it got.
func TestHelperClient(t *testing.T) {
	path := os.Getenv(helperClientEnv)
	if path == "" {
		t.Skip("helper process for TestPeerOfAnotherUserRefused")
	}
	if os.Getenv(helperRawClientEnv) != "" {
		fmt.Println(rawRequest(path))
		os.Exit(0)
	}
	if code, _, err := get(path); err != nil {
		fmt.Println("error:", err)
	} else {
		fmt.Println("status", code)
	}
	os.Exit(0)
}

// rawRequest sends a GET over a plain connection to path and says whether
// the server hung up without an answer.
func rawRequest(path string) string {
	c, err := net.Dial("unix", path)
	if err != nil {
		return "error: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "GET /v1/status HTTP/1.1\r\nHost: lockwatch\r\n\r\n") // may fail once the listener hung up
	answer, err := io.ReadAll(c)
	if len(answer) == 0 && !os.IsTimeout(err) {
		return "closed unanswered"
	}
	return fmt.Sprintf("answered %q (%v)", answer, err)
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

	asNobody := &syscall.Credential{Uid: nobody, Gid: nobody}
	out := runClient(t, exe, path, asNobody, true)
	t.Logf("client as nobody: %s", out)
	if out != "closed unanswered" {
		t.Errorf("client as nobody got %q, want the connection closed unanswered", out)
	}
	// Counted before the close the client waited for.
	if n := ln.Refused(); n != 1 {
		t.Errorf("Refused() = %d, want 1 (client said %q)", n, out)
	}

	if out := runClient(t, exe, path, nil, false); out != "status 200" {
		t.Errorf("client as ourselves got %q, want status 200", out)
	}
	if n := ln.Refused(); n != 1 {
		t.Errorf("Refused() after our own client = %d, want 1", n)
	}

	// And lockwatch's own client run by nobody refuses our (root's) server
	// before sending anything (no count check: it hangs up without waiting
	// for the listener to).
	want := fmt.Sprintf("the lockwatch socket at %s is served by uid 0, not by you (uid %d)", path, nobody)
	if out := runClient(t, exe, path, asNobody, false); !strings.Contains(out, want) {
		t.Errorf("lockwatch's client as nobody got %q, want %q", out, want)
	}
}

// runClient runs TestHelperClient with cred, raw or as lockwatch's client.
func runClient(t *testing.T, exe, path string, cred *syscall.Credential, raw bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestHelperClient$", "-test.count=1")
	cmd.Dir = filepath.Dir(exe)
	// GORACE: under -race a process otherwise lingers 1s at exit.
	cmd.Env = append(os.Environ(), helperClientEnv+"="+path, "GORACE=atexit_sleep_ms=0")
	if raw {
		cmd.Env = append(cmd.Env, helperRawClientEnv+"=1")
	}
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

func testAddress(t *testing.T) string { return filepath.Join(t.TempDir(), "run", "lockwatch.sock") }

func TestStaleSocketReplaced(t *testing.T) {
	path := sockPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	// A crashed service: the socket file stays, nobody listens.
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("stale socket file not left behind: %v", err)
	}
	serve(t, path)
	if code, _, err := get(path); err != nil || code != 200 {
		t.Fatalf("GET after replacing stale socket: %d %v", code, err)
	}
}

func TestCloseRemovesSocket(t *testing.T) {
	path := sockPath(t)
	ln, err := ipc.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after Close: %v, want gone", err)
	}
	if _, _, err := get(path); err == nil {
		t.Error("GET with nobody listening succeeded")
	}
}
