package app

import (
	"fmt"

	"github.com/lockwatch/lockwatch/service"
	"github.com/lockwatch/lockwatch/service/lock"
)

// RepoLabel is a repository's name and its state in words, e.g.
// "nas — stale lock (3h, PID 69387 on mbp)".
func RepoLabel(r service.RepoStatus) string { return r.Name + " — " + StateWords(r) }

// StateWords is a repository's state in words, e.g.
// "stale lock (3h, PID 69387 on mbp)".
func StateWords(r service.RepoStatus) string {
	switch r.State {
	case service.StateError:
		return "cannot check: " + r.Error
	case service.StateFailed:
		return "failed: " + r.Failure
	case service.StateOK:
		return "ok, no locks"
	}
	if len(r.Locks) == 0 {
		return string(r.State)
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
		return fmt.Sprintf("in use (PID %d on %s)", l.PID, l.Hostname)
	}
	if worst.Verdict == lock.Invalid {
		return "invalid lock file " + worst.ShortID()
	}
	return fmt.Sprintf("stale lock (%s, PID %d on %s)", age(*worst), worst.PID, worst.Hostname)
}
