package api

import (
	"context"
	"strings"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/store"
)

// Backend is the one seam the tray, the windows and the CLI go through: the
// service answering on the socket (*Client), or the same daemon running in
// this process (Local). Either way check, judge, auto-unlock, record and
// publish happen in the daemon.
type Backend interface {
	Status(ctx context.Context) (check.Status, error)
	Check(ctx context.Context, repo string) (check.RepoStatus, error)
	Unlock(ctx context.Context, repo string, req UnlockRequest) (check.UnlockResult, error)
	SetAutoUnlock(ctx context.Context, repo string, level config.AutoUnlock) (check.RepoStatus, error)
	History(ctx context.Context, repo string, limit int) ([]store.Event, error)
	Events(ctx context.Context, fn func(daemon.Event)) error
}

var (
	_ Backend = (*Client)(nil)
	_ Backend = Local{}
)

// Open returns what a command goes through: the running service when one
// answers with the config at cfgPath, else the same daemon in this process
// (no schedule, no socket) on this user's store, so that a check, an
// unlock or a run means the same with or without a service. closeFn waits
// for the checks it started in the background (after an unlock, say).
func Open(ctx context.Context, cfgPath string) (b Backend, closeFn func(), err error) {
	c, _, foreign := connect(ctx, cfgPath)
	if c != nil {
		return c, func() {}, nil
	}
	st, _, err := daemon.OpenUserStore(true)
	if err != nil {
		return nil, nil, err
	}
	d, err := daemon.New(daemon.Options{ConfigPath: cfgPath, Store: st})
	if err != nil {
		return nil, nil, err
	}
	l := Local{Daemon: d}
	if foreign != nil {
		l.Notice = foreign.Error() + "; not talking to it, checking in this process instead"
	}
	return l, d.Close, nil
}

// Local is a Backend on a daemon in this process.
type Local struct {
	Daemon *daemon.Daemon
	// OnSubscribe, when set, is called each time Events has subscribed:
	// the app starts the daemon's schedule then, so that it hears the
	// news of the first checks.
	OnSubscribe func()
	// Notice, when set, joins the daemon's own notice in Status: why this
	// command works on its own although a socket answered.
	Notice string
}

// Where a Status came from.
const (
	SourceService   = "service"    // the running service
	SourceInProcess = "in-process" // a daemon in this process: the app's, or a command's
)

func (l Local) Status(ctx context.Context) (check.Status, error) {
	st := l.Daemon.Status()
	st.Source = SourceInProcess
	if l.Notice != "" {
		st.Notice = strings.TrimPrefix(st.Notice+"; "+l.Notice, "; ")
	}
	return st, nil
}

func (l Local) Check(ctx context.Context, repo string) (check.RepoStatus, error) {
	return l.Daemon.CheckNow(ctx, repo)
}

func (l Local) Unlock(ctx context.Context, repo string, req UnlockRequest) (check.UnlockResult, error) {
	opts, err := req.options()
	if err != nil {
		return check.UnlockResult{}, err
	}
	return l.Daemon.Unlock(ctx, repo, opts, req.By)
}

func (l Local) SetAutoUnlock(ctx context.Context, repo string, level config.AutoUnlock) (check.RepoStatus, error) {
	return l.Daemon.SetAutoUnlock(repo, level)
}

func (l Local) History(ctx context.Context, repo string, limit int) ([]store.Event, error) {
	return l.Daemon.History(store.Query{Repo: repo, Limit: limit})
}

func (l Local) Events(ctx context.Context, fn func(daemon.Event)) error {
	ch, stop := l.Daemon.Subscribe()
	defer stop()
	if l.OnSubscribe != nil {
		l.OnSubscribe()
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-ch:
			fn(ev)
		}
	}
}
