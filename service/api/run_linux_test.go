package api

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

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

// A command that finds the user's socket served by another user sends it
// nothing, checks in its own process, and says why in the status. The
// stranger's server is a plain socket listened on by a thread of this test
// whose effective uid is nobody's for the listen call (the kernel records
// the listener's credentials then): no lockwatch code serves it.
func TestOpenWorksAloneBesideAStrangersSocket(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to listen as another user")
	}
	// Not t.TempDir, whose parent only root may enter: nobody binds below.
	base, err := os.MkdirTemp("", "lockwatch-api-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "state"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(base, "run"))
	sock, err := ipc.SocketPath()
	if err != nil {
		t.Fatal(err)
	}
	// Open to everyone, so that nobody can make the socket; the client
	// checks the server, not the directory.
	if err := os.MkdirAll(filepath.Dir(sock), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(sock), 0o777); err != nil {
		t.Fatal(err)
	}
	const nobody = 65534
	ln := listenAs(t, nobody, sock)
	received := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			received <- -1
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c) // until the client hangs up
		received <- n
	}()

	cfg := filepath.Join(base, "config.toml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	b, closeFn, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if _, ok := b.(Local); !ok {
		t.Fatalf("Open beside nobody's socket = %T, want the in-process Local", b)
	}
	st, err := b.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "the lockwatch socket at " + sock + " is served by uid 65534, not by you (uid 0)"
	if !strings.Contains(st.Notice, want) || st.Source != SourceInProcess {
		t.Errorf("status notice %q (source %s); want it to say %q", st.Notice, st.Source, want)
	}
	select {
	case n := <-received:
		if n != 0 {
			t.Errorf("nobody's server received %d bytes, want none", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nobody's server was never dialled (or the client never hung up) within 10s")
	}
}

// listenAs listens on path as uid: the listen runs on a thread of its own
// whose effective uid alone is changed (setresuid on that thread, not
// Go's process-wide Setuid). The thread stays locked to its goroutine, so
// it ends with it and never runs other code.
func listenAs(t *testing.T, uid int, path string) net.Listener {
	t.Helper()
	type result struct {
		ln  net.Listener
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked
		keep := ^uintptr(0)    // -1: leave the real and saved uids alone
		if _, _, errno := syscall.RawSyscall(syscall.SYS_SETRESUID, keep, uintptr(uid), keep); errno != 0 {
			done <- result{err: errno}
			return
		}
		ln, err := net.Listen("unix", path)
		done <- result{ln, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatalf("listening as uid %d on %s: %v", uid, path, r.err)
	}
	t.Cleanup(func() { r.ln.Close() })
	return r.ln
}
