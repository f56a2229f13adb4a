package present

import (
	"fyne.io/fyne/v2/lang"

	_ "github.com/lockwatch/lockwatch/app/i18n" // the catalogue
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
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
		words += lang.N(", {{.Count}} locks not read yet", r.UnreadLocks, facts{"Count": r.UnreadLocks})
	}
	return words
}

// facts are the values a message of the catalogue fills in.
type facts = map[string]any

// Facts are a message ID's facts as the service sent them (all strings),
// for the message of the catalogue to fill in.
func Facts(from map[string]string) map[string]any {
	f := make(facts, len(from))
	for k, v := range from {
		f[k] = v
	}
	return f
}

func stateWords(r check.RepoStatus) string {
	switch r.State {
	case check.StateError:
		return lang.L("cannot check: {{.Error}}", facts{"Error": CheckError(r.Error, r.ErrorKind)})
	case check.StateFailed:
		if r.Failure == "" && len(r.FailureWhy) == 0 {
			return StateName(r.State) // known from the history only, without why
		}
		return lang.L("failed: {{.Failure}}", facts{"Failure": Failure(r)})
	case check.StateOK:
		return lang.L("ok, no locks")
	}
	if len(r.Locks) == 0 {
		return StateName(r.State)
	}
	worst := firstStale(r)
	switch {
	case worst == nil:
		l := r.Locks[0]
		return lang.L("in use (PID {{.PID}} on {{.Host}})", facts{"PID": l.PID, "Host": l.Hostname})
	case worst.Verdict == lock.Invalid:
		return lang.L("invalid lock file {{.ID}}", facts{"ID": worst.ShortID()})
	case worst.Verdict == lock.Unrefreshed:
		return lang.L("unrefreshed lock ({{.Age}}, PID {{.PID}} on {{.Host}})", facts{"Age": Age(*worst), "PID": worst.PID, "Host": worst.Hostname})
	}
	return lang.L("stale lock ({{.Age}}, PID {{.PID}} on {{.Host}})", facts{"Age": Age(*worst), "PID": worst.PID, "Host": worst.Hostname})
}

// StateName is a state as the app names it.
func StateName(s check.State) string {
	switch s {
	case check.StateOK:
		return lang.X("state.ok", "ok")
	case check.StateBusy:
		return lang.X("state.busy", "busy")
	case check.StateStale:
		return lang.X("state.stale", "stale")
	case check.StateFailed:
		return lang.X("state.failed", "failed")
	case check.StateError:
		return lang.X("state.error", "error")
	}
	return string(s)
}

// VerdictName is a verdict as the app names it.
func VerdictName(v lock.Verdict) string {
	switch v {
	case lock.Live:
		return lang.X("verdict.live", "live")
	case lock.Fresh:
		return lang.X("verdict.fresh", "fresh")
	case lock.Orphaned:
		return lang.X("verdict.orphaned", "orphaned")
	case lock.Expired:
		return lang.X("verdict.expired", "expired")
	case lock.Unrefreshed:
		return lang.X("verdict.unrefreshed", "unrefreshed")
	case lock.Invalid:
		return lang.X("verdict.invalid", "invalid")
	case check.Unread:
		return lang.X("verdict.unread", "unread")
	}
	return string(v)
}

// LevelName is an auto-unlock level as the app names it.
func LevelName(level config.AutoUnlock) string {
	switch level {
	case config.AutoUnlockStale:
		return lang.X("level.stale", "stale")
	case config.AutoUnlockUnrefreshed:
		return lang.X("level.unrefreshed", "unrefreshed")
	}
	return lang.X("level.off", "off")
}

// ResultName is how a run ended, as the app says it.
func ResultName(result string) string {
	switch result {
	case "ok":
		return lang.X("result.ok", "ok")
	case "failed":
		return lang.X("result.failed", "failed")
	case "skipped":
		return lang.X("result.skipped", "skipped")
	case "locked":
		return lang.X("result.locked", "locked")
	}
	return result
}

// KindName is "exclusive" or "shared" as the app says it.
func KindName(l check.LockStatus) string {
	if l.Exclusive {
		return lang.X("kind.exclusive", "exclusive")
	}
	return lang.X("kind.shared", "shared")
}
