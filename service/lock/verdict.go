package lock

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lockwatch/lockwatch/platform/process"
)

// Verdict is lockwatch's one-word judgement of a lock.
type Verdict string

const (
	// Live: same host, the owner process exists and started before the lock was written.
	Live Verdict = "live"
	// Fresh: another host (or an owner that cannot be inspected), refreshed within restic's 30 minutes.
	Fresh Verdict = "fresh"
	// Orphaned: same host, the owner process is gone or its PID was reused.
	Orphaned Verdict = "orphaned"
	// Expired: not refreshed for more than 30 minutes, restic's own stale rule.
	Expired Verdict = "expired"
	// Unrefreshed: younger than 30 minutes, but the same lock ID has been
	// watched for longer than a live restic would keep it (opt-in, set by the service).
	Unrefreshed Verdict = "unrefreshed"
	// Invalid: the lock file is empty, unreadable, undecryptable or malformed.
	Invalid Verdict = "invalid"
)

// Stale reports whether the verdict says nobody holds the lock any more:
// the locks `lockwatch unlock` removes.
func (v Verdict) Stale() bool { return v == Orphaned || v == Expired }

// NeedsAttention reports whether the lock makes its repository stale: a
// lock nobody holds, one another host stopped refreshing, or a file that is
// no lock. The repository's state, the tray and the CLI all count these.
func (v Verdict) NeedsAttention() bool { return v.Stale() || v == Unrefreshed || v == Invalid }

// StaleAfter is restic's rule: a lock not refreshed for longer than this is
// stale whoever holds it. A running restic refreshes its lock every 5 minutes.
const StaleAfter = 30 * time.Minute

// StartMargin absorbs the imprecision of process start times (derived from
// uptime counters, and shifted by any wall-clock step since the lock was
// written). A process must have started this long after the lock's time
// before we call its PID reused: wrongly calling a lock orphaned can let a
// prune delete data a running backup still needs, while wrongly calling it
// live only delays the next backup.
const StartMargin = 3 * time.Second

// ProcessProbe reports on a local process ID without signalling it.
type ProcessProbe func(pid int) (process.Info, error)

// Judgement is a verdict with the evidence for it, in words.
type Judgement struct {
	Verdict Verdict
	// Reason is the evidence in English, as the CLI and --json say it;
	// Why is the same as a message ID and its facts, for the app to say in
	// its user's language.
	Reason string
	Why    Why
	// Owner is the process judged to hold a live lock, as the probe saw
	// it; the service watches it for its exit.
	Owner process.Info
}

// Why is a reason as a message ID and the facts it names (PID, host,
// ages as Age writes them). The IDs are stable: the app's catalogue has a
// message for each.
type Why struct {
	ID    string            `json:"id"`
	Facts map[string]string `json:"facts,omitempty"`
}

// The reasons' IDs.
const (
	WhyInvalid       = "invalid"       // Problem, Kind (a Problem kind)
	WhyExpired       = "expired"       // Age
	WhyOtherHost     = "other-host"    // PID, Host, Ago
	WhyUninspectable = "uninspectable" // PID, Error, Ago
	WhyGone          = "gone"          // PID
	WhyHidden        = "hidden"        // PID
	WhyReused        = "reused"        // PID, Name, Late
	WhyRunning       = "running"       // PID, Name
	WhyRunningNear   = "running-near"  // PID, Name, Margin
	WhyWrapper       = "wrapper"       // PID, Name
	WhyWrapperNear   = "wrapper-near"  // PID, Name, Margin
	WhyUnchanged     = "unchanged"     // Age, Every
)

func judged(v Verdict, english, id string, facts map[string]string) Judgement {
	return Judgement{Verdict: v, Reason: english, Why: Why{ID: id, Facts: facts}}
}

// Judge applies restic's stale rule, with a kinder process check, to one
// lock. host is this machine's name as restic would write it. It does no
// I/O of its own: everything it knows comes from its arguments.
func Judge(l Lock, now time.Time, host string, probe ProcessProbe) Judgement {
	pid := strconv.Itoa(l.PID)
	if l.Problem != "" {
		return judged(Invalid, l.Problem, WhyInvalid, map[string]string{"Problem": l.Problem, "Kind": l.ProblemKind})
	}
	age := now.Sub(l.Time)
	if age > StaleAfter {
		return judged(Expired, fmt.Sprintf("not refreshed for %s (restic treats locks older than 30m as stale)", Age(age)),
			WhyExpired, map[string]string{"Age": Age(age)})
	}
	if l.Hostname != host {
		return judged(Fresh, fmt.Sprintf("held by PID %d on host %q, refreshed %s; only that host can tell whether it still runs", l.PID, l.Hostname, ago(age)),
			WhyOtherHost, agoFacts(age, map[string]string{"PID": pid, "Host": l.Hostname}))
	}
	p, err := probe(l.PID)
	if err != nil {
		return judged(Fresh, fmt.Sprintf("could not inspect process %d (%v), so it may still run; refreshed %s", l.PID, err, ago(age)),
			WhyUninspectable, agoFacts(age, map[string]string{"PID": pid, "Error": err.Error()}))
	}
	if !p.Exists {
		return judged(Orphaned, fmt.Sprintf("process %d is gone", l.PID), WhyGone, map[string]string{"PID": pid})
	}
	if p.StartTime.IsZero() {
		j := judged(Live, fmt.Sprintf("process %d exists (its start time is hidden, likely another user's), so the lock may be in use", l.PID),
			WhyHidden, map[string]string{"PID": pid})
		j.Owner = p
		return j
	}
	if late := p.StartTime.Sub(l.Time); late > StartMargin {
		return judged(Orphaned, fmt.Sprintf("PID %d now belongs to %s, started %s after the lock was written", l.PID, nameOf(p), Age(late)),
			WhyReused, map[string]string{"PID": pid, "Name": p.Name, "Late": Age(late)})
	}
	// Say what is known: a start just after the lock's time is within
	// what the clocks can tell apart, not proof it came first.
	facts := map[string]string{"PID": pid, "Name": p.Name}
	started, id, wrapperID := "started before the lock was written", WhyRunning, WhyWrapper
	if late := p.StartTime.Sub(l.Time); late > 0 {
		started = fmt.Sprintf("started within %s of the lock's time (start times are exact only to a few seconds)", Age(StartMargin))
		id, wrapperID = WhyRunningNear, WhyWrapperNear
		facts["Margin"] = Age(StartMargin)
	}
	var j Judgement
	if !IsRestic(p.Name) && p.Name != "" {
		j = judged(Live, fmt.Sprintf("process %d (%s) is running and %s; it is not named restic, but may be a wrapper", l.PID, nameOf(p), started), wrapperID, facts)
	} else {
		j = judged(Live, fmt.Sprintf("process %d (%s) is running and %s", l.PID, nameOf(p), started), id, facts)
	}
	j.Owner = p
	return j
}

// IsRestic reports whether a process name looks like restic itself
// ("restic", "restic.exe", "restic_0.19.1_linux_amd64").
func IsRestic(name string) bool {
	return strings.Contains(strings.ToLower(name), "restic")
}

func nameOf(p process.Info) string {
	if p.Name == "" {
		return "an unknown program"
	}
	return fmt.Sprintf("'%s'", p.Name)
}

// agoFacts adds how long ago the lock was written: Ago, and Future when
// the lock's time is ahead of this clock (another host's clock is wrong).
func agoFacts(d time.Duration, facts map[string]string) map[string]string {
	facts["Ago"] = Age(d)
	if d < 0 {
		facts["Future"] = "yes"
	}
	return facts
}

func ago(d time.Duration) string {
	if d < 0 {
		return Age(-d) + " in the future by this clock"
	}
	return Age(d) + " ago"
}

// Age formats a duration the way people say it: "45s", "3m", "2h5m", "73h".
func Age(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 10*time.Hour && d%time.Hour >= time.Minute:
		return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
}

// RefreshInterval is how often a running restic rewrites its lock (under a new ID).
const RefreshInterval = 5 * time.Minute

// Watched refines a judgement with how long the service has seen the same
// lock ID. A live restic writes a new lock (with a new ID) every 5 minutes,
// so another host's lock whose ID stays unchanged for longer than after
// belongs to a restic that stopped refreshing: crashed, killed or asleep.
// Only fresh locks change: a live one has a running process that we can see,
// and lockwatch never removes a lock whose owner it saw running.
func Watched(j Judgement, watched, after time.Duration) Judgement {
	if j.Verdict != Fresh || watched <= after {
		return j
	}
	return judged(Unrefreshed, fmt.Sprintf("lock unchanged for %s; a running restic rewrites its lock every %s", Age(watched), Age(RefreshInterval)),
		WhyUnchanged, map[string]string{"Age": Age(watched), "Every": Age(RefreshInterval)})
}
