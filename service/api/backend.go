package api

import (
	"context"
	"errors"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/store"
)

// Backend is what the tray needs from a service: the one running in its
// own process (Local) or the one answering on the socket (*Client).
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

// Local is a Backend on a daemon in this process.
type Local struct{ Daemon *daemon.Daemon }

func (l Local) Status(ctx context.Context) (check.Status, error) {
	st := l.Daemon.Status()
	st.Source = "in-process"
	return st, nil
}

func (l Local) Check(ctx context.Context, repo string) (check.RepoStatus, error) {
	return l.Daemon.CheckNow(ctx, repo)
}

func (l Local) Unlock(ctx context.Context, repo string, req UnlockRequest) (check.UnlockResult, error) {
	if req.All && !req.Confirm {
		return check.UnlockResult{}, errors.New(`"all" removes live locks too; confirm it`)
	}
	return l.Daemon.Unlock(ctx, repo, check.UnlockOptions{IDs: req.Locks, Force: req.Force, All: req.All}, req.By)
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
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-ch:
			fn(ev)
		}
	}
}
