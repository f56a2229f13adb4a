package ipc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
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

// sockPath is a fresh address for a test's server: a socket in a temp
// dir, or on Windows a pipe of the test's own (testAddress).
func sockPath(t *testing.T) string { return testAddress(t) }

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

func TestAddressesAreTheUsersOwn(t *testing.T) {
	service, err := ipc.SocketPath()
	if err != nil {
		t.Fatal(err)
	}
	tray, err := ipc.Address("tray")
	if err != nil {
		t.Fatal(err)
	}
	if service == tray || !strings.Contains(tray, "tray") {
		t.Errorf("service at %q, tray at %q: want two addresses, the tray's named so", service, tray)
	}
	if again, _ := ipc.Address(ipc.Service); again != service {
		t.Errorf("Address(Service) = %q, SocketPath() = %q", again, service)
	}
}
