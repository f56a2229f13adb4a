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
