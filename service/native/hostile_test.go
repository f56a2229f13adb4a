package native

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
)

// TestHugeLockFileLocal: a 2 GiB file in a real repository's locks/ is
// judged invalid by its size, without being read: the check allocates
// next to nothing, and the real lock beside it is read as usual.
func TestHugeLockFileLocal(t *testing.T) {
	ctx := context.Background()
	d := demotest.LocalRepo(t)
	orphan := orphanLock(t, d)
	huge := randomID(t)
	// Sparse: 2 GiB on paper, no disk space.
	if err := os.WriteFile(filepath.Join(d.LocksDir, huge), nil, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(d.LocksDir, huge), 2<<30); err != nil {
		t.Fatal(err)
	}
	r := openDemo(t, d)
	if err := r.DeriveKey(ctx); err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	locks, err := readAll(ctx, r)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("checking a repository with a 2 GiB lock file allocated %d bytes; want under 1 MiB", alloc)
	}
	got := map[string]lock.Lock{}
	for _, l := range locks {
		got[l.ID] = l
	}
	if l := got[huge]; l.Problem != "lock file is 2.0 GiB (2147483648 bytes), more than the 64 KiB a lock can be" || l.ProblemKind != lock.ProblemTooLarge {
		t.Errorf("2 GiB lock: %+v", l)
	}
	if l := got[orphan.LockID]; l.Problem != "" || l.PID != orphan.PID {
		t.Errorf("the real lock next to it: %+v", l)
	}

	// Read itself is bounded too, for a caller without the listing's size.
	be, err := OpenLocal(d.Location)
	if err != nil {
		t.Fatal(err)
	}
	_, err = be.Read(ctx, "locks/"+huge)
	if err == nil || !strings.Contains(err.Error(), "locks/"+huge+" is 2.0 GiB") {
		t.Errorf("Read of a 2 GiB lock file: %v", err)
	}
}

// hostileREST stands in front of a real REST server (rclone) and passes
// every request on, except those its intercept answers itself. It is a
// deliberate fake: no real server misbehaves on demand, so the misbehaving
// answers are made here, while everything else is the real server's.
type hostileREST struct {
	intercept func(w http.ResponseWriter, req *http.Request) bool
	// clientGone gets a value when an intercepted request's client hung up.
	clientGone chan struct{}
	// testDone ends the intercepts when the test does, so that a failed
	// test (a client still reading) does not hang in the server's Close.
	testDone chan struct{}
	sent     atomic.Int64 // body bytes the intercepts wrote
}

func startHostile(t *testing.T, d *demo.Repo, h *hostileREST) *httptest.Server {
	t.Helper()
	target, err := url.Parse(strings.TrimPrefix(d.Location, "rest:"))
	if err != nil {
		t.Fatal(err)
	}
	target.Path = "/"
	rp := httputil.NewSingleHostReverseProxy(target)
	h.clientGone = make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if h.intercept != nil && h.intercept(w, req) {
			return
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	h.testDone = make(chan struct{})
	t.Cleanup(func() { close(h.testDone) }) // runs before srv.Close
	return srv
}

// trickle writes the headers at once and then one byte every 10 ms until
// the client goes away: 64 KiB would take 11 minutes.
func (h *hostileREST) trickle(w http.ResponseWriter, req *http.Request) {
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-req.Context().Done():
			h.clientGone <- struct{}{}
			return
		case <-h.testDone:
			return
		case <-tick.C:
			if _, err := w.Write([]byte{'x'}); err != nil {
				h.clientGone <- struct{}{}
				return
			}
			h.sent.Add(1)
			w.(http.Flusher).Flush()
		}
	}
}

// within runs f and fails the test unless it returns within limit; it
// gives f's result.
func within[T any](t *testing.T, limit time.Duration, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(limit):
		t.Fatalf("%s: no result within %v", what, limit)
		panic("unreachable")
	}
}

// TestHostileRESTLock: a lock that the server says is 5 GB, or that has
// no length and keeps coming, is refused at once (not drained at the
// server's pace) and judged invalid by its size; the client hangs up.
func TestHostileRESTLock(t *testing.T) {
	d := demotest.RESTRepo(t)
	claimed, endless := randomID(t), randomID(t)
	// Real small files, so the real server lists them; their content is
	// what the fake answers instead.
	writeNamed(t, d.LocksDir, claimed, []byte("x"))
	writeNamed(t, d.LocksDir, endless, []byte("x"))
	h := &hostileREST{}
	h.intercept = func(w http.ResponseWriter, req *http.Request) bool {
		switch {
		case strings.HasSuffix(req.URL.Path, "/locks/"+claimed):
			w.Header().Set("Content-Length", "5000000000")
		case strings.HasSuffix(req.URL.Path, "/locks/"+endless):
			// Chunked: no length. 100 KiB at once, then the trickle.
			w.WriteHeader(http.StatusOK)
			n, _ := w.Write(make([]byte, 100<<10))
			h.sent.Add(int64(n))
		default:
			return false
		}
		h.trickle(w, req)
		return true
	}
	srv := startHostile(t, d, h)
	ctx := context.Background()
	r, err := Open(ctx, &config.Repo{Repository: proxied(t, d, srv, ""), PasswordFile: d.PasswordFile}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ListLocks(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ id, problem string }{
		{claimed, "lock file is 4.7 GiB (5000000000 bytes), more than the 64 KiB a lock can be"},
		{endless, "lock file is larger than the 64 KiB a lock can be"},
	} {
		// The trickle would take minutes; 20 s is room for a slow machine.
		type result struct {
			l   lock.Lock
			err error
		}
		got := within(t, 20*time.Second, "reading lock "+c.id[:8], func() result {
			l, err := r.ReadLock(ctx, c.id)
			return result{l, err}
		})
		if got.err != nil || got.l.Problem != c.problem {
			t.Errorf("lock %.8s: problem %q, %v; want %q", c.id, got.l.Problem, got.err, c.problem)
		}
		within(t, 20*time.Second, "the client hanging up on lock "+c.id[:8], func() struct{} { <-h.clientGone; return struct{}{} })
	}
	if n := h.sent.Load(); n > 200<<10 {
		t.Errorf("the hostile server got to send %d bytes", n)
	}
}

// TestRESTListingTooLarge: a listing larger than lockwatch reads says so,
// naming the bound, rather than "unexpected end of JSON input".
func TestRESTListingTooLarge(t *testing.T) {
	d := demotest.RESTRepo(t)
	h := &hostileREST{}
	h.intercept = func(w http.ResponseWriter, req *http.Request) bool {
		if !strings.HasSuffix(req.URL.Path, "/locks/") {
			return false
		}
		// 70 MiB of well-formed v2 entries, never closed: more than any bound.
		w.Header().Set("Content-Type", restV2)
		entry := []byte(fmt.Sprintf(`{"name":"%s","size":100},`, strings.Repeat("a", 64)))
		_, _ = w.Write([]byte("["))
		for sent := 0; sent < 70<<20; sent += len(entry) {
			if _, err := w.Write(entry); err != nil {
				break
			}
		}
		return true
	}
	srv := startHostile(t, d, h)
	ctx := context.Background()
	r, err := Open(ctx, &config.Repo{Repository: proxied(t, d, srv, ""), PasswordFile: d.PasswordFile}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.ListLocks(ctx)
	if err == nil || !strings.Contains(err.Error(), "listing of locks/ is too large: more than 20 MiB") {
		t.Fatalf("oversized listing: %v", err)
	}
}

// TestRESTSilentServer: a server that sends headers and then nothing
// fails the request after the repository's timeout, with an error that
// says so and names the location without its password.
func TestRESTSilentServer(t *testing.T) {
	d := demotest.RESTRepo(t)
	orphan := orphanLock(t, d)
	h := &hostileREST{}
	// The server's own record of when the request came and went.
	arrived, left := make(chan time.Time, 1), make(chan time.Time, 1)
	h.intercept = func(w http.ResponseWriter, req *http.Request) bool {
		if !strings.HasSuffix(req.URL.Path, "/locks/"+orphan.LockID) {
			return false
		}
		arrived <- time.Now()
		w.Header().Set("Content-Length", "300")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-req.Context().Done():
			left <- time.Now()
		case <-h.testDone:
		}
		return true
	}
	srv := startHostile(t, d, h)
	ctx := context.Background()
	const timeout = time.Second
	r, err := Open(ctx, &config.Repo{Repository: proxied(t, d, srv, "u:secret-pw@"), PasswordFile: d.PasswordFile}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ListLocks(ctx); err != nil {
		t.Fatal(err)
	}
	err = within(t, 30*time.Second, "reading from a silent server", func() error {
		_, err := r.ReadLock(ctx, orphan.LockID)
		return err
	})
	gone := within(t, 30*time.Second, "the client hanging up", func() time.Time { return <-left })
	if err == nil || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "reading locks/"+orphan.LockID[:8]+" timed out: no answer from rest:http://u:***@") ||
		!strings.Contains(err.Error(), "within 1s") || strings.Contains(err.Error(), "secret-pw") {
		t.Fatalf("silent server: %v", err)
	}
	// By the server's own clock: the request lasted the timeout, not the
	// HTTP client's minutes.
	// The client's deadline starts just before the request reaches the
	// server's handler, so the server may see a little less than it.
	if lasted := gone.Sub(<-arrived); lasted < timeout-timingSlack || lasted > 10*timeout {
		t.Errorf("the silent request lasted %v; want about %v", lasted, timeout)
	}
}

// TestHostileS3: over S3 too, a lock the server says is 5 GB is refused
// at once by its size, and a server silent after the headers fails the
// request after the timeout. The S3 server is the tests' gofakes3; the
// proxy in front of it is a deliberate fake, as for REST.
// timingSlack is how much earlier than a client's deadline a server may
// see the request end: the deadline starts before the request arrives.
const timingSlack = 250 * time.Millisecond

func TestHostileS3(t *testing.T) {
	d := demotest.S3Repo(t)
	orphan := demotest.OrphanS3(t, d)
	target, err := url.Parse(strings.TrimPrefix(d.Location, "s3:"))
	if err != nil {
		t.Fatal(err)
	}
	bucketPath := target.Path // /lockwatch/repo
	target.Path = "/"
	rp := httputil.NewSingleHostReverseProxy(target)
	var silent atomic.Bool
	h := &hostileREST{}
	left := make(chan time.Time, 8)
	arrived := make(chan time.Time, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/locks/"+orphan.LockID) {
			rp.ServeHTTP(w, req)
			return
		}
		// minio wants these of any object; without them it drains the
		// body (at the server's pace, cut only by the request deadline).
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		if !silent.Load() {
			w.Header().Set("Content-Length", "5000000000")
			h.trickle(w, req)
			return
		}
		arrived <- time.Now()
		w.Header().Set("Content-Length", "300")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-req.Context().Done():
			left <- time.Now()
		case <-h.testDone:
		}
	}))
	t.Cleanup(srv.Close)
	h.clientGone = make(chan struct{}, 16)
	h.testDone = make(chan struct{})
	t.Cleanup(func() { close(h.testDone) }) // runs before srv.Close

	ctx := context.Background()
	const timeout = time.Second
	cfg := &config.Repo{Repository: "s3:" + srv.URL + bucketPath, PasswordFile: d.PasswordFile, Env: map[string]string{}}
	for _, kv := range d.Env {
		k, v, _ := strings.Cut(kv, "=")
		cfg.Env[k] = v
	}
	r, err := Open(ctx, cfg, timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ListLocks(ctx); err != nil {
		t.Fatal(err)
	}
	type result struct {
		l   lock.Lock
		err error
	}
	got := within(t, 20*time.Second, "reading a 5 GB lock over S3", func() result {
		l, err := r.ReadLock(ctx, orphan.LockID)
		return result{l, err}
	})
	if want := "lock file is 4.7 GiB (5000000000 bytes), more than the 64 KiB a lock can be"; got.err != nil || got.l.Problem != want {
		t.Errorf("5 GB lock over S3: problem %q, %v; want %q", got.l.Problem, got.err, want)
	}
	within(t, 20*time.Second, "the S3 client hanging up", func() struct{} { <-h.clientGone; return struct{}{} })

	silent.Store(true)
	got = within(t, 30*time.Second, "reading from a silent S3 server", func() result {
		l, err := r.ReadLock(ctx, orphan.LockID)
		return result{l, err}
	})
	if got.err == nil || !strings.Contains(got.err.Error(), "reading locks/"+orphan.LockID[:8]+" timed out: no answer from s3:http://") {
		t.Fatalf("silent S3 server: %+v, %v", got.l, got.err)
	}
	// By the server's record: the first silent request ended when the
	// deadline cut it (minio may retry within what is left of it).
	lasted := within(t, 30*time.Second, "the silent request ending", func() time.Duration { end := <-left; return end.Sub(<-arrived) })
	if lasted < timeout-timingSlack || lasted > 10*timeout {
		t.Errorf("the silent S3 request lasted %v; want about %v", lasted, timeout)
	}
}
