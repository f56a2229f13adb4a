package app

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/lockwatch/lockwatch/platform/ipc"
)

// One app per user: a second start (a click on a lockwatch:// link on
// Windows, a second launch from the menu) hands its request to the first
// over a socket next to the service's, and exits.

func handOverSocket() (string, error) {
	p, err := ipc.SocketPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(p), "app.sock"), nil
}

// handOver asks a running app to show target; true when one did.
func handOver(target string) bool {
	sock, err := handOverSocket()
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://lockwatch/open?target="+url.QueryEscape(target), nil)
	resp, err := ipc.HTTPClient(sock).Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// listenForHandOver serves requests of later starts until ctx ends.
func listenForHandOver(ctx context.Context, open func(target string)) {
	sock, err := handOverSocket()
	if err != nil {
		return
	}
	ln, err := ipc.Listen(sock)
	if err != nil {
		return // another app listens: it started at the same moment
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/open" {
			http.NotFound(w, r)
			return
		}
		open(r.URL.Query().Get("target"))
	})}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
}
