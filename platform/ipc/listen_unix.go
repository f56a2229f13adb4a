//go:build unix

package ipc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Listener accepts only connections from our own user; the others are
// closed at once and counted.
type Listener struct {
	// ul is not embedded: its AcceptUnix would bypass the peer check.
	ul      *net.UnixListener
	refused atomic.Int64
}

// Accept returns the next connection whose peer runs as our user.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.ul.AcceptUnix()
		if err != nil {
			return nil, err
		}
		if checkPeer(c) == nil {
			return c, nil
		}
		// Count before closing, so a refused client that sees the close
		// also sees the count.
		l.refused.Add(1)
		c.Close()
	}
}

// Close stops listening and removes the socket file.
func (l *Listener) Close() error { return l.ul.Close() }

// Addr is the socket's address.
func (l *Listener) Addr() net.Addr { return l.ul.Addr() }

// Refused counts the connections closed because their peer was another user
// (or could not be identified).
func (l *Listener) Refused() int64 { return l.refused.Load() }

func listen(path string) (net.Listener, error) {
	if err := prepareDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("ipc: %w", err)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("ipc: %w", err)
	}
	if err := restrictSocket(path); err != nil {
		ul.Close()
		return nil, fmt.Errorf("ipc: %w", err)
	}
	return &Listener{ul: ul}, nil
}

// removeStale removes a socket file nobody listens on. Unix sockets hang
// around in the filesystem even after nobody is listening (as tailscale's
// safesocket puts it), so a crashed service leaves one behind that would
// make bind fail. Dial first: only a refused connection proves the socket
// dead; any other failure leaves the file alone.
func removeStale(path string) error {
	c, err := net.DialTimeout("unix", path, time.Second)
	switch {
	case err == nil:
		c.Close()
		return fmt.Errorf("ipc: %s: %w", path, ErrInUse)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case nobodyListening(err):
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("ipc: removing stale socket: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("ipc: %s exists but cannot tell whether it is in use: %w", path, err)
	}
}

// dial connects to path and checks who listens there (checkServer) before
// the caller can send anything.
func dial(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	if err := checkServer(c.(*net.UnixConn), path); err != nil {
		c.Close()
		return nil, fmt.Errorf("ipc: %w", err)
	}
	return c, nil
}
