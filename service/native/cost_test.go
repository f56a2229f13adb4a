package native

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// countedLocalRepo is a new local repository read through a backend that
// counts its requests.
func countedLocalRepo(t *testing.T) (*demo.Repo, *countingBackend, *Repo) {
	t.Helper()
	d := demotest.LocalRepo(t)
	be, err := OpenLocal(d.Location)
	if err != nil {
		t.Fatal(err)
	}
	c := &countingBackend{Backend: be}
	return d, c, NewRepo(c, fixedPassword(t, d.PasswordFile))
}

// TestCostLocal counts backend calls: the key and config are read once,
// each lock once, and a check where nothing changed is one listing.
func TestCostLocal(t *testing.T) {
	ctx := context.Background()
	d, c, r := countedLocalRepo(t)
	be := c.Backend
	orphanLock(t, d)
	orphanLock(t, d)

	if locks, err := readAll(ctx, r); err != nil || len(locks) != 2 {
		t.Fatalf("first check: %v, %v", locks, err)
	}
	// config, one key, two locks; keys/ and locks/ listed once each.
	if l, rd := c.lists.Load(), c.reads.Load(); l != 2 || rd != 4 {
		t.Errorf("first check: %d lists, %d reads; want 2, 4", l, rd)
	}
	c.reset()
	if _, err := readAll(ctx, r); err != nil {
		t.Fatal(err)
	}
	if l, rd := c.lists.Load(), c.reads.Load(); l != 1 || rd != 0 {
		t.Errorf("unchanged check: %d lists, %d reads; want exactly 1 and 0", l, rd)
	}
	// One new lock: one more read, and only that one.
	writeLock(t, r, d.LocksDir, lockRecord{Time: at(time.Now(), 0), Hostname: "x", PID: 5}, true)
	c.reset()
	if locks, err := readAll(ctx, r); err != nil || len(locks) != 3 {
		t.Fatalf("check with a new lock: %v, %v", locks, err)
	}
	if l, rd := c.lists.Load(), c.reads.Load(); l != 1 || rd != 1 {
		t.Errorf("check with one new lock: %d lists, %d reads; want 1, 1", l, rd)
	}
	// Concurrent first uses derive the key once.
	c2 := &countingBackend{Backend: be}
	r2 := NewRepo(c2, fixedPassword(t, d.PasswordFile))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := r2.DeriveKey(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if l, rd := c2.lists.Load(), c2.reads.Load(); l != 1 || rd != 2 {
		t.Errorf("4 concurrent DeriveKey: %d lists, %d reads; want 1, 2 (keys/, config, one key)", l, rd)
	}
}

// countingProxy stands in front of a real REST server and counts the
// HTTP requests reaching it; with user set it also demands basic auth,
// and with v1 set it answers listings as a REST server of API v1 would.
type countingProxy struct {
	requests atomic.Int64
	mu       sync.Mutex
	log      []string
	user     string
	pass     string
	v1       bool
}

func startProxy(t *testing.T, d *demo.Repo, p *countingProxy) *httptest.Server {
	t.Helper()
	target, err := url.Parse(strings.TrimPrefix(d.Location, "rest:"))
	if err != nil {
		t.Fatal(err)
	}
	target.Path = "/"
	rp := httputil.NewSingleHostReverseProxy(target)
	if p.v1 {
		// rclone only speaks API v2; answer listings the v1 way (names,
		// no sizes, plain JSON), as an older rest-server does.
		rp.ModifyResponse = func(resp *http.Response) error {
			if !strings.HasSuffix(resp.Request.URL.Path, "/") || resp.StatusCode != http.StatusOK {
				return nil
			}
			var v2 []struct {
				Name string `json:"name"`
			}
			err := json.NewDecoder(resp.Body).Decode(&v2)
			resp.Body.Close()
			if err != nil {
				return err
			}
			names := []string{}
			for _, f := range v2 {
				names = append(names, f.Name)
			}
			body, _ := json.Marshal(names)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			resp.Header.Set("Content-Type", "application/json")
			return nil
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p.requests.Add(1)
		p.mu.Lock()
		p.log = append(p.log, req.Method+" "+req.URL.Path)
		p.mu.Unlock()
		if p.user != "" {
			if u, pw, ok := req.BasicAuth(); !ok || u != p.user || pw != p.pass {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			req.Header.Del("Authorization")
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// proxied is the location of d's repository behind the proxy.
func proxied(t *testing.T, d *demo.Repo, srv *httptest.Server, userinfo string) string {
	t.Helper()
	u, err := url.Parse(strings.TrimPrefix(d.Location, "rest:"))
	if err != nil {
		t.Fatal(err)
	}
	return "rest:http://" + userinfo + strings.TrimPrefix(srv.URL, "http://") + u.Path
}

// TestCostREST counts HTTP requests against rclone's real REST server: an
// unchanged check is one request.
func TestCostREST(t *testing.T) {
	ctx := context.Background()
	d := demotest.RESTRepo(t)
	p := &countingProxy{}
	srv := startProxy(t, d, p)
	orphanLock(t, d)
	live := holdLock(t, d, demo.Options{})
	_ = live

	r, err := Open(ctx, &config.Repo{Repository: proxied(t, d, srv, ""), PasswordFile: d.PasswordFile}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if locks, err := readAll(ctx, r); err != nil || len(locks) != 2 {
		t.Fatalf("first check: %v, %v", locks, err)
	}
	t.Logf("first (cold) check: %d requests: %v", p.requests.Load(), p.log)
	if n := p.requests.Load(); n != 6 {
		t.Errorf("first check: %d requests, want 6 (config, keys/, a key, locks/, two locks)", n)
	}
	p.requests.Store(0)
	p.log = nil
	if _, err := readAll(ctx, r); err != nil {
		t.Fatal(err)
	}
	if n := p.requests.Load(); n != 1 {
		t.Errorf("unchanged check: %d requests (%v), want 1", n, p.log)
	}
}

// TestRESTv1AndAuth: a server that answers API v1 listings (names without
// sizes) gives the same locks; credentials in the URL become basic auth
// and never show in locations or errors.
func TestRESTv1AndAuth(t *testing.T) {
	ctx := context.Background()
	d := demotest.RESTRepo(t)
	orphan := orphanLock(t, d)
	empty := randomID(t)
	writeNamed(t, d.LocksDir, empty, nil)
	p := &countingProxy{user: "alice", pass: "s3cret:/@pw", v1: true}
	srv := startProxy(t, d, p)

	loc := proxied(t, d, srv, "alice:"+url.PathEscape(p.pass)+"@")
	r, err := Open(ctx, &config.Repo{Repository: loc, PasswordFile: d.PasswordFile}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if strings.Contains(r.Location(), "s3cret") || !strings.Contains(r.Location(), "alice:***@") {
		t.Errorf("Location() = %q", r.Location())
	}
	ids, err := r.ListLocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := resticIDs(t, d); !slices.Equal(ids, want) {
		t.Fatalf("v1 listing %v, restic %v", ids, want)
	}
	if l, err := r.ReadLock(ctx, orphan.LockID); err != nil || l.Problem != "" || l.PID != orphan.PID {
		t.Fatalf("ReadLock over v1: %+v, %v (listed %v; orphan %s; log %v)", l, err, ids, orphan.LockID, p.log)
	}
	if l, err := r.ReadLock(ctx, empty); err != nil || l.Problem != problemEmpty {
		t.Fatalf("empty lock over v1 (size unknown from the listing): %+v, %v", l, err)
	}

	bad, err := Open(ctx, &config.Repo{Repository: proxied(t, d, srv, "alice:wrong-pass@"), PasswordFile: d.PasswordFile}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	_, err = bad.ListLocks(ctx)
	if err == nil || strings.Contains(err.Error(), "wrong-pass") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong REST credentials: %v", err)
	}
}

// Snapshots, like locks, are content-addressed: a repeated freshness check
// lists snapshots/ once and reads nothing; a new snapshot costs one read.
func TestCostSnapshots(t *testing.T) {
	ctx := context.Background()
	d, c, r := countedLocalRepo(t)
	backup := func(host string) {
		t.Helper()
		cmd := d.Command(ctx, "backup", "--stdin", "--stdin-filename", "f.txt", "--host", host)
		cmd.Stdin = strings.NewReader("data\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("restic backup: %v\n%s", err, out)
		}
	}
	backup("a")
	backup("b")
	if _, found, err := r.LatestSnapshot(ctx, "", nil, nil); err != nil || !found {
		t.Fatalf("first: %v %v", found, err)
	}
	c.reset()
	if _, found, err := r.LatestSnapshot(ctx, "b", nil, nil); err != nil || !found {
		t.Fatalf("again: %v %v", found, err)
	}
	if l, rd := c.lists.Load(), c.reads.Load(); l != 1 || rd != 0 {
		t.Errorf("unchanged: %d lists, %d reads; want 1, 0", l, rd)
	}
	backup("c")
	c.reset()
	if _, found, err := r.LatestSnapshot(ctx, "c", nil, nil); err != nil || !found {
		t.Fatalf("after a backup: %v %v", found, err)
	}
	if l, rd := c.lists.Load(), c.reads.Load(); l != 1 || rd != 1 {
		t.Errorf("one new snapshot: %d lists, %d reads; want 1, 1", l, rd)
	}
}
