package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/lockwatch/lockwatch/platform/flock"
	"github.com/lockwatch/lockwatch/platform/ipc"
	"github.com/lockwatch/lockwatch/platform/paths"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/store"
)

// Server is the daemon with its local API, running in this process: in
// `lockwatch service run`, or inside the tray app when no service runs.
type Server struct {
	Daemon *daemon.Daemon
	Socket string
	log    *slog.Logger
	single *flock.Lock
	ln     net.Listener
}

// ErrAlreadyRunning means another lockwatch service holds the single-instance lock.
var ErrAlreadyRunning = errors.New("lockwatch service is already running")

// NewServer takes the single-instance lock, opens the store and loads the
// config. Call Listen to serve the local API, then Run to start checking.
func NewServer(cfgPath string, log *slog.Logger) (*Server, error) {
	stateDir, err := paths.StateDir()
	if err != nil {
		return nil, err
	}
	// One service per user: the kernel drops this lock when we die, so a
	// crash can never leave it stale. It must be ours before the socket is.
	single, err := flock.TryLock(daemon.LockPath(stateDir))
	var locked *flock.LockedError
	if errors.As(err, &locked) {
		if locked.Holder.PID > 0 {
			return nil, fmt.Errorf("%w (PID %d)", ErrAlreadyRunning, locked.Holder.PID)
		}
		return nil, ErrAlreadyRunning
	}
	if err != nil {
		return nil, err
	}
	s := &Server{single: single, log: log}
	fail := func(err error) (*Server, error) {
		s.Close()
		return nil, err
	}
	st, err := store.Open(daemon.StorePath(stateDir))
	if err != nil {
		return fail(err)
	}
	if s.Daemon, err = daemon.New(daemon.Options{ConfigPath: cfgPath, Store: st, Log: log}); err != nil {
		return fail(err)
	}
	return s, nil
}

// Listen serves the local API on the user's socket from Run on. Without
// it the daemon still checks: the app then says that the CLI cannot
// reach it.
func (s *Server) Listen() error {
	sock, err := ipc.SocketPath()
	if err != nil {
		return fmt.Errorf("local API: %w", err)
	}
	ln, err := ipc.Listen(sock)
	if err != nil {
		return fmt.Errorf("local API on %s: %w", sock, err)
	}
	s.Socket, s.ln = sock, ln
	s.log.Info("local API listening", "socket", sock)
	return nil
}

// Run checks, and serves the API if Listen succeeded, until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	if s.ln == nil {
		s.serveMetrics(ctx)
		err := s.Daemon.Run(ctx)
		s.Close()
		return err
	}
	srv := &http.Server{
		Handler:           Handler(s.Daemon),
		ReadHeaderTimeout: 10 * time.Second,
		// Requests end with the service, event streams included.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("local API stopped", "err", err)
		}
	}()
	s.serveMetrics(ctx)
	err := s.Daemon.Run(ctx)
	shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	s.Close()
	return err
}

// serveMetrics starts the Prometheus listener when metrics_listen asks for
// one. A listener that cannot start (the port is taken) is logged and the
// checks go on: monitoring matters more than its metrics. A change of
// metrics_listen takes a restart of the service.
func (s *Server) serveMetrics(ctx context.Context) {
	addr := s.Daemon.Defaults().MetricsListen
	if addr == "" {
		return
	}
	go func() {
		if err := s.Daemon.Metrics().Serve(ctx, addr, s.log); err != nil {
			s.log.Error("metrics not served", "err", err)
		}
	}()
}

// Close releases the socket, the daemon's readers and the single-instance lock.
func (s *Server) Close() {
	if s.ln != nil {
		s.ln.Close()
	}
	if s.Daemon != nil {
		s.Daemon.Close()
	}
	if s.single != nil {
		s.single.Unlock()
	}
}

// Connect returns a client of the running service when one answers and it
// runs with the config at cfgPath; nil when none answers or it watches
// another config (commands then work in-process).
func Connect(ctx context.Context, cfgPath string) (*Client, check.Status) {
	c, st, _ := connect(ctx, cfgPath)
	return c, st
}

// connect is Connect that also says why there is no client, when the
// socket is served by another user (an *ipc.ForeignServerError): the
// caller then works on its own, and should say so.
func connect(ctx context.Context, cfgPath string) (*Client, check.Status, error) {
	sock, err := ipc.SocketPath()
	if err != nil {
		return nil, check.Status{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := ipc.Dial(ctx, sock)
	if foreign := (*ipc.ForeignServerError)(nil); errors.As(err, &foreign) {
		return nil, check.Status{}, foreign
	}
	if err != nil {
		return nil, check.Status{}, nil
	}
	conn.Close()
	c := &Client{HTTP: ipc.HTTPClient(sock)}
	st, err := c.Status(ctx)
	if err != nil || (cfgPath != "" && !config.SameFile(st.ConfigPath, cfgPath)) {
		return nil, check.Status{}, nil
	}
	return c, st, nil
}
