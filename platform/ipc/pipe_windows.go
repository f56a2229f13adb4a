package ipc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
	"unsafe"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// pipeListener serves a named pipe with the plain Win32 calls
// (CreateNamedPipe, ConnectNamedPipe) and hands each connected instance to
// go-winio for its I/O. go-winio's own listener keeps an extra "first"
// instance that never accepts; Wine lets clients connect to that one, where
// they hang, so it is not used. This file is hand-written for that reason.
type pipeListener struct {
	path   string
	sa     *windows.SecurityAttributes
	closed windows.Handle // an event set by Close

	mu   sync.Mutex
	next windows.Handle // the instance the next client connects to
	done bool
}

const pipeMode = windows.PIPE_TYPE_BYTE | windows.PIPE_READMODE_BYTE | windows.PIPE_WAIT | windows.PIPE_REJECT_REMOTE_CLIENTS

func listenPipe(path string, sd *windows.SECURITY_DESCRIPTOR) (*pipeListener, error) {
	l := &pipeListener{path: path, sa: &windows.SecurityAttributes{SecurityDescriptor: sd}}
	l.sa.Length = uint32(unsafe.Sizeof(*l.sa))
	// FILE_FLAG_FIRST_PIPE_INSTANCE: fails if the pipe exists, whoever
	// made it, so a second service, or a squatter, is found out here.
	first, err := l.instance(windows.FILE_FLAG_FIRST_PIPE_INSTANCE)
	if err != nil {
		return nil, err
	}
	l.closed, err = windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		windows.CloseHandle(first)
		return nil, err
	}
	l.next = first
	return l, nil
}

func (l *pipeListener) instance(extra uint32) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(l.path)
	if err != nil {
		return 0, err
	}
	return windows.CreateNamedPipe(name, windows.PIPE_ACCESS_DUPLEX|windows.FILE_FLAG_OVERLAPPED|extra, pipeMode,
		windows.PIPE_UNLIMITED_INSTANCES, 64<<10, 64<<10, 0, l.sa)
}

// Accept waits for a client on the waiting instance, then makes the next one.
func (l *pipeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	h, done := l.next, l.done
	l.mu.Unlock()
	if done {
		return nil, net.ErrClosed
	}
	if err := l.waitConnected(h); err != nil {
		return nil, err
	}
	next, err := l.instance(0)
	l.mu.Lock()
	if err == nil && !l.done {
		l.next = next
	} else if err == nil {
		windows.CloseHandle(next)
	}
	l.mu.Unlock()
	if err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("ipc: next instance of %s: %w", l.path, err)
	}
	f, err := winio.NewOpenFile(h)
	if err != nil {
		windows.CloseHandle(h)
		return nil, err
	}
	return &pipeConn{file: f.(pipeFile), path: l.path}, nil
}

// waitConnected waits for a client to connect to h, or for Close.
func (l *pipeListener) waitConnected(h windows.Handle) error {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(ev)
	ov := windows.Overlapped{HEvent: ev}
	switch err := windows.ConnectNamedPipe(h, &ov); {
	case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
		return nil
	case !errors.Is(err, windows.ERROR_IO_PENDING):
		return fmt.Errorf("ipc: ConnectNamedPipe %s: %w", l.path, err)
	}
	which, err := windows.WaitForMultipleObjects([]windows.Handle{ev, l.closed}, false, windows.INFINITE)
	if err != nil {
		return err
	}
	if which == windows.WAIT_OBJECT_0+1 {
		windows.CancelIoEx(h, &ov)
		var n uint32
		windows.GetOverlappedResult(h, &ov, &n, true)
		return net.ErrClosed
	}
	var n uint32
	if err := windows.GetOverlappedResult(h, &ov, &n, false); err != nil && !errors.Is(err, windows.ERROR_PIPE_CONNECTED) {
		return fmt.Errorf("ipc: ConnectNamedPipe %s: %w", l.path, err)
	}
	return nil
}

// Close stops listening: the waiting instance goes, and with it the pipe
// once every connection has ended.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil
	}
	l.done = true
	windows.SetEvent(l.closed)
	return windows.CloseHandle(l.next)
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.path) }

// pipeFile is what go-winio makes of a handle: overlapped I/O through its
// completion port, with deadlines.
type pipeFile interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
	Fd() uintptr
}

type pipeConn struct {
	file pipeFile
	path string
}

func (c *pipeConn) Read(b []byte) (int, error)  { return c.file.Read(b) }
func (c *pipeConn) Write(b []byte) (int, error) { return c.file.Write(b) }
func (c *pipeConn) Close() error {
	windows.DisconnectNamedPipe(windows.Handle(c.file.Fd()))
	return c.file.Close()
}
func (c *pipeConn) LocalAddr() net.Addr                { return pipeAddr(c.path) }
func (c *pipeConn) RemoteAddr() net.Addr               { return pipeAddr(c.path) }
func (c *pipeConn) SetReadDeadline(t time.Time) error  { return c.file.SetReadDeadline(t) }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return c.file.SetWriteDeadline(t) }
func (c *pipeConn) SetDeadline(t time.Time) error {
	if err := c.file.SetReadDeadline(t); err != nil {
		return err
	}
	return c.file.SetWriteDeadline(t)
}
func (c *pipeConn) Fd() uintptr { return c.file.Fd() }

type pipeAddr string

func (pipeAddr) Network() string  { return "pipe" }
func (a pipeAddr) String() string { return string(a) }
