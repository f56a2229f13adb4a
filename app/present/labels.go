package present

import (
	"fmt"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

// RepoLabel is a repository's name and its state in words, e.g.
// "nas — stale lock (3h, PID 69387 on mbp)".
func RepoLabel(r check.RepoStatus) string { return r.Name + " — " + StateWords(r) }

// StateWords is a repository's state in words, e.g.
// "stale lock (3h, PID 69387 on mbp)", and how many of its locks a check
// has not read yet (a locks/ folder of thousands is read in turns).
func StateWords(r check.RepoStatus) string {
	words := stateWords(r)
	if r.UnreadLocks > 0 && r.State != check.StateError {
		words += fmt.Sprintf(", %d locks not read yet", r.UnreadLocks)
	}
	return words
}

func stateWords(r check.RepoStatus) string {
	switch r.State {
	case check.StateError:
		return "cannot check: " + r.Error
	case check.StateFailed:
		return "failed: " + r.Failure
	case check.StateOK:
		return "ok, no locks"
	}
	if len(r.Locks) == 0 {
		return string(r.State)
	}
	worst := firstStale(r)
	switch {
	case worst == nil:
		l := r.Locks[0]
		return fmt.Sprintf("in use (PID %d on %s)", l.PID, l.Hostname)
	case worst.Verdict == lock.Invalid:
		return "invalid lock file " + worst.ShortID()
	case worst.Verdict == lock.Unrefreshed:
		return fmt.Sprintf("unrefreshed lock (%s, PID %d on %s)", Age(*worst), worst.PID, worst.Hostname)
	}
	return fmt.Sprintf("stale lock (%s, PID %d on %s)", Age(*worst), worst.PID, worst.Hostname)
}
