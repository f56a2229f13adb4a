// Package runner is `lockwatch run`: it runs a backup command (usually
// restic) for one repository under an overlap guard, passes its output and
// stop signals through, removes the lock that blocked it when the repo's
// auto_unlock level allows and retries once, and records how it went in the
// state store, so that a backup that fails or stops running gets noticed.
package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/lockwatch/lockwatch/service/store"
)

// Results of a run.
const (
	ResultOK      = "ok"      // the command exited 0
	ResultFailed  = "failed"  // it exited non-zero (or could not start) for another reason than a lock
	ResultSkipped = "skipped" // another run of the same repository was still going
	ResultLocked  = "locked"  // restic failed because a lock blocked it
)

// Exit statuses of the wrapper itself; otherwise it exits with the command's.
const (
	// ExitSkipped is EX_TEMPFAIL from sysexits.h: schedulers and scripts
	// read it as "try again later", which is what an overlap means.
	ExitSkipped = 75
	// ExitCannotStart is what shells return for a command they cannot run.
	ExitCannotStart = 127
)

// DefaultGrace is how long a stopped command may take to end by itself
// before it is killed: restic needs a moment to remove its lock, and a
// kill leaves the lock behind.
const DefaultGrace = 30 * time.Second

// TailLines is how many of the command's last stderr lines are kept.
const TailLines = 50

// Run is one recorded run, as the store keeps it (JSON) and `lockwatch
// runs --json` prints it.
type Run struct {
	StartedAt       time.Time `json:"started_at"`
	EndedAt         time.Time `json:"ended_at"`
	DurationSeconds float64   `json:"duration_seconds"`
	ExitCode        int       `json:"exit_code"`
	Result          string    `json:"result"` // ResultOK, ResultFailed, ResultSkipped, ResultLocked
	Summary         string    `json:"summary"`
	StderrTail      []string  `json:"stderr_tail"`
	// Command is the base name of argv[0] only: arguments may hold secrets.
	Command  string    `json:"command"`
	Conflict *Conflict `json:"conflict,omitempty"`
	// Retried: a blocking lock was removed and the command ran a second
	// time; the other fields describe that second attempt.
	Retried bool `json:"retried"`
}

// Conflict is the lock that blocked restic, as restic described it, and
// what lockwatch made of it when auto_unlock had it checked.
type Conflict struct {
	PID        int    `json:"pid"`
	Host       string `json:"host"`
	User       string `json:"user"`
	Exclusive  bool   `json:"exclusive"`
	AgeSeconds int64  `json:"age_seconds"`
	// CreatedAt is as restic printed it: local time without a zone.
	CreatedAt string `json:"created_at,omitempty"`
	// LockID is restic's short storage ID, or the full ID once lockwatch found the lock.
	LockID  string `json:"lock_id,omitempty"`
	Verdict string `json:"verdict,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Removed bool   `json:"removed,omitempty"`

	// note says why lockwatch left the lock alone, for the summary.
	note string
}

// Duration is how long the run took.
func (r *Run) Duration() time.Duration {
	return time.Duration(r.DurationSeconds * float64(time.Second))
}

// Entry is a recorded run with its repository.
type Entry struct {
	Repo string `json:"repo"`
	Run
}

// LockPath is the overlap guard's lock file for a repository.
func LockPath(stateDir, repo string) string {
	return filepath.Join(stateDir, "runs", repo+".lock")
}

// record appends run to the history.
func record(st *store.Store, repo string, run *Run) error {
	data, err := json.Marshal(run)
	if err != nil {
		return err
	}
	_, err = st.Append(store.Event{Time: run.EndedAt, Kind: store.KindRun, Repo: repo, Run: data})
	return err
}

// History returns the recorded runs, newest first: of one repository, or
// of all when repo is "". limit 0 means all of them.
func History(st *store.Store, repo string, limit int) ([]Entry, error) {
	if limit <= 0 {
		limit = -1 // the store's "no limit"
	}
	events, err := st.History(store.Query{Repo: repo, Kinds: []string{store.KindRun}, Limit: limit})
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(events))
	for _, ev := range events {
		var run Run
		if err := json.Unmarshal(ev.Run, &run); err != nil {
			continue // written by a newer lockwatch, or damaged: the store skips those too
		}
		if run.StderrTail == nil {
			run.StderrTail = []string{}
		}
		entries = append(entries, Entry{Repo: ev.Repo, Run: run})
	}
	return entries, nil
}

// LastRun returns the newest recorded run of repo, or nil when there is none.
func LastRun(st *store.Store, repo string) (*Run, error) {
	if repo == "" {
		return nil, errors.New("runner: LastRun needs a repository name")
	}
	// Not History(st, repo, 1): an undecodable newest record would hide
	// the one before it.
	entries, err := History(st, repo, 20)
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	return &entries[0].Run, nil
}

// humanDuration rounds d for people: 0.4s, 9.5s, 3m2s, 2h0m5s.
func humanDuration(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// oneLine makes s fit a one-line summary.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// sinceText formats when a run started: 02:00 today, else with the date.
func sinceText(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func describeHolder(pid int, since time.Time, now time.Time) string {
	switch {
	case pid > 0 && !since.IsZero():
		return fmt.Sprintf(" (PID %d, since %s)", pid, sinceText(since, now))
	case pid > 0:
		return fmt.Sprintf(" (PID %d)", pid)
	}
	return ""
}
