package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// TestWholeCheckIsCutAtThreeTimesTheTimeout: a REST server that answers
// every request, each well within the timeout, but has so many locks to
// read that the check as a whole would take far longer, does not hold up
// the repository's check beyond 3 × the timeout: the daemon cuts the
// check there, and its status is an error that says so.
func TestWholeCheckIsCutAtThreeTimesTheTimeout(t *testing.T) {
	const (
		timeout = time.Second // config.MinTimeout: the smallest accepted
		delay   = 700 * time.Millisecond
		nLocks  = 80 // 4 at a time, 0.7 s each: 14 s uncut, well over 3 s
	)
	repo := demotest.RESTRepo(t)
	// The lock files the server is slow to serve; written to the real
	// repository below.
	slow := map[string]bool{}
	for range nLocks {
		var b [32]byte
		_, _ = rand.Read(b[:])
		slow[hex.EncodeToString(b[:])] = true
	}

	// A deliberate fake in front of the real REST server (rclone): no real
	// server is slow on demand. It passes every request on, the lock files
	// only after the delay, and keeps its own record of how long each
	// request lasted.
	target, err := url.Parse(strings.TrimPrefix(repo.Location, "rest:"))
	if err != nil {
		t.Fatal(err)
	}
	served := target.Path
	target.Path = "/"
	proxy := httputil.NewSingleHostReverseProxy(target)
	testDone := make(chan struct{})
	var (
		mu       sync.Mutex
		longest  time.Duration
		longestP string
		lockGETs int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		arrived := time.Now()
		defer func() {
			lasted := time.Since(arrived)
			mu.Lock()
			defer mu.Unlock()
			if lasted > longest {
				longest, longestP = lasted, req.URL.Path
			}
		}()
		if dir, id, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, served), "/"); dir == "locks" && slow[id] {
			mu.Lock()
			lockGETs++
			mu.Unlock()
			select {
			case <-time.After(delay):
			case <-req.Context().Done(): // the client gave up: so does the server
				return
			case <-testDone: // a failed test must not hang in srv.Close
				return
			}
		}
		proxy.ServeHTTP(w, req)
	}))
	// Closed before the server's record is read, so that every handler
	// has returned; testDone first, so that a failed test cannot hang in
	// srv.Close.
	stopServer := sync.OnceFunc(func() { close(testDone); srv.Close() })
	defer stopServer()

	d, _ := newSettingsDaemon(t, fmt.Sprintf(`[defaults]
restic = %q
timeout = "1s"

[[repo]]
name = "slow"
repository = "rest:%s%s"
password_file = %q
reader = "native"
`, demotest.Restic(t), srv.URL, served, repo.PasswordFile))
	defer d.Close()

	// A first check derives the key, which the daemon's reader keeps: the
	// timed check below spends its time on requests alone. Under -race
	// scrypt alone may take more than the 3 s a check has; the key is kept
	// all the same (scrypt is not interrupted), so the next check is fine.
	for try := 1; ; try++ {
		st, err := d.CheckNow(context.Background(), "slow")
		if err == nil && st.State == check.StateOK {
			break
		}
		if try == 5 {
			t.Fatalf("check %d before the slow locks: %+v, %v", try, st, err)
		}
		t.Logf("check %d before the slow locks: %s %s", try, st.State, st.Error)
	}
	// Real files in the real repository, so that the real server lists
	// them (with their sizes) and serves them. Their content is no lock,
	// which does not matter: the check is cut long before it judges them.
	for id := range slow {
		if err := os.WriteFile(filepath.Join(repo.LocksDir, id), []byte("not a lock "+id), 0o400); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	st, err := d.CheckNow(context.Background(), "slow")
	took := time.Since(start)
	t.Logf("check took %v: state %s, error %q", took, st.State, st.Error)
	if err != nil {
		t.Fatal(err)
	}
	// Cut at 3 s; 2 s more is room for a loaded machine, and still far
	// below the 14 s the whole check would take.
	if limit := 3*timeout + 2*time.Second; took >= limit {
		t.Errorf("the check took %v; want it cut at 3 × the timeout (%v), under %v", took, 3*timeout, limit)
	}
	if took < 3*timeout {
		t.Errorf("the check ended after %v, before 3 × the timeout (%v): it was not cut for its time", took, 3*timeout)
	}
	if st.State != check.StateError {
		t.Errorf("state %q, want %q", st.State, check.StateError)
	}
	// The error says the check as a whole ran out of time, not that some
	// request did: none of them took as long as the timeout.
	if !strings.Contains(st.Error, "the check ran out of time: stopped after 3s (3 × the timeout)") || strings.Contains(st.Error, "no answer from") {
		t.Errorf("the error does not say the check ran out of its 3s: %q", st.Error)
	}

	// By the server's record: no request outlasted the per-request
	// timeout (each lock took the delay, or less when the cut came), and
	// the cut ended the reading long before all the locks were asked for.
	stopServer()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("the server got %d lock requests; the longest request (%s) lasted %v", lockGETs, longestP, longest)
	if longest >= timeout {
		t.Errorf("the server saw a request (%s) last %v; none should reach the timeout (%v)", longestP, longest, timeout)
	}
	if lockGETs == 0 || lockGETs >= nLocks {
		t.Errorf("the server got %d of the %d lock requests; want some, not all", lockGETs, nLocks)
	}
}
