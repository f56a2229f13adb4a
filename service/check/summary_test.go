package check_test

import (
	"reflect"
	"testing"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

// What the history keeps of a state (Summary) gives back, after a restart
// and before the first check, why a repository failed or could not be
// checked, in English and as IDs.
func TestLastKnownFromTheSummary(t *testing.T) {
	for _, st := range []check.RepoStatus{
		{Name: "offsite", State: check.StateFailed, Locks: []check.LockStatus{},
			Failure: "no snapshot at all; expected every 1d", FailureWhy: []lock.Why{{ID: check.WhyNoSnapshot, Facts: map[string]string{"Expected": "1d"}}}},
		{Name: "usb", State: check.StateError, Locks: []check.LockStatus{},
			Error: "restic list locks: repository does not exist", ErrorKind: check.ErrorRepoMissing},
		{Name: "nas", State: check.StateStale, Locks: []check.LockStatus{}},
	} {
		detail, why := check.Summary(st)
		if got := check.LastKnown(st.Name, string(st.State), detail, why); !reflect.DeepEqual(got, st) {
			t.Errorf("last known %+v\n  want %+v", got, st)
		}
	}
	// A failed state written before its detail said why held the lock
	// counts: it is just failed until checked.
	for _, why := range [][]lock.Why{nil, {{ID: check.WhyNoLocks}}, {{ID: check.WhyLocks, Facts: map[string]string{"live": "1"}}}} {
		if got := check.LastKnown("x", "failed", "no locks", why); got.State != check.StateFailed || got.Failure != "" || got.FailureWhy != nil {
			t.Errorf("old entry %+v: %+v", why, got)
		}
	}
}
