package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
)

// autoUnlock removes the lock c describes when the repository's
// auto_unlock level covers its verdict, and reports whether it is gone.
// It fills in c's verdict, or its note when it leaves the lock alone.
func (x *execution) autoUnlock(ctx context.Context, c *Conflict) bool {
	level := x.repo.AutoUnlock
	verdicts := level.Verdicts()
	switch {
	case verdicts == nil:
		c.note = "auto_unlock is off"
		return false
	case x.o.Backend == nil:
		c.note = "lockwatch could not reach its service to remove it"
		return false
	}
	// A stop request while restic is being asked about the locks cancels
	// that, and no retry follows.
	ctx, cancel := context.WithTimeout(ctx, 3*x.timeout())
	defer cancel()
	stopWatch, watchDone := make(chan struct{}), make(chan struct{})
	defer func() { close(stopWatch); <-watchDone }() // x.stopped is ours again after this
	go func() {
		defer close(watchDone)
		select {
		case sig := <-x.sigs:
			x.stopped = sig
			cancel()
		case <-stopWatch:
		}
	}()

	// The service (or the same in this process) judges the locks again,
	// removes those of the level's verdicts and records it, as it would on
	// its own schedule; never a live or fresh lock, whatever the level.
	res, err := x.o.Backend.Unlock(ctx, x.repo.Name, api.UnlockRequest{Verdicts: verdicts, By: "run"})
	if err != nil {
		c.note = "lockwatch could not remove stale locks: " + err.Error()
		x.logf("could not remove the stale locks of %s: %v", x.repo.Name, err)
		return false
	}
	if l, ok := findBlocking(res.Removed, c); ok {
		c.LockID, c.Verdict, c.Reason, c.Removed = l.ID, string(l.Verdict), l.Reason, true
		return true
	}
	l, ok := findBlocking(res.Kept, c)
	if !ok {
		c.note = "lockwatch could not find that lock in the repository"
		return false
	}
	c.LockID, c.Verdict, c.Reason = l.ID, string(l.Verdict), l.Reason
	c.note = fmt.Sprintf("lockwatch left it: it is %s (%s), which auto_unlock = %q does not remove", l.Verdict, l.Reason, level)
	return false
}

// findBlocking finds the lock restic described among the repository's.
// restic names it by a short storage ID (0.14+) and always by PID, host
// and exclusivity; both must agree, and exactly one lock must match, or
// lockwatch touches nothing.
func findBlocking(locks []check.LockStatus, c *Conflict) (check.LockStatus, bool) {
	var found []check.LockStatus
	for _, l := range locks {
		if c.LockID != "" && !strings.HasPrefix(l.ID, c.LockID) {
			continue
		}
		if l.PID == c.PID && l.Hostname == c.Host && l.Exclusive == c.Exclusive {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		return check.LockStatus{}, false
	}
	return found[0], true
}

func (x *execution) timeout() time.Duration {
	if d := x.o.Config.Defaults.Timeout.Duration; d > 0 {
		return d
	}
	return config.DefaultTimeout
}

// ownLockGone reports whether the repository holds no lock of the command
// lockwatch started (PID pid, on this host) any more: known only when the
// repository can be checked, so any doubt says "not gone".
func (x *execution) ownLockGone(ctx context.Context, pid int) bool {
	if x.o.Backend == nil {
		return false
	}
	host, err := x.o.Config.HostName()
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*x.timeout())
	defer cancel()
	st, err := x.o.Backend.Check(ctx, x.repo.Name)
	if err != nil || st.State == check.StateError {
		return false
	}
	for _, l := range st.Locks {
		if l.PID == pid && l.Hostname == host {
			return false
		}
	}
	return true
}
