package main

import (
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

// The summary counts what needs attention by the same rule as the
// repository's state: unrefreshed and invalid locks as well as stale ones.
func TestRepoSummaryCountsWhatNeedsAttention(t *testing.T) {
	locks := func(vs ...lock.Verdict) []check.LockStatus {
		var ls []check.LockStatus
		for i, v := range vs {
			ls = append(ls, check.LockStatus{ID: strings.Repeat(string(rune('a'+i)), 64), Verdict: v})
		}
		return ls
	}
	for _, c := range []struct {
		locks []check.LockStatus
		want  string
	}{
		{locks(), "no locks"},
		{locks(lock.Live, lock.Fresh), "2 locks, all in use"},
		{locks(lock.Unrefreshed), "1 lock, 1 need attention"},
		{locks(lock.Live, lock.Orphaned, lock.Invalid), "3 locks, 2 need attention"},
	} {
		if got := repoSummary(check.RepoStatus{Name: "nas", Locks: c.locks}); !strings.HasPrefix(got, c.want) {
			t.Errorf("%v: %q, want %q…", c.locks, got, c.want)
		}
	}
}

// A hostile repository's lock can carry any bytes in its host name, user
// and reason: printed, they are escaped, never sent to the terminal.
func TestPrintStatusEscapesWhatCameFromOutside(t *testing.T) {
	var out strings.Builder
	printStatus(&out, check.Status{Repos: []check.RepoStatus{{Name: "nas", State: check.StateStale, Locks: []check.LockStatus{
		{ID: strings.Repeat("a", 64), Hostname: "evil\x1b[2J", Username: "root\nnas\tok\tno locks", PID: 1, Verdict: lock.Orphaned, Reason: "gone\a"},
	}}}})
	if strings.ContainsAny(out.String(), "\x1b\a") || strings.Count(out.String(), "\n") != 2 {
		t.Errorf("control characters reached the output:\n%q", out.String())
	}
	if !strings.Contains(out.String(), `evil\x1b[2J`) || !strings.Contains(out.String(), `root\nnas\tok\tno locks`) {
		t.Errorf("the escaped values are not shown:\n%s", out.String())
	}
}

// A repository with more locks than one check reads says how many are not
// read yet, in its summary and in a note, and is not "no locks".
func TestStatusSaysHowManyLocksAreUnread(t *testing.T) {
	var out strings.Builder
	printStatus(&out, check.Status{Repos: []check.RepoStatus{{Name: "nas", State: check.StateBusy, UnreadLocks: 99800,
		LocksNote: "100000 locks listed; 200 read this check, 99800 not yet read (later checks read them)"}}})
	for _, want := range []string{"nas  busy  0 locks read, 0 need attention, 99800 not read yet", "  note: 100000 locks listed; 200 read this check, 99800 not yet read"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}
