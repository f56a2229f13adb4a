package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service"
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

	st := check(t, c, "r0")
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
	res, err := unlock(t, c, "r0", service.UnlockOptions{})
	if err != nil || res.Method != "deleted lock files" || len(res.Removed) != 1 || hasFile(repo, dead.LockID) || !hasFile(repo, live.LockID) {
		t.Fatalf("native unlock: %+v, %v", res, err)
	}
}

func TestNativeReaderOverRESTRemovesExactly(t *testing.T) {
	repo := demotest.RESTRepo(t)
	c := checkerWith(t, config.ReaderAuto, repo)
	dead := demotest.Orphan(t, repo)
	time.Sleep(4 * time.Second)
	squatter := demotest.TakePID(t, dead.PID)
	live := demotest.Hold(t, repo, demo.Options{})
	st := check(t, c, "r0")
	if st.Reader != "native" {
		t.Fatalf("reader %q over REST", st.Reader)
	}
	if l := findLock(t, st, dead.LockID); l.Verdict != lock.Orphaned || !strings.Contains(l.Reason, "now belongs to 'sleep'") {
		t.Fatalf("reused PID over REST: %s %s", l.Verdict, l.Reason)
	}
	// Natively there is no restic unlock, so no SIGHUP: the stale lock
	// goes, the live one and the process that took the PID stay.
	res, err := unlock(t, c, "r0", service.UnlockOptions{})
	if err != nil || res.Method != "deleted lock files" || hasFile(repo, dead.LockID) || !hasFile(repo, live.LockID) {
		t.Fatalf("native unlock over REST: %+v, %v", res, err)
	}
	if !demotest.Running(squatter) {
		t.Error("the process that reused the PID was killed")
	}
	// A single live lock can be removed with --force over REST now.
	if _, err := unlock(t, c, "r0", service.UnlockOptions{IDs: []string{live.LockID}, Force: true}); err != nil || hasFile(repo, live.LockID) {
		t.Fatalf("forced single removal over REST: %v", err)
	}
}
