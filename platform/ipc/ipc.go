// Package ipc carries lockwatch's local HTTP APIs (the service's, and the
// app's hand-overs) over a channel only the same user can reach: a unix
// socket in a private directory, checked with the peer's credentials, or on
// Windows a named pipe whose security descriptor admits only the user and
// SYSTEM, checked with the peer process's token.
package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// SocketPath is where the service listens: on Linux
// $XDG_RUNTIME_DIR/lockwatch/lockwatch.sock, or <state dir>/lockwatch.sock
// when XDG_RUNTIME_DIR is unset; on macOS
// ~/Library/Application Support/lockwatch/lockwatch.sock; on Windows the
// named pipe \\.\pipe\lockwatch-<the user's SID>.
func SocketPath() (string, error) { return Address(Service) }

// Service is the name of the service's address.
const Service = "lockwatch"

// Address is where a lockwatch process of the given kind ("lockwatch" for
// the service, "tray", "window") listens: a socket beside the service's, or
// on Windows a named pipe beside it.
func Address(name string) (string, error) { return address(name) }

// ErrInUse means another process already listens on the socket.
var ErrInUse = errors.New("another process is listening")

// ForeignServerError is what Dial gives when the socket is served by another
// user: nothing was sent to it. Callers that fall back to working on their
// own should say why (errors.As).
type ForeignServerError struct {
	Path   string
	Server string // who serves it: "uid 1001", a SID
	Us     string // who we are, the same way
}

func (e *ForeignServerError) Error() string {
	return fmt.Sprintf("the lockwatch socket at %s is served by %s, not by you (%s)", e.Path, e.Server, e.Us)
}

// Listen listens on path, creating its directory private to the user (0700)
// and replacing a socket left by a crashed service. If another process
// listens on path, the error matches ErrInUse. The listener is a *Listener:
// it only hands out connections whose peer runs as our user.
//
// Listen does not stop two services starting at the same moment from
// replacing each other's socket; take the service's single-instance lock
// (platform/flock) first.
func Listen(path string) (net.Listener, error) { return listen(path) }

// Dial connects to the socket at path. It refuses (and closes) a
// connection whose server runs as another user, root included, before
// anything is sent: a socket in a place others could redirect must not get
// our requests.
func Dial(ctx context.Context, path string) (net.Conn, error) { return dial(ctx, path) }

// HTTPClient returns a client that sends every request, whatever its host
// (use e.g. http://lockwatch/v1/status), to the socket at path. It
// connects with Dial, so it never talks to a server of another user.
func HTTPClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		// Proxy stays nil: HTTP_PROXY must never see a local request.
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial(ctx, path)
		},
	}}
}
