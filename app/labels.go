package app

import (
	"fmt"
	"time"

	"github.com/lockwatch/lockwatch/service"
	"github.com/lockwatch/lockwatch/service/lock"
)

// RepoLabel is a repository's name and its state in words, e.g.
// "nas — stale lock (3h, PID 69387 on mbp)".
func RepoLabel(r service.RepoStatus) string {
	switch r.State {
	case service.StateError:
		return r.Name + " — cannot check: " + r.Error
	case service.StateFailed:
		return r.Name + " — failed: " + r.Failure
	case service.StateOK:
		return r.Name + " — ok, no locks"
	}
	if len(r.Locks) == 0 {
		return r.Name + " — " + string(r.State)
	}
	var worst *service.LockStatus
	for i := range r.Locks {
		l := &r.Locks[i]
		if l.Verdict.Stale() || l.Verdict == lock.Invalid {
			worst = l
			break
		}
	}
	if worst == nil {
		l := r.Locks[0]
		return fmt.Sprintf("%s — in use (PID %d on %s)", r.Name, l.PID, l.Hostname)
	}
	if worst.Verdict == lock.Invalid {
		return fmt.Sprintf("%s — invalid lock file %s", r.Name, worst.ShortID())
	}
	return fmt.Sprintf("%s — stale lock (%s, PID %d on %s)", r.Name, lock.Age(time.Duration(worst.AgeSeconds)*time.Second), worst.PID, worst.Hostname)
}

// LockLabel is one lock on a line: id, kind, owner, age, verdict, reason.
func LockLabel(l service.LockStatus) string {
	if l.Verdict == lock.Invalid {
		return fmt.Sprintf("%s  invalid: %s", l.ShortID(), l.Reason)
	}
	kind := "shared"
	if l.Exclusive {
		kind = "exclusive"
	}
	return fmt.Sprintf("%s  %s  PID %d on %s (%s), %s old — %s: %s", l.ShortID(), kind, l.PID, l.Hostname, l.Username,
		lock.Age(time.Duration(l.AgeSeconds)*time.Second), l.Verdict, l.Reason)
}
