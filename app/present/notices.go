package present

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/lockwatch/lockwatch/platform/notify"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

// Notices decides which history entries deserve an OS notification: only
// transitions (a repository turning stale or unreachable, a lock removed by
// auto-unlock), each at most once per quiet period, and never more than a
// few a minute — a flapping network must not flood the desktop.
type Notices struct {
	Quiet  time.Duration // the same news is not repeated within this
	PerMin int           // at most this many notifications a minute

	// off is the user's "notifications off" setting; set from any goroutine,
	// read on the UI thread.
	off    atomic.Bool
	last   map[string]time.Time
	recent []time.Time
}

// NewNotices returns the policy lockwatch uses.
func NewNotices() *Notices {
	return &Notices{Quiet: 30 * time.Minute, PerMin: 4, last: map[string]time.Time{}}
}

// SetEnabled follows the notifications setting. While off, news is dropped
// without using up its quiet period.
func (n *Notices) SetEnabled(on bool) { n.off.Store(!on) }

// Enabled reports the notifications setting.
func (n *Notices) Enabled() bool { return !n.off.Load() }

// For returns the notification for e, or false when there should be none.
func (n *Notices) For(e store.Event, now time.Time) (notify.Notification, bool) {
	if !n.Enabled() {
		return notify.Notification{}, false
	}
	var note notify.Notification
	var key string
	switch {
	case e.Kind == store.KindState && e.To == "stale":
		key = e.Repo + "/stale"
		note = notify.Notification{Title: lang.L("{{.Repo}} has a stale lock", facts{"Repo": e.Repo}),
			Body:    lang.L("Backups to {{.Repo}} will fail until it is removed ({{.Detail}}). Click to see it.", facts{"Repo": e.Repo, "Detail": Detail(e)}),
			Actions: []notify.Action{{ID: UnlockAction, Label: lang.L("Unlock")}}}
	case e.Kind == store.KindState && e.To == "error":
		key = e.Repo + "/error"
		note = notify.Notification{Title: lang.L("{{.Repo}} cannot be checked", facts{"Repo": e.Repo}), Body: Detail(e)}
	case e.Kind == store.KindState && e.To == "failed":
		key = e.Repo + "/failed"
		note = notify.Notification{Title: lang.L("A backup of {{.Repo}} failed", facts{"Repo": e.Repo}), Body: Detail(e), Critical: true}
	case e.Kind == store.KindRun && runFailed(e):
		key = fmt.Sprintf("%s/run/%d", e.Repo, e.Seq)
		note = notify.Notification{Title: lang.L("A backup of {{.Repo}} failed", facts{"Repo": e.Repo}), Body: RunSummary(e), Critical: true}
	case e.Kind == store.KindRemoval && e.By == "auto":
		key = e.Repo + "/removed/" + lockID(e)
		note = notify.Notification{Title: lang.L("lockwatch removed a stale lock from {{.Repo}}", facts{"Repo": e.Repo}),
			Body: VerdictName(lock.Verdict(e.Verdict)) + ": " + RemovalReason(e)}
	default:
		return notify.Notification{}, false
	}
	if t, ok := n.last[key]; ok && now.Sub(t) < n.Quiet {
		return notify.Notification{}, false
	}
	kept := n.recent[:0]
	for _, t := range n.recent {
		if now.Sub(t) < time.Minute {
			kept = append(kept, t)
		}
	}
	n.recent = kept
	if len(n.recent) >= n.PerMin {
		return notify.Notification{}, false
	}
	n.recent = append(n.recent, now)
	n.last[key] = now
	note.Target = "repo/" + e.Repo
	if e.Kind != store.KindRemoval {
		// One notice per repository's trouble: the newest replaces the
		// last, and the tray withdraws it once the trouble is over. A
		// removal is news of its own, left for the user to read.
		note.Tag = NoticeTag(e.Repo)
	}
	return note, true
}

// LongBlocked is how long a stale lock may have blocked backups before its
// notification is critical: by then a nightly backup has likely failed.
const LongBlocked = 2 * time.Hour

// BlockedLong reports whether r has a stale lock older than LongBlocked.
func BlockedLong(r check.RepoStatus) bool {
	for _, l := range r.Locks {
		if l.Verdict.Stale() && l.Age() >= LongBlocked {
			return true
		}
	}
	return false
}

// UnlockAction is the action of a stale-lock notification's Unlock button.
const UnlockAction = "unlock"

// NoticeTag is the tag of a repository's trouble notification.
func NoticeTag(repo string) string { return "repo/" + repo }

func lockID(e store.Event) string {
	if e.Lock == nil {
		return ""
	}
	return e.Lock.ID
}

func runFailed(e store.Event) bool {
	var run check.RunSummary
	return json.Unmarshal(e.Run, &run) == nil && run.Failed()
}

// RunSummary says how a `lockwatch run` ended: "failed (exit 1): …".
func RunSummary(e store.Event) string {
	var run check.RunSummary
	_ = json.Unmarshal(e.Run, &run)
	return lang.L("{{.Result}} (exit {{.Code}}): {{.Summary}}", facts{"Result": ResultName(run.Result), "Code": run.ExitCode, "Summary": run.Summary})
}
