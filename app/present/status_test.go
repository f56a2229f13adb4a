package present

import (
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/app/apptest"
	"github.com/lockwatch/lockwatch/icons"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

func TestEachStateHasItsLabelAndIcon(t *testing.T) {
	st := apptest.Status()
	tests := []struct {
		state check.State
		icon  icons.Status
	}{{check.StateOK, icons.OK}, {check.StateBusy, icons.Busy}, {check.StateStale, icons.Stale}, {check.StateFailed, icons.Failed}, {check.StateError, icons.Error}}
	for _, tt := range tests {
		one := check.Status{Repos: []check.RepoStatus{{Name: "nas", State: tt.state, Error: "boom", Locks: st.Repos[0].Locks}}}
		if got := TrayIcon(one); got != tt.icon {
			t.Errorf("%s: icon %s, want %s", tt.state, got, tt.icon)
		}
	}
	for _, c := range []struct {
		r    check.RepoStatus
		want string
	}{
		{st.Repos[0], "nas — stale lock (3h, PID 69387 on mbp)"},
		{st.Repos[1], "usb — ok, no locks"},
		{st.Repos[2], "cloud — cannot check: restic list locks: wrong password or no key found"},
		{check.RepoStatus{Name: "b", State: check.StateBusy, Locks: st.Repos[0].Locks[1:]}, "b — in use (PID 4242 on vm)"},
		// Stale only because another host stopped refreshing its lock:
		// that needs attention as much as an orphaned one.
		{check.RepoStatus{Name: "u", State: check.StateStale, Locks: []check.LockStatus{
			{ID: strings.Repeat("2", 64), AgeSeconds: 20 * 60, Hostname: "mbp", PID: 501, Verdict: lock.Unrefreshed, Reason: "lock ID unchanged for 20m"},
		}}, "u — unrefreshed lock (20m, PID 501 on mbp)"},
		// A huge locks/ folder is read in turns: say what is still unread.
		{check.RepoStatus{Name: "h", State: check.StateBusy, UnreadLocks: 99800}, "h — busy, 99800 locks not read yet"},
		{check.RepoStatus{Name: "h", State: check.StateStale, Locks: st.Repos[0].Locks, UnreadLocks: 5}, "h — stale lock (3h, PID 69387 on mbp), 5 locks not read yet"},
	} {
		if got := RepoLabel(c.r); got != c.want {
			t.Errorf("label %q, want %q", got, c.want)
		}
	}
	if got := Tooltip(st); got != "lockwatch: cloud cannot be checked" {
		t.Errorf("tooltip %q", got)
	}
	if got := Tooltip(check.Status{Repos: st.Repos[:1]}); got != "lockwatch: nas has a stale lock (3h)" {
		t.Errorf("tooltip %q", got)
	}
}

func TestConfirmTextListsLocksInUse(t *testing.T) {
	locks := apptest.Status().Repos[0].Locks
	text := ConfirmText("nas", locks)
	if !strings.Contains(text, "Remove 2 locks from nas?") || !strings.Contains(text, "1 lock may still be in use") ||
		!strings.Contains(text, "11111111 (shared): PID 4242 on vm, live") || strings.Contains(text, "99999999") ||
		!strings.Contains(text, "prune") {
		t.Errorf("confirmation:\n%s", text)
	}
	if text := ConfirmText("nas", locks[:1]); !strings.Contains(text, "None of them is in use") {
		t.Errorf("confirmation for a stale lock:\n%s", text)
	}
}

func TestCheckedLineShowsRunsAndSnapshots(t *testing.T) {
	r := check.RepoStatus{Name: "nas", State: check.StateFailed, Failure: "no snapshot from host mbp for 31h; expected every 26h",
		CheckedAt: time.Now(), LastSnapshotAt: time.Now().Add(-31 * time.Hour),
		LastRun: &check.RunSummary{StartedAt: time.Date(2026, 11, 22, 2, 0, 0, 0, time.Local), Result: "locked"}}
	line := CheckedLine(r)
	if !strings.Contains(line, "last run Nov 22 02:00 locked") || !strings.Contains(line, "newest snapshot 31h ago") {
		t.Errorf("checked line: %q", line)
	}
	r.NextCheckAt, r.Watch = time.Now(), &check.Watch{Owners: 2, LocksDir: true}
	if line := CheckedLine(r); !strings.Contains(line, ", watching locks/ and 2 running backups") {
		t.Errorf("checked line of a watched repository: %q", line)
	}
	if got := RepoLabel(r); got != "nas — failed: no snapshot from host mbp for 31h; expected every 26h" {
		t.Errorf("label: %q", got)
	}
	if TrayIcon(check.Status{Repos: []check.RepoStatus{r}}) != icons.Failed {
		t.Error("failed icon")
	}
}
