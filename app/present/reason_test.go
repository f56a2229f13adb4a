package present

import (
	"errors"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/process"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

// The app says each verdict's reason from its message ID and facts; in
// English it says what the CLI says (scripts read that one), so the two
// cannot drift apart.
func TestReasonsFromTheirIDs(t *testing.T) {
	now := time.Now()
	at := func(ago time.Duration, host string) lock.Lock {
		return lock.Lock{ID: "a1b2c3d4", Time: now.Add(-ago), Hostname: host, PID: 42}
	}
	probe := func(info process.Info, err error) lock.ProcessProbe {
		return func(int) (process.Info, error) { return info, err }
	}
	started := func(d time.Duration) time.Time { return now.Add(-time.Minute + d) }
	cases := []struct {
		name string
		j    lock.Judgement
	}{
		{"expired", lock.Judge(at(2*time.Hour, "vm"), now, "vm", nil)},
		{"gone", lock.Judge(at(time.Minute, "vm"), now, "vm", probe(process.Info{}, nil))},
		{"hidden", lock.Judge(at(time.Minute, "vm"), now, "vm", probe(process.Info{Exists: true}, nil))},
		{"reused", lock.Judge(at(time.Minute, "vm"), now, "vm", probe(process.Info{Exists: true, StartTime: started(time.Minute / 2), Name: "sleep"}, nil))},
		{"running", lock.Judge(at(time.Minute, "vm"), now, "vm", probe(process.Info{Exists: true, StartTime: started(-time.Second), Name: "restic"}, nil))},
		{"running near", lock.Judge(at(time.Minute, "vm"), now, "vm", probe(process.Info{Exists: true, StartTime: started(time.Second), Name: "restic"}, nil))},
		{"wrapper", lock.Judge(at(time.Minute, "vm"), now, "vm", probe(process.Info{Exists: true, StartTime: started(-time.Second), Name: "backup.sh"}, nil))},
		{"wrapper near", lock.Judge(at(time.Minute, "vm"), now, "vm", probe(process.Info{Exists: true, StartTime: started(time.Second), Name: "backup.sh"}, nil))},
		{"uninspectable", lock.Judge(at(time.Minute, "vm"), now, "vm", probe(process.Info{}, errors.New("permission denied")))},
		{"unchanged", lock.Watched(lock.Judge(at(time.Minute, "mbp"), now, "vm", nil), 20*time.Minute, 15*time.Minute)},
	}
	for _, c := range cases {
		l := check.LockStatus{Verdict: c.j.Verdict, Reason: c.j.Reason, Why: c.j.Why}
		if c.j.Why.ID == "" {
			t.Errorf("%s: no reason ID (%q)", c.name, c.j.Reason)
		}
		if got := Reason(l); got != c.j.Reason {
			t.Errorf("%s: the app says %q; the CLI %q", c.name, got, c.j.Reason)
		}
	}
	// Another host's lock, written at a time this clock has not reached.
	for _, ago := range []time.Duration{3 * time.Minute, -5 * time.Minute} {
		other := lock.Judge(at(ago, "mbp"), now, "vm", nil)
		if got := Reason(check.LockStatus{Reason: other.Reason, Why: other.Why}); got != other.Reason {
			t.Errorf("another host's lock, %v ago: the app says %q; the CLI %q", ago, got, other.Reason)
		}
	}
	// An older service sends no ID: its English reason is shown.
	if got := Reason(check.LockStatus{Reason: "as it was"}); got != "as it was" {
		t.Errorf("no ID: %q", got)
	}
}

// A failure is said from its parts' IDs and facts; without them, as the
// service wrote it.
func TestFailureFromItsIDs(t *testing.T) {
	st := check.RepoStatus{State: check.StateOK}
	started := time.Date(2026, 3, 4, 5, 6, 0, 0, time.Local)
	check.ApplyLastRun(&st, nil, &check.RunSummary{StartedAt: started, Result: "failed", Summary: "restic exited 1"})
	if len(st.FailureWhy) != 1 || st.FailureWhy[0].ID != check.WhyRunFailed {
		t.Fatalf("the failure's parts: %+v", st.FailureWhy)
	}
	if got, want := Failure(st), "the last run (Mar 4 05:06) failed: restic exited 1"; got != want {
		t.Errorf("failure %q; want %q", got, want)
	}
	if got := Failure(check.RepoStatus{Failure: "from an older service"}); got != "from an older service" {
		t.Errorf("no parts: %q", got)
	}
}
