package app

import (
	"fmt"

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
	return fmt.Sprintf("%s — stale lock (%s, PID %d on %s)", r.Name, age(*worst), worst.PID, worst.Hostname)
}
