package check_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/store"
)

// snapshot makes a real snapshot with restic, from host at time when;
// extra adds backup flags (--tag, --stdin-filename for another path).
func snapshot(t *testing.T, r *demo.Repo, host string, when time.Time, extra ...string) {
	t.Helper()
	args := append([]string{"backup", "--stdin", "--stdin-filename", "f.txt", "--host", host, "--time", when.Format("2006-01-02 15:04:05")}, extra...)
	cmd := r.Command(context.Background(), args...)
	cmd.Stdin = strings.NewReader("data\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restic backup: %v\n%s", err, out)
	}
}

// readerUnderTest is the reader the freshness checks run with; each test runs with both.
var readerUnderTest = config.ReaderAuto

func checkWith(t *testing.T, r *demo.Repo, extra string) check.RepoStatus {
	t.Helper()
	text := fmt.Sprintf("[defaults]\nrestic = %q\n[[repo]]\nname = \"nas\"\nrepository = %q\npassword_file = %q\nreader = %q\n%s", demotest.Restic(t), r.Location, r.PasswordFile, readerUnderTest, extra)
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "c.toml"), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	c := check.NewChecker(cfg)
	repo, _ := c.Repo("nas")
	return c.Check(context.Background(), repo)
}

func TestSnapshotFreshness(t *testing.T) {
	for _, reader := range []string{config.ReaderNative, config.ReaderRestic} {
		t.Run(reader, func(t *testing.T) {
			readerUnderTest = reader
			defer func() { readerUnderTest = config.ReaderAuto }()
			testSnapshotFreshness(t)
		})
	}
}

func TestSnapshotTagsAndPaths(t *testing.T) {
	for _, reader := range []string{config.ReaderNative, config.ReaderRestic} {
		t.Run(reader, func(t *testing.T) {
			readerUnderTest = reader
			defer func() { readerUnderTest = config.ReaderAuto }()
			repo := demotest.LocalRepo(t)
			snapshot(t, repo, "mbp", time.Now().Add(-31*time.Hour), "--tag", "daily", "--stdin-filename", "home.txt")
			snapshot(t, repo, "mbp", time.Now().Add(-time.Hour), "--tag", "weekly", "--stdin-filename", "etc.txt")
			for _, c := range []struct {
				extra, failure string
			}{
				{"snapshot_tags = [\"daily\"]", "no snapshot tagged daily for 31h; expected every 26h"},
				{"snapshot_tags = [\"weekly\"]", ""},
				{"snapshot_paths = [\"/home.txt\"]", "no snapshot of /home.txt for 31h; expected every 26h"},
				{"snapshot_paths = [\"/etc.txt\"]", ""},
				{"snapshot_tags = [\"daily\", \"weekly\"]", "no snapshot tagged daily,weekly at all; expected every 26h"},
				{"snapshot_tags = [\"weekly\"]\nsnapshot_paths = [\"/home.txt\"]", "no snapshot tagged weekly of /home.txt at all; expected every 26h"},
			} {
				st := checkWith(t, repo, "max_snapshot_age = \"26h\"\n"+c.extra+"\n")
				want := check.StateOK
				if c.failure != "" {
					want = check.StateFailed
				}
				if st.State != want || st.Failure != c.failure {
					t.Errorf("%s: %s %q, want %s %q (error %q)", c.extra, st.State, st.Failure, want, c.failure, st.Error)
				}
			}
		})
	}
}

func testSnapshotFreshness(t *testing.T) {
	repo := demotest.LocalRepo(t)
	st := checkWith(t, repo, "max_snapshot_age = \"26h\"\n")
	if st.Reader != readerUnderTest {
		t.Errorf("read with %q, want %q", st.Reader, readerUnderTest)
	}
	if st.State != check.StateFailed || st.Failure != "no snapshot at all; expected every 26h" {
		t.Fatalf("empty repo: %s %q %s", st.State, st.Failure, st.Error)
	}
	snapshot(t, repo, "mbp", time.Now().Add(-31*time.Hour))
	snapshot(t, repo, "otherbox", time.Now().Add(-time.Hour)) // fresh, but from another host
	st = checkWith(t, repo, "max_snapshot_age = \"26h\"\nsnapshot_host = \"mbp\"\n")
	if st.State != check.StateFailed || st.Failure != "no snapshot from host mbp for 31h; expected every 26h" {
		t.Errorf("overdue host: %s %q", st.State, st.Failure)
	}
	if st = checkWith(t, repo, "max_snapshot_age = \"26h\"\n"); st.State != check.StateOK || st.LastSnapshotAt.IsZero() {
		t.Errorf("any host: %s %q", st.State, st.Failure)
	}
	if st = checkWith(t, repo, "max_snapshot_age = \"26h\"\nsnapshot_host = \"otherbox\"\n"); st.State != check.StateOK {
		t.Errorf("fresh host: %s %q", st.State, st.Failure)
	}
	// Failed outranks a stale lock.
	demotest.Orphan(t, repo)
	if st = checkWith(t, repo, "max_snapshot_age = \"26h\"\nsnapshot_host = \"mbp\"\n"); st.State != check.StateFailed || len(st.Locks) != 1 {
		t.Errorf("overdue with a stale lock: %s %+v", st.State, st.Locks)
	}
}

func TestResticprofileStatus(t *testing.T) {
	repo := demotest.LocalRepo(t)
	status := filepath.Join(t.TempDir(), "status.json")
	os.WriteFile(status, []byte(`{"profiles": {"home": {
		"backup": {"success": false, "time": "2026-11-22T02:00:00+01:00", "error": "exit status 1", "stderr": "Fatal: repository does not exist: unable to open config file: stat /srv/r/config: no such file or directory\nIs there a repository at the following location?\n/srv/r", "duration": 3},
		"check": {"success": true, "time": "2026-11-21T02:00:00+01:00", "error": "", "duration": 30}}}}`), 0o600)
	st := checkWith(t, repo, fmt.Sprintf("resticprofile_status = %q\nresticprofile_profile = \"home\"\n", status))
	if st.State != check.StateFailed || st.Failure != "resticprofile home backup failed at 2026-11-22T02:00:00+01:00: exit status 1 (repository does not exist: unable to open config file: stat /srv/r/config: no such file or directory)" {
		t.Errorf("failed backup section: %s %q", st.State, st.Failure)
	}
	// Its backup section is the repository's last run.
	if r := st.LastRun; r == nil || r.Result != "failed" || r.Summary != "resticprofile home backup: exit status 1 (repository does not exist: unable to open config file: stat /srv/r/config: no such file or directory)" ||
		!r.EndedAt.Equal(time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)) || r.EndedAt.Sub(r.StartedAt) != 3*time.Second {
		t.Errorf("last run from resticprofile: %+v", r)
	}
	// A newer lockwatch run shows instead; an older one does not.
	newer := &check.RunSummary{StartedAt: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC), Result: "ok"}
	older := &check.RunSummary{StartedAt: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC), Result: "ok"}
	withOlder := st
	check.ApplyLastRun(&withOlder, older, older)
	check.ApplyLastRun(&st, newer, newer)
	if st.LastRun != newer || withOlder.LastRun == older {
		t.Errorf("last run: with a newer run %+v, with an older one %+v", st.LastRun, withOlder.LastRun)
	}
	if st := checkWith(t, repo, fmt.Sprintf("resticprofile_status = %q\nresticprofile_profile = \"work\"\n", status)); st.State != check.StateOK {
		t.Errorf("another profile: %s %q", st.State, st.Failure)
	}
	// Before resticprofile's first run there is no status file: not an
	// error of the check, but no run either.
	missing := filepath.Join(t.TempDir(), "status.json")
	st = checkWith(t, repo, fmt.Sprintf("resticprofile_status = %q\n", missing))
	if st.State != check.StateFailed || st.Failure != "resticprofile has recorded no run yet ("+missing+" does not exist)" {
		t.Errorf("no status file: %s %q %q", st.State, st.Failure, st.Error)
	}
}

func TestLastRunFailure(t *testing.T) {
	started := time.Now().Add(-time.Hour)
	locked := &check.RunSummary{StartedAt: started, Result: "locked", Summary: "repository is locked by PID 1 on mbp"}
	st := check.RepoStatus{State: check.StateOK, LastSnapshotAt: started.Add(-24 * time.Hour)}
	check.ApplyLastRun(&st, locked, locked)
	if st.State != check.StateFailed || !strings.Contains(st.Failure, "locked: repository is locked") {
		t.Errorf("failed run: %s %q", st.State, st.Failure)
	}
	failed := &check.RunSummary{StartedAt: started, Result: "failed"}
	st = check.RepoStatus{State: check.StateOK, LastSnapshotAt: started.Add(time.Minute)}
	check.ApplyLastRun(&st, failed, failed)
	if st.State != check.StateOK {
		t.Errorf("a snapshot after the failed run should clear it: %s", st.State)
	}
	ok := &check.RunSummary{StartedAt: started, Result: "ok"}
	st = check.RepoStatus{State: check.StateStale}
	check.ApplyLastRun(&st, ok, ok)
	if st.State != check.StateStale || st.LastRun == nil {
		t.Errorf("ok run: %s", st.State)
	}
	st = check.RepoStatus{State: check.StateOK}
	check.ApplyLastRun(&st, nil, nil)
	if st.State != check.StateOK || st.LastRun != nil {
		t.Errorf("no run: %s %+v", st.State, st.LastRun)
	}
}

// A skipped run (another was in progress) shows as the last run but
// neither causes nor clears a failure: read from a real store.
func TestSkippedRunKeepsTheFailure(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-time.Hour)
	for i, run := range []check.RunSummary{
		{StartedAt: started, Result: "failed", ExitCode: 1, Summary: "Fatal: unable to open repository"},
		{StartedAt: started.Add(time.Minute), Result: "skipped", ExitCode: 75},
	} {
		data, _ := json.Marshal(run)
		if _, err := db.Append(store.Event{Time: run.StartedAt, Repo: "nas", Kind: store.KindRun, Run: data}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	last, ran := check.LastRuns(db, "nas")
	if last == nil || last.Result != "skipped" || ran == nil || ran.Result != "failed" {
		t.Fatalf("LastRuns = %+v, %+v", last, ran)
	}
	st := check.RepoStatus{State: check.StateOK}
	check.ApplyLastRun(&st, last, ran)
	if st.State != check.StateFailed || st.LastRun.Result != "skipped" || !strings.Contains(st.Failure, "unable to open") {
		t.Errorf("after failed then skipped: %s %q, last run %+v", st.State, st.Failure, st.LastRun)
	}
	if last, ran := check.LastRuns(db, "other"); last != nil || ran != nil {
		t.Errorf("a repo without runs: %+v %+v", last, ran)
	}
}
