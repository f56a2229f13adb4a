// Package present turns what the service reports into what people read:
// state words, the tray's icon and tooltip, confirmations, notifications.
// The tray process and the windows share it; it has no UI of its own and
// no Fyne, so the tray can use it without starting Fyne's driver.
package present

import (
	"fmt"
	"time"

	"github.com/lockwatch/lockwatch/icons"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
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
	return "Note: " + st.Notice
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
		return "lockwatch: no repositories configured"
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
		more = fmt.Sprintf(" (and %d more)", len(bad)-1)
	}
	switch worst {
	case check.StateError:
		return "lockwatch: " + first.Name + " cannot be checked" + more
	case check.StateFailed:
		return "lockwatch: " + first.Name + " has a failed backup" + more
	case check.StateStale:
		if l := firstStale(first); l != nil && l.Verdict != lock.Invalid {
			return fmt.Sprintf("lockwatch: %s has a stale lock (%s)%s", first.Name, Age(*l), more)
		}
		return "lockwatch: " + first.Name + " has a lock that needs attention" + more
	case check.StateBusy:
		return fmt.Sprintf("lockwatch: %s is in use by restic%s", first.Name, more)
	}
	if len(st.Repos) == 1 {
		return "lockwatch: " + first.Name + " is fine"
	}
	return fmt.Sprintf("lockwatch: all %d repositories are fine", len(st.Repos))
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
	text := fmt.Sprintf("Remove %s from %s?\n", Plural(len(removing), "lock"), repo)
	if len(inUse) == 0 {
		return text + "\nNone of them is in use: no restic holds them any more."
	}
	text += fmt.Sprintf("\n%s may still be in use:\n", Plural(len(inUse), "lock"))
	for _, l := range inUse {
		text += fmt.Sprintf("  • %s (%s): PID %d on %s, %s — %s\n", l.ShortID(), l.Kind(), l.PID, l.Hostname, l.Verdict, l.Reason)
	}
	return text + "\nIf that restic still runs, removing its lock lets another restic work on the repository at the same time: " +
		"a prune or forget can then delete data a running backup still needs, and the running command may fail or leave the repository inconsistent."
}

// Plural is "1 lock", "2 locks".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// CheckedLine says when a repository was last and will next be checked.
func CheckedLine(r check.RepoStatus) string {
	line := "not checked yet"
	if !r.CheckedAt.IsZero() {
		line = "checked " + r.CheckedAt.Local().Format("15:04:05")
	}
	if !r.NextCheckAt.IsZero() {
		line += ", next " + r.NextCheckAt.Local().Format("15:04:05")
	}
	if what := r.Watch.What(); what != "" {
		line += ", watching " + what
	}
	if r.AutoUnlock != "" && r.AutoUnlock != "off" {
		line += ", auto-unlock " + r.AutoUnlock
	}
	if r.LastRun != nil {
		line += fmt.Sprintf(", last run %s %s", r.LastRun.StartedAt.Local().Format("Jan 2 15:04"), r.LastRun.Result)
	}
	if !r.LastSnapshotAt.IsZero() {
		line += ", newest snapshot " + lock.Age(time.Since(r.LastSnapshotAt)) + " ago"
	}
	return line
}
