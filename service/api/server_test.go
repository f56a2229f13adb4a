package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/demo"

	"github.com/lockwatch/lockwatch/service/daemon/daemontest"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// An unlock request that makes no sense is the client's mistake (4xx, with
// a message), never the service's (500); and an unlock needs an explicit
// request: a missing or null body removes nothing.
func TestUnlockRequestsAreChecked(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	d, _ := daemontest.New(t, fmt.Sprintf("[defaults]\nrestic = %q\n[[repo]]\nname = \"nas\"\nrepository = %q\npassword_file = %q\n", repo.Restic, repo.Location, repo.PasswordFile))
	t.Cleanup(d.Close)
	srv := httptest.NewServer(Handler(d))
	t.Cleanup(srv.Close)

	for _, c := range []struct {
		body string
		code int
		says string
	}{
		{"", http.StatusBadRequest, "an unlock needs a request"},
		{"null", http.StatusBadRequest, "an unlock needs a request"},
		{`{"locks": ["../../config"]}`, http.StatusBadRequest, "is not a storage ID"},
		{`{"locks": ["zz"]}`, http.StatusBadRequest, "is not a storage ID"},
		{`{"locks": [""]}`, http.StatusBadRequest, "is not a storage ID"},
		{`{"locks": ["` + strings.Repeat("a", 60<<10) + `"]}`, http.StatusBadRequest, "is not a storage ID"},
		{`{"locks": ["` + strings.Repeat("0", 64) + `"]}`, http.StatusNotFound, "no lock with ID"},
		{`{"verdicts": ["live"]}`, http.StatusBadRequest, "expired and unrefreshed, not"},
		{`{"all": true}`, http.StatusBadRequest, "confirm"},
	} {
		code, body := raw(t, srv, http.MethodPost, "/v1/repos/nas/unlock", c.body)
		if code != c.code || !strings.Contains(body, c.says) || len(body) > 1000 {
			t.Errorf("body %.40q: %d %.200s; want %d saying %q", c.body, code, body, c.code, c.says)
		}
	}
	if ids, _ := repo.Locks(); len(ids) != 1 || ids[0] != dead.LockID {
		t.Fatalf("locks after the refused requests: %v, want the orphaned one left", ids)
	}
	// {} is the explicit request for the stale locks.
	if code, body := raw(t, srv, http.MethodPost, "/v1/repos/nas/unlock", "{}"); code != http.StatusOK || !strings.Contains(body, dead.LockID) {
		t.Errorf("{}: %d %s", code, body)
	}
	if ids, _ := repo.Locks(); len(ids) != 0 {
		t.Errorf("locks after {}: %v", ids)
	}
}

// A refused unlock comes over the wire with its ID and facts, so that the
// app can say it in its user's language; the English stays the message.
func TestRefusalCrossesTheWire(t *testing.T) {
	repo := demotest.LocalRepo(t)
	live := demotest.Hold(t, repo, demo.Options{})
	d, _ := daemontest.New(t, fmt.Sprintf("[defaults]\nrestic = %q\n[[repo]]\nname = \"nas\"\nrepository = %q\npassword_file = %q\n", repo.Restic, repo.Location, repo.PasswordFile))
	t.Cleanup(d.Close)
	srv := httptest.NewServer(Handler(d))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	c := &Client{HTTP: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
	}}}

	_, err := c.Unlock(context.Background(), "nas", UnlockRequest{Locks: []string{live.LockID[:8]}})
	var remote *Error
	if !errors.As(err, &remote) || remote.Code != http.StatusConflict || !strings.Contains(remote.Message, "is live") {
		t.Fatalf("unlock of a live lock: %v", err)
	}
	if w := remote.Refusal; w == nil || w.ID != check.RefusedInUse || w.Facts["Lock"] != live.LockID[:8] || w.Facts["PID"] != strconv.Itoa(live.PID) {
		t.Errorf("refusal over the wire: %+v", w)
	}
	if ids, _ := repo.Locks(); len(ids) != 1 {
		t.Errorf("locks after the refusal: %v", ids)
	}
	// Other errors carry none.
	_, err = c.Unlock(context.Background(), "nas", UnlockRequest{Locks: []string{strings.Repeat("0", 64)}})
	if !errors.As(err, &remote) || remote.Refusal != nil {
		t.Errorf("no such lock: %v, refusal %+v", err, remote.Refusal)
	}
}
