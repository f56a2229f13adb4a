package present

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/process"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

// A state change of the history is said from the IDs the service stored
// with it; in English it says what the CLI's history says, so the two
// cannot drift apart.
func TestDetailFromItsIDs(t *testing.T) {
	now := time.Now()
	locks := func(vs ...lock.Verdict) []check.LockStatus {
		var ls []check.LockStatus
		for _, v := range vs {
			ls = append(ls, check.LockStatus{Verdict: v})
		}
		return ls
	}
	failed := check.RepoStatus{State: check.StateFailed, Locks: locks(lock.Live),
		Failure: "no snapshot for 3d; expected every 1d", FailureWhy: []lock.Why{{ID: check.WhySnapshotOverdue, Facts: map[string]string{"Age": "3d", "Expected": "1d"}}}}
	cases := []struct {
		name string
		st   check.RepoStatus
	}{
		{"no locks", check.RepoStatus{State: check.StateOK}},
		{"locks", check.RepoStatus{State: check.StateStale, Locks: locks(lock.Live, lock.Orphaned, lock.Orphaned, check.Unread, lock.Invalid)}},
		{"error", check.RepoStatus{State: check.StateError, Error: "restic list locks: repository does not exist", ErrorKind: check.ErrorRepoMissing}},
		{"error of no known kind", check.RepoStatus{State: check.StateError, Error: "dial tcp 127.0.0.1:1: connection refused"}},
		{"failed", failed},
	}
	for _, c := range cases {
		english, why := check.Summary(c.st)
		if len(why) == 0 {
			t.Errorf("%s: no IDs for %q", c.name, english)
		}
		e := store.Event{Kind: store.KindState, To: string(c.st.State), Detail: english, Why: why}
		if got := Detail(e); got != english {
			t.Errorf("%s: the app says %q; the CLI %q", c.name, got, english)
		}
	}
	if english, _ := check.Summary(cases[1].st); english != "2 orphaned, 1 invalid, 1 live, 1 unread" {
		t.Errorf("lock counts: %q", english)
	}
	if english, _ := check.Summary(failed); english != failed.Failure {
		t.Errorf("a failed state's detail is %q, not why it failed", english)
	}
	// A failed state known only from the history, without why, says just that.
	if got := StateWords(check.RepoStatus{State: check.StateFailed}); got != "failed" {
		t.Errorf("failed without why: %q", got)
	}
	// An entry written before there were IDs keeps its English.
	if got := Detail(store.Event{Kind: store.KindState, Detail: "1 orphaned"}); got != "1 orphaned" {
		t.Errorf("no IDs: %q", got)
	}

	// A removal says its lock's reason.
	gone := lock.Judge(lock.Lock{ID: "a1b2c3d4", Time: now.Add(-time.Minute), Hostname: "vm", PID: 42}, now, "vm",
		func(int) (process.Info, error) { return process.Info{}, nil })
	removal := store.Event{Kind: store.KindRemoval, Verdict: string(gone.Verdict), Reason: gone.Reason, Why: []lock.Why{gone.Why}}
	if got := RemovalReason(removal); got != gone.Reason || gone.Why.ID != lock.WhyGone {
		t.Errorf("removal reason %q; want %q", got, gone.Reason)
	}
}

// The service's notice that its history was unreadable is said from its
// ID too, and in English as the CLI says it.
func TestHistoryResetNotice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	st := check.Status{Notice: s.Reset(), NoticeWhy: s.ResetWhy()}
	if len(st.NoticeWhy) != 1 || st.Notice == "" {
		t.Fatalf("reset: %q %+v", st.Notice, st.NoticeWhy)
	}
	if got := NoticeLine(st); got != "Note: "+st.Notice {
		t.Errorf("the app says %q; the CLI %q", got, st.Notice)
	}
}

// A refused unlock is said in the app's terms from its ID and facts, with
// the lock's own reason; an error that is no refusal keeps its words.
func TestRefusalsInTheAppsWords(t *testing.T) {
	running := map[string]string{"Lock": "a1b2c3d4", "Verdict": "live", "ReasonID": lock.WhyRunning, "Reason": "process 42 ('restic') is running and started before the lock was written", "PID": "42", "Name": "restic"}
	cases := map[string]map[string]string{
		check.RefusedUnread:      {"Count": "7"},
		check.RefusedInUse:       running,
		check.RefusedUninspected: {"Lock": "a1b2c3d4", "PID": "42", "Error": "permission denied"},
		check.RefusedPIDReused:   {"Lock": "a1b2c3d4", "PID": "42", "Name": "sleep"},
		check.RefusedWouldTake:   running,
		check.RefusedWouldLeave:  {"Lock": "a1b2c3d4", "Verdict": "orphaned", "ReasonID": lock.WhyGone, "Reason": "process 42 is gone", "PID": "42"},
	}
	for id, f := range cases {
		err := fmt.Errorf("nas: %w", &check.RefusedError{Repo: "nas", Why: "english", Hint: "add --force", Refusal: lock.Why{ID: id, Facts: f}})
		got := ErrorText(err)
		for k, v := range f {
			if k != "ReasonID" && k != "Reason" && k != "Verdict" && k != "Name" && !strings.Contains(got, v) {
				t.Errorf("%s: %q lacks its %s %q", id, got, k, v)
			}
		}
		if strings.Contains(got, "{{") || strings.Contains(got, "--") || strings.Contains(got, "english") {
			t.Errorf("%s: %q", id, got)
		}
		if f["Reason"] != "" && !strings.Contains(got, f["Reason"]) {
			t.Errorf("%s: %q does not say the lock's reason", id, got)
		}
		if v := f["Verdict"]; v != "" && !strings.Contains(got, VerdictName(lock.Verdict(v))) {
			t.Errorf("%s: %q does not name the verdict", id, got)
		}
		if n := f["Name"]; id == check.RefusedPIDReused && !strings.Contains(got, n) {
			t.Errorf("%s: %q does not name the program", id, got)
		}
	}
	if got := ErrorText(&check.RefusedError{Repo: "nas", Why: "a newer refusal", Refusal: lock.Why{ID: "from-the-future"}}); got != "nas: a newer refusal" {
		t.Errorf("an unknown refusal: %q", got)
	}
	if got := ErrorText(errors.New("dial unix: no such file")); got != "dial unix: no such file" {
		t.Errorf("another error: %q", got)
	}
}
