// Package present turns what the service reports into what people read:
// state words, the tray's icon and tooltip, confirmations, notifications.
// The tray process and the windows share it; it has no UI of its own and
// no Fyne, so the tray can use it without starting Fyne's driver.
package present

import (
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/lockwatch/lockwatch/icons"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

// TrayIcon is the icon for the worst state of all repositories.
func TrayIcon(st check.Status) icons.Status { return StateIcon(st.Worst()) }

// StateIcon is the icon of one state.
func StateIcon(s check.State) icons.Status {
	switch s {
	case check.StateBusy:
		return icons.Busy
	case check.StateStale:
		return icons.Stale
	case check.StateFailed:
		return icons.Failed
	case check.StateError:
		return icons.Error
	}
	return icons.OK
}

// Tooltip sums up the worst news in one line, e.g.
// "lockwatch: nas has a stale lock (3h)".
// The service's notice, when there is one, follows on a second line.
func Tooltip(st check.Status) string {
	if note := NoticeLine(st); note != "" {
		return tooltip(st) + "\n" + ShortNotice(st)
	}
	return tooltip(st)
}

// noticeShort is how many characters of the service's notice the tray's
// tooltip and menu show: the window shows it whole.
const noticeShort = 100

// NoticeLine is the service's news about itself (check.Status.Notice, such
// as its history being unreadable and started anew) as the app shows it, or
// "" when there is none. `lockwatch status` prints the same as "note:".
func NoticeLine(st check.Status) string {
	if st.Notice == "" {
		return ""
	}
	notice := st.Notice
	if len(st.NoticeWhy) == 1 && st.NoticeWhy[0].ID == store.WhyHistoryReset {
		f := st.NoticeWhy[0].Facts
		notice = lang.X("notice.history-reset", "{{.Error}}; it was moved to {{.Aside}} and the history starts anew", facts{"Error": f["Error"], "Aside": f["Aside"]})
	}
	return lang.L("Note: {{.Notice}}", facts{"Notice": notice})
}

// ShortNotice is the start of NoticeLine that fits a menu item or a
// tooltip line ("" when there is no notice): the window shows it whole.
func ShortNotice(st check.Status) string { return shorten(NoticeLine(st), noticeShort) }

// shorten cuts s to at most n characters, the last one "…" when it cuts.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func tooltip(st check.Status) string {
	if len(st.Repos) == 0 {
		return lang.L("lockwatch: no repositories configured")
	}
	worst := st.Worst()
	var bad []check.RepoStatus
	for _, r := range st.Repos {
		if r.State == worst {
			bad = append(bad, r)
		}
	}
	first := bad[0]
	more := ""
	if len(bad) > 1 {
		more = lang.N(" (and {{.Count}} more)", len(bad)-1, facts{"Count": len(bad) - 1})
	}
	f := facts{"Repo": first.Name, "More": more}
	switch worst {
	case check.StateError:
		return lang.L("lockwatch: {{.Repo}} cannot be checked{{.More}}", f)
	case check.StateFailed:
		return lang.L("lockwatch: {{.Repo}} has a failed backup{{.More}}", f)
	case check.StateStale:
		if l := firstStale(first); l != nil && l.Verdict != lock.Invalid {
			f["Age"] = Age(*l)
			return lang.L("lockwatch: {{.Repo}} has a stale lock ({{.Age}}){{.More}}", f)
		}
		return lang.L("lockwatch: {{.Repo}} has a lock that needs attention{{.More}}", f)
	case check.StateBusy:
		return lang.L("lockwatch: {{.Repo}} is in use by restic{{.More}}", f)
	}
	if len(st.Repos) == 1 {
		return lang.L("lockwatch: {{.Repo}} is fine", f)
	}
	return lang.N("lockwatch: all {{.Count}} repositories are fine", len(st.Repos), facts{"Count": len(st.Repos)})
}

// firstStale is the lock that makes a repository stale, if any.
func firstStale(r check.RepoStatus) *check.LockStatus {
	for i := range r.Locks {
		if r.Locks[i].Verdict.NeedsAttention() {
			return &r.Locks[i]
		}
	}
	return nil
}

// StaleCount is how many locks `Unlock stale locks` would remove.
func StaleCount(r check.RepoStatus) int {
	n := 0
	for _, l := range r.Locks {
		if l.Verdict.Stale() {
			n++
		}
	}
	return n
}

// Age is how old a lock is, in the words the app uses ("3h").
func Age(l check.LockStatus) string { return lock.Age(l.Age()) }

// InUse lists the locks among ls that someone may still hold: what a
// forced removal would take from a running restic.
func InUse(ls []check.LockStatus) []check.LockStatus {
	var out []check.LockStatus
	for _, l := range ls {
		if l.Verdict == lock.Live || l.Verdict == lock.Fresh || l.Verdict == lock.Unrefreshed {
			out = append(out, l)
		}
	}
	return out
}

// ConfirmText is the confirmation for removing locks: it names exactly
// which locks that may be in use would go, and what that can break.
func ConfirmText(repo string, removing []check.LockStatus) string {
	inUse := InUse(removing)
	text := lang.N("Remove {{.Count}} lock from {{.Repo}}?", len(removing), facts{"Count": len(removing), "Repo": repo}) + "\n"
	if len(inUse) == 0 {
		return text + "\n" + lang.L("None of them is in use: no restic holds them any more.")
	}
	text += "\n" + lang.N("{{.Count}} lock may still be in use:", len(inUse), facts{"Count": len(inUse)}) + "\n"
	for _, l := range inUse {
		text += "  • " + lang.L("{{.ID}} ({{.Kind}}): PID {{.PID}} on {{.Host}}, {{.Verdict}} — {{.Reason}}",
			facts{"ID": l.ShortID(), "Kind": KindName(l), "PID": l.PID, "Host": l.Hostname, "Verdict": VerdictName(l.Verdict), "Reason": Reason(l)}) + "\n"
	}
	return text + "\n" + lang.L("If that restic still runs, removing its lock lets another restic work on the repository at the same time: "+
		"a prune or forget can then delete data a running backup still needs, and the running command may fail or leave the repository inconsistent.")
}

// Reason is why a lock got its verdict, in the user's language: the
// message of its reason's ID with its facts; the English Reason when the
// service sent no ID (an older service).
func Reason(l check.LockStatus) string { return reason(l.Why, l.Reason) }

// reason says w in the user's language; english when w is no reason this
// app knows.
func reason(w lock.Why, english string) string {
	f := Facts(w.Facts)
	if name, ok := f["Name"]; ok {
		if name == "" {
			f["Name"] = lang.L("an unknown program")
		} else {
			f["Name"] = "'" + name.(string) + "'"
		}
	}
	switch w.ID {
	case lock.WhyInvalid:
		return problem(w.Facts["Kind"], english)
	case lock.WhyExpired:
		return lang.X("reason.expired", "not refreshed for {{.Age}} (restic treats locks older than 30m as stale)", f)
	case lock.WhyOtherHost:
		return lang.X("reason.other-host", "held by PID {{.PID}} on host \"{{.Host}}\", refreshed {{.Ago}} {{if .Future}}in the future by this clock{{else}}ago{{end}}; only that host can tell whether it still runs", f)
	case lock.WhyUninspectable:
		return lang.X("reason.uninspectable", "could not inspect process {{.PID}} ({{.Error}}), so it may still run; refreshed {{.Ago}} {{if .Future}}in the future by this clock{{else}}ago{{end}}", f)
	case lock.WhyGone:
		return lang.X("reason.gone", "process {{.PID}} is gone", f)
	case lock.WhyHidden:
		return lang.X("reason.hidden", "process {{.PID}} exists (its start time is hidden, likely another user's), so the lock may be in use", f)
	case lock.WhyReused:
		return lang.X("reason.reused", "PID {{.PID}} now belongs to {{.Name}}, started {{.Late}} after the lock was written", f)
	case lock.WhyRunning:
		return lang.X("reason.running", "process {{.PID}} ({{.Name}}) is running and started before the lock was written", f)
	case lock.WhyRunningNear:
		return lang.X("reason.running-near", "process {{.PID}} ({{.Name}}) is running and started within {{.Margin}} of the lock's time (start times are exact only to a few seconds)", f)
	case lock.WhyWrapper:
		return lang.X("reason.wrapper", "process {{.PID}} ({{.Name}}) is running and started before the lock was written; it is not named restic, but may be a wrapper", f)
	case lock.WhyWrapperNear:
		return lang.X("reason.wrapper-near", "process {{.PID}} ({{.Name}}) is running and started within {{.Margin}} of the lock's time (start times are exact only to a few seconds); it is not named restic, but may be a wrapper", f)
	case lock.WhyUnchanged:
		return lang.X("reason.unchanged", "lock unchanged for {{.Age}}; a running restic rewrites its lock every {{.Every}}", f)
	}
	return english
}

// problem says what is wrong with a lock file that is no lock: in the
// user's language, with the decoder's own technical words where they add
// something (which error, what size).
func problem(kind, english string) string {
	f := facts{"Problem": english}
	switch kind {
	case lock.ProblemEmpty:
		return lang.X("problem.empty", "empty lock file (0 bytes), left by an interrupted write")
	case lock.ProblemHash:
		return lang.X("problem.hash", "content does not match its name (hash mismatch)")
	case lock.ProblemMAC:
		return lang.X("problem.mac", "cannot be decrypted: MAC check failed (corrupt, or written with another repository's key)")
	case lock.ProblemTooLarge:
		return lang.X("problem.too-large", "{{.Problem}}", f)
	case lock.ProblemUndecodable:
		return lang.X("problem.undecodable", "{{.Problem}}", f)
	case lock.ProblemMalformed:
		return lang.X("problem.malformed", "{{.Problem}}", f)
	case lock.ProblemUnreadable:
		return lang.X("problem.unreadable", "{{.Problem}}", f)
	}
	return english
}

// CheckedLine says when a repository was last and will next be checked.
func CheckedLine(r check.RepoStatus) string {
	line := lang.L("not checked yet")
	if !r.CheckedAt.IsZero() {
		line = lang.L("checked {{.Time}}", facts{"Time": Clock(r.CheckedAt)})
	}
	if !r.NextCheckAt.IsZero() {
		line += lang.L(", next {{.Time}}", facts{"Time": Clock(r.NextCheckAt)})
	}
	if what := watching(r.Watch); what != "" {
		line += lang.L(", watching {{.What}}", facts{"What": what})
	}
	if r.AutoUnlock != "" && r.AutoUnlock != "off" {
		line += lang.L(", auto-unlock {{.Level}}", facts{"Level": LevelName(config.AutoUnlock(r.AutoUnlock))})
	}
	if r.LastRun != nil {
		line += lang.L(", last run {{.Time}} {{.Result}}", facts{"Time": DateTime(r.LastRun.StartedAt), "Result": ResultName(r.LastRun.Result)})
	}
	if !r.LastSnapshotAt.IsZero() {
		line += lang.L(", newest snapshot {{.Age}} ago", facts{"Age": lock.Age(time.Since(r.LastSnapshotAt))})
	}
	return line
}

// watching says what the service watches of a repository, in the user's
// language ("locks/ and 1 running backup").
func watching(w *check.Watch) string {
	if w == nil {
		return ""
	}
	var what []string
	if w.LocksDir {
		what = append(what, "locks/")
	}
	if w.Owners > 0 {
		what = append(what, lang.N("{{.Count}} running backup", w.Owners, facts{"Count": w.Owners}))
	}
	switch len(what) {
	case 2:
		return lang.L("{{.A}} and {{.B}}", facts{"A": what[0], "B": what[1]})
	case 1:
		return what[0]
	}
	return ""
}

// Failure says why a repository is failed, in the user's language: each
// part from its ID and facts; the English Failure from a service that
// sent none.
func Failure(r check.RepoStatus) string { return failure(r.FailureWhy, r.Failure) }

func failure(whys []lock.Why, english string) string {
	if len(whys) == 0 {
		return english
	}
	parts := make([]string, 0, len(whys))
	for _, w := range whys {
		f := Facts(w.Facts)
		switch w.ID {
		case check.WhyNoSnapshot:
			parts = append(parts, lang.X("failure.no-snapshot", "no snapshot{{if .Host}} from host {{.Host}}{{end}}{{if .Tags}} tagged {{.Tags}}{{end}}{{if .Paths}} of {{.Paths}}{{end}} at all; expected every {{.Expected}}", f))
		case check.WhySnapshotOverdue:
			parts = append(parts, lang.X("failure.snapshot-overdue", "no snapshot{{if .Host}} from host {{.Host}}{{end}}{{if .Tags}} tagged {{.Tags}}{{end}}{{if .Paths}} of {{.Paths}}{{end}} for {{.Age}}; expected every {{.Expected}}", f))
		case check.WhyNoProfileRun:
			parts = append(parts, lang.X("failure.no-profile-run", "resticprofile has recorded no run yet ({{.Path}} does not exist)", f))
		case check.WhyProfileFailed:
			parts = append(parts, lang.X("failure.profile-failed", "resticprofile {{.Profile}} {{.Section}} failed{{if .Time}} at {{.Time}}{{end}}{{if .Error}}: {{.Error}}{{end}}{{if .Why}} ({{.Why}}){{end}}", f))
		case check.WhyRunFailed:
			if t, err := time.Parse(time.RFC3339, w.Facts["Time"]); err == nil {
				f["Time"] = DateTime(t)
			}
			f["Result"] = ResultName(w.Facts["Result"])
			parts = append(parts, lang.X("failure.run-failed", "the last run ({{.Time}}) {{.Result}}: {{.Summary}}", f))
		default:
			return english // a reason this app does not know: the service's English
		}
	}
	return strings.Join(parts, lang.X("failure.separator", "; "))
}

// Clock is a time of day as the user's language writes it.
func Clock(t time.Time) string { return t.Local().Format(lang.X("layout.clock", "15:04:05")) }

// DateTime is a day and time as the user's language writes it (the Go
// layout itself is in the catalogue: "Jan 2 15:04", "1月2日 15:04").
func DateTime(t time.Time) string { return t.Local().Format(lang.X("layout.datetime", "Jan 2 15:04")) }
