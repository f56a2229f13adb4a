package ipc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/ipc"
)

// serve runs a tiny API on path until the test ends.
func serve(t *testing.T, path string) *ipc.Listener {
	t.Helper()
	ln, err := ipc.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok "+r.URL.Path)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.(*ipc.Listener)
}

// get fetches http://lockwatch/v1/status over the socket, giving up after 3s.
func get(path string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://lockwatch/v1/status", nil)
	resp, err := ipc.HTTPClient(path).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func sockPath(t *testing.T) string { return filepath.Join(t.TempDir(), "run", "lockwatch.sock") }

func TestHTTPOverSocket(t *testing.T) {
	path := sockPath(t)
	serve(t, path)
	if code, body, err := get(path); err != nil || code != 200 || body != "ok /v1/status" {
		t.Fatalf("GET = %d %q %v; want 200 \"ok /v1/status\"", code, body, err)
	}
}

func TestListenTwice(t *testing.T) {
	path := sockPath(t)
	serve(t, path)
	ln, err := ipc.Listen(path)
	if !errors.Is(err, ipc.ErrInUse) {
		if ln != nil {
			ln.Close()
		}
		t.Fatalf("second Listen = %v, want ErrInUse", err)
	}
	if code, _, err := get(path); err != nil || code != 200 {
		t.Fatalf("first listener after second Listen: %d %v", code, err)
	}
}

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
