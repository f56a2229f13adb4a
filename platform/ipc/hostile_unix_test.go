//go:build linux || darwin

package ipc_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/ipc"
)

// Broken and hostile input at the socket: someone who can write in the
// socket directory's parent (a runtime dir of mode 0770 and a group member,
// say) or who runs a server of their own.

// A symlink planted where the socket directory goes, pointing at another
// directory, is not followed: before, the service chmodded the target and
// put its socket there, and the link's owner could then swap the link for
// one to their own server.
func TestSymlinkAtSocketDirRefused(t *testing.T) {
	base := t.TempDir()
	runtime := filepath.Join(base, "runtime")
	elsewhere := filepath.Join(base, "elsewhere")
	for _, dir := range []string{runtime, elsewhere} {
		mkdirMode(t, dir, 0o755)
	}
	link := filepath.Join(runtime, "lockwatch")
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}
	ln, err := ipc.Listen(filepath.Join(link, "lockwatch.sock"))
	if err == nil {
		ln.Close()
	}
	if err == nil || !strings.Contains(err.Error(), link+" is a symbolic link") {
		t.Errorf("Listen through a symlinked socket dir = %v, want a refusal naming %s as a symbolic link", err, link)
	}
	assertUntouched(t, elsewhere, 0o755)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link itself: %v, %v; want it left as it was", fi.Mode(), err)
	}
}

// assertUntouched checks that dir still has mode and nothing in it.
func assertUntouched(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != mode {
		t.Errorf("%s: mode %v, %v; want %v as before", dir, fi.Mode().Perm(), err, mode)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("%s holds %v (%v); want nothing put there", dir, entries, err)
	}
}

func mkdirMode(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// A runtime dir others may write in is no reason to refuse: our own
// directory inside it is made 0700, and the parent is left as it is.
func TestGroupWritableRuntimeDir(t *testing.T) {
	runtime := filepath.Join(t.TempDir(), "runtime")
	mkdirMode(t, runtime, 0o770)
	path := filepath.Join(runtime, "lockwatch", "lockwatch.sock")
	serve(t, path)
	for p, want := range map[string]os.FileMode{runtime: 0o770, filepath.Dir(path): 0o700} {
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want a directory of mode %v", p, fi.Mode(), err, want)
		}
	}
	if code, body, err := get(path); err != nil || code != 200 || body != "ok /v1/status" {
		t.Fatalf("GET = %d %q %v; want 200 \"ok /v1/status\"", code, body, err)
	}
}

const (
	helperServerEnv  = "LOCKWATCH_IPC_SERVER"
	helperServerKind = "LOCKWATCH_IPC_SERVER_KIND"
)

// TestHelperServer is the server process of the tests below, run as another
// user. Kind "raw" is a stranger's server: it accepts one connection and
// prints how many bytes it got before the client hung up. Kind "ipc" is the
// lockwatch listener: for each line on stdin it prints how many connections
// it refused so far. Both print "ready" once they listen.
func TestHelperServer(t *testing.T) {
	path := os.Getenv(helperServerEnv)
	if path == "" {
		t.Skip("helper process for TestServerOfAnotherUserRefused and TestRootRefusedByListener")
	}
	switch os.Getenv(helperServerKind) {
	case "raw":
		ln, err := net.Listen("unix", path)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		c, err := ln.Accept()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		// Until the client hangs up; the test's deadline bounds the wait.
		n, _ := io.Copy(io.Discard, c)
		fmt.Println("received", n)
	case "ipc":
		ln, err := ipc.Listen(path)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "ok "+r.URL.Path)
		}))
		fmt.Println("ready")
		for in := bufio.NewScanner(os.Stdin); in.Scan(); {
			fmt.Println("refused", ln.(*ipc.Listener).Refused())
		}
	}
	os.Exit(0)
}

// helperServer is a running TestHelperServer; lines reads what it prints.
type helperServer struct {
	stdin io.WriteCloser
	lines *bufio.Scanner
}

// startHelperServer runs TestHelperServer of kind as nobody on path and
// returns once it listens. The process is killed at the latest after 20s,
// which ends any wait for its output.
func startHelperServer(t *testing.T, exe, kind, path string) *helperServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestHelperServer$", "-test.count=1")
	cmd.Dir = filepath.Dir(exe)
	cmd.Env = append(os.Environ(), helperServerEnv+"="+path, helperServerKind+"="+kind, "GORACE=atexit_sleep_ms=0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		cmd.Wait()
	})
	h := &helperServer{stdin: stdin, lines: bufio.NewScanner(stdout)}
	if got := h.line(t); got != "ready" {
		t.Fatalf("helper server as nobody said %q, want ready", got)
	}
	return h
}

func (h *helperServer) line(t *testing.T) string {
	t.Helper()
	if !h.lines.Scan() {
		t.Fatalf("helper server ended without a word (%v)", h.lines.Err())
	}
	return h.lines.Text()
}

// nobodysDir makes a world-readable place for the test binary (t.TempDir's
// parents may be 0700) and a directory in it that belongs to nobody; it
// returns the copied binary and that directory.
func nobodysDir(t *testing.T) (exe, dir string) {
	t.Helper()
	base, err := os.MkdirTemp("", "lockwatch-ipc-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	exe = filepath.Join(base, "ipc.test")
	copyFile(t, os.Args[0], exe)
	dir = filepath.Join(base, "nobody")
	mkdirMode(t, dir, 0o700)
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	return exe, dir
}

// A client never talks to a server of another user: whoever got their
// socket where ours should be would see our unlock requests and settings
// (passwords included) and answer with their own status. The stranger's
// server here is a plain socket (not lockwatch's listener, which would
// refuse us first) that counts what it receives.
func TestServerOfAnotherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a server as another user")
	}
	exe, dir := nobodysDir(t)
	path := filepath.Join(dir, "lockwatch.sock")
	srv := startHelperServer(t, exe, "raw", path)

	code, _, err := get(path)
	want := fmt.Sprintf("the lockwatch socket at %s is served by uid %d, not by you (uid 0)", path, nobody)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("GET from nobody's server = %d, %v; want the error %q", code, err, want)
	}
	if got := srv.line(t); got != "received 0" {
		t.Errorf("nobody's server: %q, want received 0 (nothing sent to it)", got)
	}

	// ipc.Dial itself, which api.Connect uses to probe for a service.
	srv = startHelperServer(t, exe, "raw", filepath.Join(dir, "other.sock"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if c, err := ipc.Dial(ctx, filepath.Join(dir, "other.sock")); err == nil || !strings.Contains(err.Error(), "is served by uid 65534") {
		if c != nil {
			c.Close()
		}
		t.Errorf("Dial to nobody's server = %v, want refused", err)
	}
	if got := srv.line(t); got != "received 0" {
		t.Errorf("nobody's server after Dial: %q, want received 0", got)
	}
}

// The listener refuses root as it refuses any other user (the API is per
// user; TestPeerOfAnotherUserRefused shows another user refused). To show
// it the service side runs as nobody and this test, as root, is the client;
// it connects with a plain socket, as ipc.Dial would refuse nobody's server
// before the listener could refuse us. The same server answers nobody's own
// client, so the refusal is the peer check and not a broken server.
func TestRootRefusedByListener(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the service side as another user")
	}
	exe, dir := nobodysDir(t)
	path := filepath.Join(dir, "run", "lockwatch.sock")
	srv := startHelperServer(t, exe, "ipc", path)

	if out := rawRequest(path); out != "closed unanswered" {
		t.Errorf("root got %s from nobody's listener; want the connection closed unanswered", out)
	}
	fmt.Fprintln(srv.stdin)
	if got := srv.line(t); got != "refused 1" {
		t.Errorf("nobody's listener after root's connection: %q, want refused 1", got)
	}

	if out := runClient(t, exe, path, &syscall.Credential{Uid: nobody, Gid: nobody}, false); out != "status 200" {
		t.Errorf("nobody's own client got %q, want status 200", out)
	}
	fmt.Fprintln(srv.stdin)
	if got := srv.line(t); got != "refused 1" {
		t.Errorf("nobody's listener after nobody's client: %q, want still refused 1", got)
	}
}
