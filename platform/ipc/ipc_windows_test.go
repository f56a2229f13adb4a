package ipc_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/lockwatch/lockwatch/platform/ipc"
)

// These run where Windows runs them: on Windows, or under Wine through
// `make wine-test`.

func testAddress(t *testing.T) string {
	b := make([]byte, 8)
	rand.Read(b)
	return `\\.\pipe\lockwatch-test-` + hex.EncodeToString(b)
}

func TestPipeAddressNamesTheUser(t *testing.T) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	path, err := ipc.SocketPath()
	if err != nil {
		t.Fatal(err)
	}
	if want := `\\.\pipe\lockwatch-` + u.User.Sid.String(); path != want {
		t.Errorf("SocketPath() = %q, want %q", path, want)
	}
}

// A pipe goes away with its listener: nobody is left to answer, and a new
// service can listen at once (no stale file to remove, unlike a socket).
func TestClosedPipeIsGone(t *testing.T) {
	path := testAddress(t)
	ln, err := ipc.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if c, err := ipc.Dial(ctx, path); err == nil {
		c.Close()
		t.Fatal("Dial after Close succeeded")
	}
	again, err := ipc.Listen(path)
	if err != nil {
		t.Fatalf("Listen after Close: %v", err)
	}
	again.Close()
}

// The client checks the server's user, and the server the client's: both
// are us here, and the listener refused nobody.
func TestPeersAreChecked(t *testing.T) {
	path := testAddress(t)
	ln := serve(t, path)
	if code, body, err := get(path); err != nil || code != 200 || !strings.HasPrefix(body, "ok") {
		t.Fatalf("GET = %d %q %v", code, body, err)
	}
	if n := ln.Refused(); n != 0 {
		t.Errorf("Refused() = %d for our own client", n)
	}
	var foreign *ipc.ForeignServerError
	if _, _, err := get(path); errors.As(err, &foreign) {
		t.Errorf("our own server taken for another user's: %v", err)
	}
}
