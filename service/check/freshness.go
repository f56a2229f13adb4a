package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/reader"
	"github.com/lockwatch/lockwatch/service/restic"
	"github.com/lockwatch/lockwatch/service/store"
)

// A stale lock is usually found because a backup failed; a backup that
// silently stopped running is the other half of the same worry. These
// checks turn a repository "failed".

// RunSummary is how a backup run of a repository ended: a `lockwatch run`,
// or the backup section of resticprofile's status file.
type RunSummary struct {
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	ExitCode  int       `json:"exit_code"`
	Result    string    `json:"result"` // ok, failed, skipped, locked
	Summary   string    `json:"summary"`
}

// Failed reports whether the run failed (a skipped run is no failure: another one was running).
func (r *RunSummary) Failed() bool { return r != nil && (r.Result == "failed" || r.Result == "locked") }

// checkSnapshots sets LastSnapshotAt and, when the newest matching snapshot
// is too old or missing, a failure in words.
func (c *Checker) checkSnapshots(ctx context.Context, r *config.Repo, d reader.Reader, st *RepoStatus) error {
	if r.MaxSnapshotAge.Duration <= 0 {
		return nil
	}
	lister, ok := d.(reader.SnapshotLister)
	if !ok {
		cli, err := c.resticReader(r) // this reader cannot: restic can
		if err != nil {
			return err
		}
		lister = cli.(reader.SnapshotLister)
	}
	latest, found, err := lister.LatestSnapshot(ctx, r.SnapshotHost, r.SnapshotTags, r.SnapshotPaths)
	if err != nil {
		return err
	}
	which := "snapshot"
	if r.SnapshotHost != "" {
		which += " from host " + r.SnapshotHost
	}
	if len(r.SnapshotTags) > 0 {
		which += " tagged " + strings.Join(r.SnapshotTags, ",")
	}
	if len(r.SnapshotPaths) > 0 {
		which += " of " + strings.Join(r.SnapshotPaths, ", ")
	}
	expected := lock.Age(r.MaxSnapshotAge.Duration)
	facts := map[string]string{"Host": r.SnapshotHost, "Tags": strings.Join(r.SnapshotTags, ","), "Paths": strings.Join(r.SnapshotPaths, ", "), "Expected": expected}
	switch {
	case !found:
		st.fail(fmt.Sprintf("no %s at all; expected every %s", which, expected), WhyNoSnapshot, facts)
	default:
		st.LastSnapshotAt = latest
		if age := c.Now().Sub(latest); age > r.MaxSnapshotAge.Duration {
			facts["Age"] = lock.Age(age)
			st.fail(fmt.Sprintf("no %s for %s; expected every %s", which, lock.Age(age), expected), WhySnapshotOverdue, facts)
		}
	}
	return nil
}

// resticprofileStatus is the part of resticprofile's status file we read.
type resticprofileStatus struct {
	Profiles map[string]map[string]struct {
		Success  bool    `json:"success"`
		Time     string  `json:"time"`
		Error    string  `json:"error"`
		Stderr   string  `json:"stderr"`
		Duration float64 `json:"duration"` // seconds; Time is when the run ended
	} `json:"profiles"`
}

// checkResticprofile reports a failed section of resticprofile's status
// file, and its backup section as the last run.
func checkResticprofile(r *config.Repo, st *RepoStatus) error {
	if r.ResticprofileStatus == "" {
		return nil
	}
	data, err := os.ReadFile(r.ResticprofileStatus)
	if errors.Is(err, fs.ErrNotExist) {
		// resticprofile writes it after its first run: none has ended yet.
		st.fail("resticprofile has recorded no run yet ("+r.ResticprofileStatus+" does not exist)", WhyNoProfileRun, map[string]string{"Path": r.ResticprofileStatus})
		return nil
	}
	if err != nil {
		return fmt.Errorf("resticprofile status: %w", err)
	}
	var status resticprofileStatus
	if err := json.Unmarshal(data, &status); err != nil {
		return fmt.Errorf("resticprofile status %s: %v", r.ResticprofileStatus, err)
	}
	profile := r.ResticprofileProfile
	if profile == "" {
		profile = r.Name
	}
	sections := status.Profiles[profile]
	names := make([]string, 0, len(sections))
	for name := range sections {
		names = append(names, name)
	}
	sort.Strings(names)
	if b, ok := sections["backup"]; ok {
		// resticprofile records the time a run ended.
		if end, err := time.Parse(time.RFC3339, b.Time); err == nil {
			run := &RunSummary{StartedAt: end.Add(-time.Duration(b.Duration * float64(time.Second))), EndedAt: end, Result: "ok", Summary: "resticprofile " + profile + " backup"}
			if !b.Success {
				run.Result, run.ExitCode, run.Summary = "failed", 1, run.Summary+": "+b.Error
				if why := stderrReason(b.Stderr); why != "" {
					run.Summary += " (" + why + ")"
				}
			}
			st.LastRun = run
		}
	}
	for _, name := range names {
		if s := sections[name]; !s.Success {
			msg := fmt.Sprintf("resticprofile %s %s failed", profile, name)
			if s.Time != "" {
				msg += " at " + s.Time
			}
			if s.Error != "" {
				msg += ": " + s.Error
			}
			why := stderrReason(s.Stderr)
			if why != "" {
				msg += " (" + why + ")"
			}
			st.fail(msg, WhyProfileFailed, map[string]string{"Profile": profile, "Section": name, "Time": s.Time, "Error": s.Error, "Why": why})
		}
	}
	return nil
}

// stderrReason is the line of restic's stderr that says why it failed, as
// the restic driver's error parser picks it.
func stderrReason(stderr string) string {
	return restic.Classify("", 1, []byte(stderr)).Detail
}

// The IDs of the failures' parts (RepoStatus.FailureWhy), with their facts.
const (
	WhyNoSnapshot      = "no-snapshot"      // Host, Tags, Paths, Expected
	WhySnapshotOverdue = "snapshot-overdue" // Host, Tags, Paths, Expected, Age
	WhyNoProfileRun    = "no-profile-run"   // Path
	WhyProfileFailed   = "profile-failed"   // Profile, Section, Time, Error, Why
	WhyRunFailed       = "run-failed"       // Time (RFC 3339), Result, Summary
)

// fail adds one reason to st's failure: in English to Failure, as an ID and
// its facts to FailureWhy (for the app to say in its user's language).
func (st *RepoStatus) fail(english, id string, facts map[string]string) {
	st.Failure = joinFailure(st.Failure, english)
	st.FailureWhy = append(st.FailureWhy, lock.Why{ID: id, Facts: facts})
}

func joinFailure(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// LastRuns reads from the store how the newest `lockwatch run` of repo
// ended (last) and the newest that really ran (ran): a skipped run found
// another in progress, so it neither causes nor clears a failure. Either
// is nil when there was none among the 50 newest runs (50 skips in a row
// mean a run has been stuck for 50 schedules, which the lock shows).
func LastRuns(st *store.Store, repo string) (last, ran *RunSummary) {
	events, err := st.History(store.Query{Repo: repo, Kinds: []string{store.KindRun}, Limit: 50})
	if err != nil {
		return nil, nil
	}
	for _, e := range events {
		var run RunSummary
		if len(e.Run) == 0 || json.Unmarshal(e.Run, &run) != nil {
			continue
		}
		if last == nil {
			last = &run
		}
		if run.Result != "skipped" {
			return last, &run
		}
	}
	return last, nil
}

// ApplyLastRun shows last and marks st failed when ran, the newest run that
// ran, failed and no snapshot has appeared since: it stays failed until a
// later run succeeds or a fresh snapshot shows the backups work again.
func ApplyLastRun(st *RepoStatus, last, ran *RunSummary) {
	if last != nil && (st.LastRun == nil || last.StartedAt.After(st.LastRun.StartedAt)) {
		st.LastRun = last // newer than what resticprofile reported
	}
	if !ran.Failed() || st.State == StateError {
		return
	}
	if !st.LastSnapshotAt.IsZero() && st.LastSnapshotAt.After(ran.StartedAt) {
		return
	}
	st.fail(fmt.Sprintf("the last run (%s) %s: %s", ran.StartedAt.Local().Format("2006-01-02 15:04"), ran.Result, ran.Summary),
		WhyRunFailed, map[string]string{"Time": ran.StartedAt.UTC().Format(time.RFC3339), "Result": ran.Result, "Summary": ran.Summary})
	st.State = StateFailed
}
