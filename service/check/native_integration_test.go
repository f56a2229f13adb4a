package check_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
)

// The same situations as unlock_integration_test.go, read and removed by
// the native reader (the default for local and REST repositories).

func TestNativeReaderJudgesAndRemoves(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	live := demotest.Hold(t, repo, demo.Options{})
	garbage := writeLockFile(t, repo, []byte("no lock"))
	c := checkerWith(t, config.ReaderAuto, repo)

	st := checkRepo(t, c, "r0")
	if st.Reader != "native" {
		t.Fatalf("reader %q, want native", st.Reader)
	}
	if l := findLock(t, st, dead.LockID); l.Verdict != lock.Orphaned || l.Reason != fmt.Sprintf("process %d is gone", dead.PID) {
		t.Errorf("dead owner: %s %s", l.Verdict, l.Reason)
	}
	if l := findLock(t, st, live.LockID); l.Verdict != lock.Live {
		t.Errorf("live: %s %s", l.Verdict, l.Reason)
	}
	if l := findLock(t, st, garbage); l.Verdict != lock.Invalid || l.Reason == "" {
		t.Errorf("garbage: %s %s", l.Verdict, l.Reason)
	}
	res, err := unlock(t, c, "r0", check.UnlockOptions{})
	if err != nil || res.Method != "deleted lock files" || len(res.Removed) != 1 || hasFile(repo, dead.LockID) || !hasFile(repo, live.LockID) {
		t.Fatalf("native unlock: %+v, %v", res, err)
	}
}

func TestNativeReaderOverRESTRemovesExactly(t *testing.T) {
	repo := demotest.RESTRepo(t)
	c := checkerWith(t, config.ReaderAuto, repo)
	dead, squatter := demotest.ReusedPID(t, repo, demo.Options{})
	live := demotest.Hold(t, repo, demo.Options{})
	st := checkRepo(t, c, "r0")
	if st.Reader != "native" {
		t.Fatalf("reader %q over REST", st.Reader)
	}
	if l := findLock(t, st, dead.LockID); l.Verdict != lock.Orphaned || !strings.Contains(l.Reason, "now belongs to 'sleep'") {
		t.Fatalf("reused PID over REST: %s %s", l.Verdict, l.Reason)
	}
	// Natively there is no restic unlock, so no SIGHUP: the stale lock
	// goes, the live one and the process that took the PID stay.
	res, err := unlock(t, c, "r0", check.UnlockOptions{})
	if err != nil || res.Method != "deleted lock files" || hasFile(repo, dead.LockID) || !hasFile(repo, live.LockID) {
		t.Fatalf("native unlock over REST: %+v, %v", res, err)
	}
	if !demotest.Running(squatter) {
		t.Error("the process that reused the PID was killed")
	}
	// A single live lock can be removed with --force over REST now.
	if _, err := unlock(t, c, "r0", check.UnlockOptions{IDs: []string{live.LockID}, Force: true}); err != nil || hasFile(repo, live.LockID) {
		t.Fatalf("forced single removal over REST: %v", err)
	}
}

// checkerWithEnv is checkerWith for repositories that need their backend
// environment (S3 keys, the HOME with the ssh config) in the config.
func checkerWithEnv(t *testing.T, r *demo.Repo) *check.Checker {
	t.Helper()
	var env []string
	for _, kv := range r.Env {
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, fmt.Sprintf("%s = %q", k, v))
	}
	text := fmt.Sprintf("[defaults]\nrestic = %q\ntimeout = \"60s\"\n[[repo]]\nname = \"r0\"\nrepository = %q\npassword_file = %q\nenv = { %s }\n",
		demotest.Restic(t), r.Location, r.PasswordFile, strings.Join(env, ", "))
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "config.toml"), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return check.NewChecker(cfg)
}

// On sftp and S3 too, lockwatch deletes exactly the stale lock itself (no
// restic unlock): restic then lists only the live one.
func TestNativeReaderRemovesExactlyOverSFTPAndS3(t *testing.T) {
	for name, make := range map[string]func(testing.TB) *demo.Repo{"sftp": demotest.SFTPRepo, "s3": demotest.S3Repo} {
		t.Run(name, func(t *testing.T) {
			repo := make(t)
			dead := demotest.OrphanS3(t, repo)
			live := demotest.HoldS3(t, repo, demo.Options{})
			c := checkerWithEnv(t, repo)
			st := checkRepo(t, c, "r0")
			if st.Reader != "native" {
				t.Fatalf("reader %q, want native", st.Reader)
			}
			if l := findLock(t, st, dead.LockID); l.Verdict != lock.Orphaned {
				t.Errorf("dead owner: %s %s", l.Verdict, l.Reason)
			}
			res, err := unlock(t, c, "r0", check.UnlockOptions{})
			if err != nil || res.Method != "deleted lock files" || len(res.Removed) != 1 || res.Removed[0].ID != dead.LockID {
				t.Fatalf("unlock: %+v, %v", res, err)
			}
			if got := demotest.ResticLocks(t, repo); len(got) != 1 || got[0] != live.LockID {
				t.Errorf("restic lists %v after the unlock, want only the live %s", got, live.LockID[:8])
			}
			// And one named lock, forced.
			res, err = unlock(t, c, "r0", check.UnlockOptions{IDs: []string{live.LockID[:12]}, Force: true})
			if err != nil || len(res.Removed) != 1 || len(demotest.ResticLocks(t, repo)) != 0 {
				t.Fatalf("forced removal of %s: %+v, %v", live.LockID[:8], res, err)
			}
		})
	}
}

// When the native reader cannot open a repository that restic can (here:
// an ssh setup it cannot see, only restic's ssh knows the host), restic
// reads it, and the status says why.
func TestFallbackToResticIsExplained(t *testing.T) {
	repo := demotest.SFTPRepo(t)
	dead := demotest.Orphan(t, repo)
	var env []string
	for _, kv := range repo.Env {
		if !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	blind := *repo
	blind.Env = append(env, "HOME="+t.TempDir()) // no ~/.ssh/config nor known_hosts
	st := checkRepo(t, checkerWithEnv(t, &blind), "r0")
	if st.Reader != "restic" || !strings.Contains(st.ReaderNote, "the native reader could not open it (") {
		t.Errorf("reader %q, note %q", st.Reader, st.ReaderNote)
	}
	if l := findLock(t, st, dead.LockID); l.Verdict != lock.Orphaned {
		t.Errorf("read by restic: %s %s", l.Verdict, l.Reason)
	}
	if st := checkRepo(t, checkerWithEnv(t, repo), "r0"); st.Reader != "native" || st.ReaderNote != "" {
		t.Errorf("with its ssh config: reader %q, note %q", st.Reader, st.ReaderNote)
	}
}
