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
//
// A few instances wait for clients at once: a client that finds every
// instance connected fails (Wine says "not found" rather than "busy"), so
// one waiting instance is not enough when two clients come together.
type pipeListener struct {
	path   string
	sa     *windows.SecurityAttributes
	closed windows.Handle // an event set by Close

	mu      sync.Mutex
	waiting []*pipeInstance
	done    bool
}

// pipeInstance is an instance of the pipe waiting for a client.
type pipeInstance struct {
	h  windows.Handle
	ov windows.Overlapped // its HEvent is set when a client connects
}

const (
	pipeMode      = windows.PIPE_TYPE_BYTE | windows.PIPE_READMODE_BYTE | windows.PIPE_WAIT | windows.PIPE_REJECT_REMOTE_CLIENTS
	waitingPipes  = 4
	pipeBufferLen = 64 << 10
)

func listenPipe(path string, sd *windows.SECURITY_DESCRIPTOR) (*pipeListener, error) {
	l := &pipeListener{path: path, sa: &windows.SecurityAttributes{SecurityDescriptor: sd}}
	l.sa.Length = uint32(unsafe.Sizeof(*l.sa))
	var err error
	if l.closed, err = windows.CreateEvent(nil, 1, 0, nil); err != nil {
		return nil, err
	}
	for i := range waitingPipes {
		// FILE_FLAG_FIRST_PIPE_INSTANCE on the first: it fails if the
		// pipe exists, whoever made it, so a second service or a
		// squatter is found out here (on Windows; Wine ignores it).
		var extra uint32
		if i == 0 {
			extra = windows.FILE_FLAG_FIRST_PIPE_INSTANCE
		}
		p, err := l.instance(extra)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.waiting = append(l.waiting, p)
	}
	return l, nil
}

// instance makes a new instance of the pipe and starts waiting for a client on it.
func (l *pipeListener) instance(extra uint32) (*pipeInstance, error) {
	name, err := windows.UTF16PtrFromString(l.path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateNamedPipe(name, windows.PIPE_ACCESS_DUPLEX|windows.FILE_FLAG_OVERLAPPED|extra, pipeMode,
		windows.PIPE_UNLIMITED_INSTANCES, pipeBufferLen, pipeBufferLen, 0, l.sa)
	if err != nil {
		return nil, err
	}
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		windows.CloseHandle(h)
		return nil, err
	}
	p := &pipeInstance{h: h, ov: windows.Overlapped{HEvent: ev}}
	switch err := windows.ConnectNamedPipe(h, &p.ov); {
	case errors.Is(err, windows.ERROR_PIPE_CONNECTED):
		windows.SetEvent(ev) // a client came between create and connect
	case err != nil && !errors.Is(err, windows.ERROR_IO_PENDING):
		p.close()
		return nil, fmt.Errorf("ipc: ConnectNamedPipe %s: %w", l.path, err)
	}
	return p, nil
}

func (p *pipeInstance) close() {
	windows.CancelIoEx(p.h, &p.ov)
	windows.CloseHandle(p.h)
	windows.CloseHandle(p.ov.HEvent)
}

// Accept waits for a client on any waiting instance and puts a new
// instance in its place.
func (l *pipeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		return nil, net.ErrClosed
	}
	events := []windows.Handle{l.closed}
	for _, p := range l.waiting {
		events = append(events, p.ov.HEvent)
	}
	l.mu.Unlock()
	// One thread waits here for the whole listener.
	which, err := windows.WaitForMultipleObjects(events, false, windows.INFINITE)
	if err != nil {
		return nil, err
	}
	i := int(which - windows.WAIT_OBJECT_0)
	l.mu.Lock()
	defer l.mu.Unlock()
	if i == 0 || l.done {
		return nil, net.ErrClosed
	}
	p := l.waiting[i-1]
	next, err := l.instance(0)
	if err != nil {
		// Keep serving with one instance fewer rather than none.
		l.waiting = append(l.waiting[:i-1], l.waiting[i:]...)
	} else {
		l.waiting[i-1] = next
	}
	var n uint32
	if err := windows.GetOverlappedResult(p.h, &p.ov, &n, false); err != nil && !errors.Is(err, windows.ERROR_PIPE_CONNECTED) {
		p.close()
		return nil, fmt.Errorf("ipc: ConnectNamedPipe %s: %w", l.path, err)
	}
	windows.CloseHandle(p.ov.HEvent)
	f, err := winio.NewOpenFile(p.h)
	if err != nil {
		windows.CloseHandle(p.h)
		return nil, err
	}
	return &pipeConn{file: f.(pipeFile), path: l.path}, nil
}

// Close stops listening: the waiting instances go, and with them the pipe
// once every connection has ended.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil
	}
	l.done = true
	windows.SetEvent(l.closed)
	for _, p := range l.waiting {
		p.close()
	}
	l.waiting = nil
	return nil
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
