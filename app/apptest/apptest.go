// Package apptest holds what the app's tests share: a status with a
// repository in each interesting state. Only tests import it.
package apptest

import (
	"strings"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

// Status has nas stale (an expired lock beside a live one), usb fine with
// auto-unlock on, and cloud unreachable.
func Status() check.Status {
	return check.Status{
		CheckedAt: time.Date(2026, 11, 22, 9, 30, 0, 0, time.Local),
		Repos: []check.RepoStatus{
			{Name: "nas", State: check.StateStale, AutoUnlock: "off", Locks: []check.LockStatus{
				{ID: strings.Repeat("9", 64), AgeSeconds: 3 * 3600, Exclusive: true, Hostname: "mbp", Username: "alice", PID: 69387, Verdict: lock.Expired, Reason: "not refreshed for 3h"},
				{ID: strings.Repeat("1", 64), AgeSeconds: 60, Hostname: "vm", Username: "root", PID: 4242, Verdict: lock.Live, Reason: "process 4242 ('restic') is running"},
			}},
			{Name: "usb", State: check.StateOK, AutoUnlock: "stale", Locks: []check.LockStatus{}},
			{Name: "cloud", State: check.StateError, Error: "restic list locks: wrong password or no key found"},
		},
	}
}

// StoreNotice is what the service says (check.Status.Notice) when its
// state.db could not be read and was moved aside.
const StoreNotice = "/var/lib/lockwatch/state.db: not a lockwatch state file (invalid database); " +
	"it was moved to /var/lib/lockwatch/state.db.unreadable-20261206T043900 and the history starts anew"
