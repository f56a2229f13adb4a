package lock

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/process"
)

// The table reads like restic's stale rule (internal/restic/lock.go), with
// lockwatch's changes: the process is looked up, never signalled, and a PID
// that now belongs to a younger process counts as gone.
func TestJudge(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	const here = "vm"
	// Process situations the probe can report.
	gone := func(int) (process.Info, error) { return process.Info{}, nil }
	runningSince := func(start time.Time, name string) ProcessProbe {
		return func(pid int) (process.Info, error) {
			return process.Info{PID: pid, Exists: true, StartTime: start, Name: name}, nil
		}
	}
	hidden := func(pid int) (process.Info, error) { return process.Info{PID: pid, Exists: true}, nil }
	broken := func(int) (process.Info, error) { return process.Info{}, errors.New("no /proc") }
	mustNotProbe := func(int) (process.Info, error) { panic("probed a process it had no reason to look at") }

	lockAt := func(age time.Duration, host string) Lock {
		return Lock{ID: strings.Repeat("ab", 32), Time: now.Add(-age), Hostname: host, Username: "root", PID: 14433}
	}

	tests := []struct {
		name    string
		lock    Lock
		probe   ProcessProbe
		verdict Verdict
		reason  string
	}{
		// Rule 1: older than 30 minutes is stale, whoever holds it.
		{"older than 30m, this host", lockAt(73*time.Hour, here), mustNotProbe, Expired, "not refreshed for 73h (restic treats locks older than 30m as stale)"},
		{"older than 30m, other host", lockAt(31*time.Minute, "mbp"), mustNotProbe, Expired, "not refreshed for 31m"},
		{"exactly 30m is not stale yet (strictly greater)", lockAt(30*time.Minute, "mbp"), mustNotProbe, Fresh, "refreshed 30m ago"},
		{"time in the future is not stale", lockAt(-2*time.Hour, "mbp"), mustNotProbe, Fresh, "in the future"},
		// Rule 2: a recent lock of another host cannot be checked from here.
		{"recent, other host", lockAt(3*time.Minute, "mbp"), mustNotProbe, Fresh, `held by PID 14433 on host "mbp"`},
		{"host names compare exactly, like restic", lockAt(3*time.Minute, "VM"), mustNotProbe, Fresh, `host "VM"`},
		// Rule 3: a recent lock of this host: look at its process.
		{"owner process gone", lockAt(3*time.Minute, here), gone, Orphaned, "process 14433 is gone"},
		{"owner running since before the lock", lockAt(3*time.Minute, here), runningSince(now.Add(-20*time.Minute), "restic"), Live, "process 14433 ('restic') is running"},
		{"lock refreshed long after its process started", lockAt(10*time.Second, here), runningSince(now.Add(-5*time.Hour), "restic"), Live, "running"},
		{"PID reused by a younger process", lockAt(3*time.Minute, here), runningSince(now.Add(-1*time.Minute), "sleep"), Orphaned, "PID 14433 now belongs to 'sleep', started 2m after the lock was written"},
		{"start within the clock margin counts as the owner", lockAt(3*time.Minute, here), runningSince(now.Add(-3*time.Minute+2*time.Second), "restic"), Live, "started within 3s of the lock's time (start times are exact only to a few seconds)"},
		{"running since before the lock says so", lockAt(3*time.Minute, here), runningSince(now.Add(-20*time.Minute), "restic"), Live, "started before the lock was written"},
		{"running but not restic: err towards live", lockAt(3*time.Minute, here), runningSince(now.Add(-time.Hour), "bash"), Live, "not named restic"},
		{"another user's process (start hidden)", lockAt(3*time.Minute, here), hidden, Live, "exists"},
		{"process cannot be inspected", lockAt(3*time.Minute, here), broken, Fresh, "could not inspect process 14433"},
		// Files that are no lock at all.
		{"unreadable file", Unreadable(strings.Repeat("cd", 32), ProblemEmpty, "empty lock file (0 bytes)"), mustNotProbe, Invalid, "empty lock file (0 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Judge(tt.lock, now, here, tt.probe)
			if got.Verdict != tt.verdict {
				t.Errorf("verdict = %s (%s), want %s", got.Verdict, got.Reason, tt.verdict)
			}
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", got.Reason, tt.reason)
			}
			// The service watches the owner of a live lock, and only that.
			if owned := got.Owner.Exists && got.Owner.PID == tt.lock.PID; owned != (got.Verdict == Live) {
				t.Errorf("owner = %+v for a %s lock", got.Owner, got.Verdict)
			}
		})
	}
}

func TestStale(t *testing.T) {
	for v, want := range map[Verdict]bool{Live: false, Fresh: false, Orphaned: true, Expired: true, Unrefreshed: false, Invalid: false} {
		if v.Stale() != want {
			t.Errorf("%s.Stale() = %v, want %v", v, !want, want)
		}
	}
}

func TestNeedsAttention(t *testing.T) {
	for v, want := range map[Verdict]bool{Live: false, Fresh: false, Orphaned: true, Expired: true, Unrefreshed: true, Invalid: true} {
		if v.NeedsAttention() != want {
			t.Errorf("%s.NeedsAttention() = %v, want %v", v, !want, want)
		}
	}
}

func TestParse(t *testing.T) {
	id := strings.Repeat("01", 32)
	l, err := Parse(id, []byte(`{"time":"2026-11-22T01:03:09.750470043+01:00","exclusive":true,"hostname":"vm","username":"","pid":14433}`))
	if err != nil {
		t.Fatal(err)
	}
	if !l.Exclusive || l.PID != 14433 || l.Hostname != "vm" || l.UID != 0 || l.ID != id {
		t.Errorf("parsed %+v", l)
	}
	if want := time.Date(2026, 11, 22, 0, 3, 9, 750470043, time.UTC); !l.Time.Equal(want) {
		t.Errorf("time = %v, want %v", l.Time, want)
	}
	for _, bad := range []string{``, `garbage`, `{"pid":1}`, `{"time":"2026-11-22T00:00:00Z"}`, `{"time":"yesterday","pid":3}`} {
		l, err := Parse(id, []byte(bad))
		if err == nil || l.Problem == "" {
			t.Errorf("Parse(%q) = %+v, %v; want an invalid lock", bad, l, err)
		}
		if j := Judge(l, time.Now(), "vm", nil); j.Verdict != Invalid {
			t.Errorf("Parse(%q) judged %s", bad, j.Verdict)
		}
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45s", 3*time.Minute + 59*time.Second: "3m", 2*time.Hour + 5*time.Minute: "2h5m",
		3 * time.Hour: "3h", 73*time.Hour + time.Second: "73h", -90 * time.Second: "1m",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestWatched(t *testing.T) {
	fresh := Judgement{Verdict: Fresh, Reason: `held by PID 1 on host "mbp", refreshed 3m ago`}
	live := Judgement{Verdict: Live, Reason: "process 1 ('restic') is running"}
	tests := []struct {
		name     string
		j        Judgement
		watched  time.Duration
		want     Verdict
		inReason string
	}{
		{"fresh, seen for less than the grace", fresh, 10 * time.Minute, Fresh, "refreshed 3m ago"},
		{"fresh, seen exactly the grace", fresh, 15 * time.Minute, Fresh, "refreshed"},
		{"fresh, unchanged past the grace", fresh, 16 * time.Minute, Unrefreshed, "lock unchanged for 16m; a running restic rewrites its lock every 5m"},
		{"live stays live however long: its process runs", live, 2 * time.Hour, Live, "running"},
		{"orphaned is already stale", Judgement{Verdict: Orphaned, Reason: "process 1 is gone"}, time.Hour, Orphaned, "gone"},
	}
	for _, tt := range tests {
		got := Watched(tt.j, tt.watched, 15*time.Minute)
		if got.Verdict != tt.want || !strings.Contains(got.Reason, tt.inReason) {
			t.Errorf("%s: got %s (%s)", tt.name, got.Verdict, got.Reason)
		}
	}
}
