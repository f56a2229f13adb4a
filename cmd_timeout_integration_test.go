package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// TestCheckSilentRESTServer: `lockwatch check` against a REST server that
// answers a lock request with headers and then nothing ends after the
// configured timeout with exit code 2 and an error saying the request
// timed out, instead of hanging for the HTTP client's minutes.
func TestCheckSilentRESTServer(t *testing.T) {
	repo := demotest.RESTRepo(t)
	orphan := demotest.Orphan(t, repo)

	// A deliberate fake in front of the real REST server (rclone): no real
	// server goes silent on demand. It passes everything on but the lock,
	// and keeps its own record of when that request came and went.
	target, err := url.Parse(strings.TrimPrefix(repo.Location, "rest:"))
	if err != nil {
		t.Fatal(err)
	}
	served := target.Path
	target.Path = "/"
	proxy := httputil.NewSingleHostReverseProxy(target)
	var silent atomic.Int64
	arrived, left := make(chan time.Time, 8), make(chan time.Time, 8)
	testDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !strings.HasSuffix(req.URL.Path, "/locks/"+orphan.LockID) {
			proxy.ServeHTTP(w, req)
			return
		}
		silent.Add(1)
		arrived <- time.Now()
		w.Header().Set("Content-Length", "300")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-req.Context().Done():
			left <- time.Now()
		case <-testDone: // a failed test must not hang in srv.Close
		}
	}))
	defer srv.Close()
	defer close(testDone)

	const timeout = time.Second
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	content := fmt.Sprintf(`[defaults]
restic = %q
timeout = "1s"

[[repo]]
name = "silent"
repository = "rest:http://u:secret-pw@%s%s"
password_file = %q
reader = "native"
`, demotest.Restic(t), strings.TrimPrefix(srv.URL, "http://"), served, repo.PasswordFile)
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := lockwatch(t, "check", "--config", cfg, "--json")
	t.Logf("lockwatch check: exit %d\n%s%s", code, out, errOut)
	if code != exitError {
		t.Errorf("exit code %d, want %d: %s%s", code, exitError, out, errOut)
	}
	if !strings.Contains(out, "reading locks/"+orphan.LockID[:8]+" timed out: no answer from rest:http://u:***@") ||
		!strings.Contains(out, "within 1s") {
		t.Errorf("the check does not say the lock request timed out:\n%s%s", out, errOut)
	}
	if strings.Contains(out+errOut, "secret-pw") {
		t.Errorf("the URL's password shows:\n%s%s", out, errOut)
	}
	// By the server's record: one silent request, and it lasted the
	// timeout, not the 3 × timeout that cuts a whole check.
	if n := silent.Load(); n != 1 {
		t.Fatalf("%d requests for the silent lock, want 1", n)
	}
	var lasted time.Duration
	select {
	case end := <-left:
		lasted = end.Sub(<-arrived)
	case <-time.After(30 * time.Second):
		t.Fatal("the silent request never ended")
	}
	// The client's deadline starts just before the request reaches the
	// server, which may so see a little less than the timeout.
	if lasted < timeout-250*time.Millisecond || lasted >= 3*timeout {
		t.Errorf("the silent request lasted %v; want the timeout (%v), less than the whole check's %v", lasted, timeout, 3*timeout)
	}
}
