package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// On Windows the APIs travel over named pipes, Windows' convention for a
// same-user local API (as tailscale's safesocket does, with go-winio). The
// pipe's security descriptor admits only this user and SYSTEM, and each
// end checks the user of the process at the other end, as the unix side
// checks peer credentials. A pipe disappears with its last handle, so a
// crashed service leaves nothing behind to clean up.

func address(name string) (string, error) {
	sid, err := userSID()
	if err != nil {
		return "", fmt.Errorf("ipc: %w", err)
	}
	path := `\\.\pipe\lockwatch-` + sid.String()
	if name != Service {
		path += "-" + name
	}
	return path, nil
}

// userSID is the user this process runs as.
func userSID() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, err
	}
	return u.User.Sid.Copy()
}

// Listener accepts only connections from processes of our own user; the
// others are closed at once and counted.
type Listener struct {
	pipe    net.Listener
	us      *windows.SID
	refused atomic.Int64
}

// Accept returns the next connection whose client runs as our user.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.pipe.Accept()
		if err != nil {
			return nil, err
		}
		if sid, err := peerSID(c, windows.GetNamedPipeClientProcessId); err == nil && sid.Equals(l.us) {
			return c, nil
		}
		l.refused.Add(1)
		c.Close()
	}
}

// Close stops listening; the pipe goes away with it.
func (l *Listener) Close() error { return l.pipe.Close() }

// Addr is the pipe's address.
func (l *Listener) Addr() net.Addr { return l.pipe.Addr() }

// Refused counts the connections closed because their client was another
// user (or could not be identified).
func (l *Listener) Refused() int64 { return l.refused.Load() }

func listen(path string) (net.Listener, error) {
	us, err := userSID()
	if err != nil {
		return nil, fmt.Errorf("ipc: %w", err)
	}
	// D:P — a protected DACL, nothing inherited: generic all for this
	// user and for SYSTEM, and for nobody else (not Administrators).
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;GA;;;" + us.String() + ")(A;;GA;;;SY)")
	if err != nil {
		return nil, fmt.Errorf("ipc: %w", err)
	}
	// Windows refuses a second first instance (FILE_FLAG_FIRST_PIPE_INSTANCE
	// in listenPipe); Wine does not, so ask the pipe whether anyone answers.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	c, dialErr := winio.DialPipeContext(ctx, path)
	cancel()
	if dialErr == nil || errors.Is(dialErr, windows.ERROR_PIPE_BUSY) {
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("ipc: %s: %w", path, ErrInUse)
	}
	pipe, err := listenPipe(path, sd)
	switch {
	case errors.Is(err, windows.ERROR_ACCESS_DENIED), errors.Is(err, windows.ERROR_ALREADY_EXISTS), errors.Is(err, windows.ERROR_PIPE_BUSY):
		// The first instance of a pipe is created exclusively: someone
		// has it already.
		return nil, fmt.Errorf("ipc: %s: %w", path, ErrInUse)
	case err != nil:
		return nil, fmt.Errorf("ipc: %w", err)
	}
	return &Listener{pipe: pipe, us: us}, nil
}

// dial connects to the pipe and checks who serves it before the caller
// can send anything: a pipe of that name made first by another user would
// otherwise receive our requests.
func dial(ctx context.Context, path string) (net.Conn, error) {
	c, err := winio.DialPipeContext(ctx, path)
	if err != nil {
		return nil, err
	}
	us, err := userSID()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("ipc: %w", err)
	}
	server, err := peerSID(c, windows.GetNamedPipeServerProcessId)
	switch {
	case err != nil:
		c.Close()
		return nil, fmt.Errorf("ipc: cannot tell who serves %s: %w", path, err)
	case !server.Equals(us):
		c.Close()
		return nil, fmt.Errorf("ipc: %w", &ForeignServerError{Path: path, Server: server.String(), Us: us.String()})
	}
	return c, nil
}

// peerSID is the user of the process at the other end of the pipe c,
// whose process ID pidOf tells (GetNamedPipeClientProcessId or
// GetNamedPipeServerProcessId).
func peerSID(c net.Conn, pidOf func(windows.Handle, *uint32) error) (*windows.SID, error) {
	pipe, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return nil, fmt.Errorf("not a pipe: %T", c)
	}
	var pid uint32
	if err := pidOf(windows.Handle(pipe.Fd()), &pid); err != nil {
		return nil, err
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	var token windows.Token
	if err := windows.OpenProcessToken(h, windows.TOKEN_QUERY, &token); err != nil {
		return nil, fmt.Errorf("token of process %d: %w", pid, err)
	}
	defer token.Close()
	u, err := token.GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("user of process %d: %w", pid, err)
	}
	return u.User.Sid.Copy()
}
