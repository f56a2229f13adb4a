package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/lockwatch/lockwatch/platform/ipc"
)

// One tray and one window process per user: a later start (a click on a
// lockwatch:// link on Windows, a second launch from the menu, the tray
// asking for a window) hands its request to the one running, over a
// socket next to the service's, and exits.

// Who listens for hand-overs.
const (
	Tray   = "tray"   // the tray process: "open" starts or reaches the window process
	Window = "window" // the window process: "open" shows the target
)

// Requests a hand-over carries.
const (
	Open    = "open"    // show a target: "", "repo/NAME" or "settings"
	Quit    = "quit"    // close everything and exit
	Refresh = "refresh" // redraw: a setting the tray shows changed elsewhere
)

func handOverSocket(who string) (string, error) { return ipc.Address(who) }

// HandOver asks the running process who to do request (Open, Quit or Refresh) on
// target; true when one did.
func HandOver(who, request, target string) bool {
	sock, err := handOverSocket(who)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://lockwatch/"+request+"?target="+url.QueryEscape(target), nil)
	resp, err := ipc.HTTPClient(sock).Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// ErrTaken is Listen's error when another process of the same kind listens.
var ErrTaken = errors.New("another lockwatch process of this kind is running")

// Listen serves the hand-overs of later starts until ctx ends: do gets
// the request (Open, Quit or Refresh) and its target. It fails with ErrTaken when
// another process listens already (it started at the same moment).
func Listen(ctx context.Context, who string, do func(request, target string)) error {
	sock, err := handOverSocket(who)
	if err != nil {
		return err
	}
	ln, err := ipc.Listen(sock)
	if errors.Is(err, ipc.ErrInUse) {
		return ErrTaken
	}
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		request := r.URL.Path[1:]
		if r.Method != http.MethodPost || (request != Open && request != Quit && request != Refresh) {
			http.NotFound(w, r)
			return
		}
		do(request, r.URL.Query().Get("target"))
	})}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return nil
}
