package present

import (
	"errors"

	"fyne.io/fyne/v2/lang"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

// ErrorText is what the app says of a failed action: an unlock's refusal
// in the user's language, from its ID and facts; any other error in its
// own (technical, English) words.
func ErrorText(err error) string {
	var w *lock.Why
	var refused *check.RefusedError
	var remote *api.Error
	switch {
	case errors.As(err, &refused):
		w = &refused.Refusal
	case errors.As(err, &remote):
		w = remote.Refusal
	}
	if w == nil {
		return err.Error()
	}
	if text := refusal(*w); text != "" {
		return text
	}
	return err.Error()
}

// refusal says why lockwatch would not remove locks, and what to do, in
// the app's terms (the CLI's hints name its flags); "" for a refusal this
// app does not know.
func refusal(w lock.Why) string {
	f := Facts(w.Facts)
	if v, ok := w.Facts["Verdict"]; ok {
		f["Verdict"] = VerdictName(lock.Verdict(v))
		f["Reason"] = reason(lock.Why{ID: w.Facts["ReasonID"], Facts: w.Facts}, w.Facts["Reason"])
	}
	switch w.ID {
	case check.RefusedUnread:
		return lang.X("refused.unread-locks", "Not every lock is read yet ({{.Count}} unread), and restic unlock would judge those by its own rule. Later checks read them; unlock again then.", f)
	case check.RefusedInUse:
		return lang.X("refused.lock-in-use", "Lock {{.Lock}} is {{.Verdict}}: {{.Reason}}. Removing it can let a prune delete data that running backup still needs.", f)
	case check.RefusedUninspected:
		return lang.X("refused.uninspectable", "Cannot inspect process {{.PID}} of lock {{.Lock}} ({{.Error}}), so cannot predict what restic unlock would do.", f)
	case check.RefusedPIDReused:
		return lang.X("refused.pid-reused", "Lock {{.Lock}} names PID {{.PID}}, which now belongs to '{{.Name}}': restic unlock would send that process SIGHUP, which can kill it. Wait until it has ended, or use “Remove all locks…” if no restic runs anywhere on this repository.", f)
	case check.RefusedWouldTake:
		return lang.X("refused.would-remove-live", "restic unlock would also remove lock {{.Lock}}, which lockwatch judged {{.Verdict}}: {{.Reason}}. Wait for that restic to finish, then unlock again.", f)
	case check.RefusedWouldLeave:
		return lang.X("refused.would-not-remove", "restic unlock would not remove lock {{.Lock}} ({{.Verdict}}: {{.Reason}}), and this backend cannot delete single lock files. Use “Remove all locks…” if no restic runs anywhere on this repository.", f)
	}
	return ""
}
