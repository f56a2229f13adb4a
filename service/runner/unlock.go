package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/lock"
)

// autoUnlock removes the lock c describes when the repository's
// auto_unlock level covers its verdict, and reports whether it is gone.
// It fills in c's verdict, or its note when it leaves the lock alone.
func (x *execution) autoUnlock(ctx context.Context, c *Conflict) bool {
	level := x.repo.AutoUnlock
	verdicts := level.Verdicts()
	if verdicts == nil {
		c.note = "auto_unlock is off"
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

	checker := check.NewChecker(x.o.Config)
	if level == config.AutoUnlockUnrefreshed && x.o.Store != nil {
		// The same first-seen times the service keeps: without them no
		// lock can be judged unrefreshed.
		checker.Observe = x.o.Store.Observe
	}
	st := checker.Check(ctx, x.repo)
	if st.State == check.StateError {
		c.note = "lockwatch could not check the repository: " + st.Error
		return false
	}
	l, ok := findBlocking(st.Locks, c)
	if !ok {
		c.note = "lockwatch could not find that lock in the repository"
		return false
	}
	c.LockID, c.Verdict, c.Reason = l.ID, string(l.Verdict), l.Reason
	// Never a live or fresh lock, whatever the level says: removing a
	// lock in use can let a prune delete data a running backup needs.
	if l.Verdict == lock.Live || l.Verdict == lock.Fresh || !slices.Contains(verdicts, l.Verdict) {
		c.note = fmt.Sprintf("lockwatch left it: it is %s (%s), which auto_unlock = %q does not remove", l.Verdict, l.Reason, level)
		return false
	}
	res, err := checker.Unlock(ctx, x.repo, check.UnlockOptions{IDs: []string{l.ID}})
	if len(res.Removed) > 0 && x.o.Store != nil {
		if _, recErr := check.RecordRemovals(x.o.Store, res, "run"); recErr != nil {
			x.logf("removed a lock, but could not write the audit trail: %v", recErr)
		}
	}
	if err != nil {
		c.note = "removing it failed: " + err.Error()
		x.logf("could not remove lock %s: %v", shortID(l.ID), err)
		return false
	}
	for _, r := range res.Removed {
		if r.ID == l.ID {
			c.Removed = true
		}
	}
	if !c.Removed {
		c.note = "lockwatch could not remove it"
	}
	return c.Removed
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
