package present

import (
	"fmt"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

func TestNoticesOnTransitionsOnly(t *testing.T) {
	n := NewNotices()
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	stale := store.Event{Kind: store.KindState, Repo: "nas", From: "ok", To: "stale", Detail: "1 orphaned"}
	note, ok := n.For(stale, now)
	if !ok || note.Title != "nas has a stale lock" || note.Target != "repo/nas" {
		t.Fatalf("stale transition: %+v, %v", note, ok)
	}
	if _, ok := n.For(stale, now.Add(time.Minute)); ok {
		t.Error("the same news again within the quiet period")
	}
	if _, ok := n.For(stale, now.Add(31*time.Minute)); !ok {
		t.Error("the same news after the quiet period was dropped")
	}
	for _, e := range []store.Event{
		{Kind: store.KindState, Repo: "nas", From: "stale", To: "ok"},
		{Kind: store.KindState, Repo: "nas", From: "ok", To: "busy"},
		{Kind: store.KindRemoval, Repo: "nas", By: "tray", Lock: &store.LockRecord{ID: "a"}},
	} {
		if note, ok := n.For(e, now); ok {
			t.Errorf("%+v notified: %+v", e, note)
		}
	}
	removed := store.Event{Kind: store.KindRemoval, Repo: "usb", By: "auto", Verdict: "orphaned", Reason: "process 1 is gone", Lock: &store.LockRecord{ID: "b"}}
	if note, ok := n.For(removed, now); !ok || note.Body != "orphaned: process 1 is gone" || note.Target != "repo/usb" {
		t.Errorf("auto removal: %+v, %v", note, ok)
	}
	if note, ok := n.For(store.Event{Kind: store.KindState, Repo: "cloud", To: "error", Detail: "wrong password"}, now); !ok || note.Title != "cloud cannot be checked" {
		t.Errorf("error transition: %+v, %v", note, ok)
	}
}

func TestNoticesRateLimitAndOff(t *testing.T) {
	n := NewNotices()
	now := time.Now()
	sent := 0
	for i := 0; i < 10; i++ {
		if _, ok := n.For(store.Event{Kind: store.KindState, Repo: fmt.Sprint("r", i), To: "error"}, now); ok {
			sent++
		}
	}
	if sent != n.PerMin {
		t.Errorf("%d notifications in a minute, want %d", sent, n.PerMin)
	}
	if _, ok := n.For(store.Event{Kind: store.KindState, Repo: "late", To: "error"}, now.Add(61*time.Second)); !ok {
		t.Error("still limited a minute later")
	}
	n.SetEnabled(false)
	if _, ok := n.For(store.Event{Kind: store.KindState, Repo: "off", To: "stale"}, now.Add(time.Hour)); ok {
		t.Error("notified while switched off")
	}
	// News dropped while off does not use up its quiet period.
	n.SetEnabled(true)
	if _, ok := n.For(store.Event{Kind: store.KindState, Repo: "off", To: "stale"}, now.Add(time.Hour+time.Second)); !ok {
		t.Error("news dropped while off was still counted once on again")
	}
}

func TestNoticesForFailedRuns(t *testing.T) {
	n := NewNotices()
	now := time.Now()
	failed := store.Event{Seq: 7, Kind: store.KindRun, Repo: "nas", Run: []byte(`{"result":"locked","exit_code":11,"summary":"repository is locked by PID 1 on mbp"}`)}
	note, ok := n.For(failed, now)
	if !ok || note.Title != "A backup of nas failed" || note.Body != "locked (exit 11): repository is locked by PID 1 on mbp" || note.Target != "repo/nas" {
		t.Errorf("failed run: %+v %v", note, ok)
	}
	if _, ok := n.For(store.Event{Seq: 8, Kind: store.KindRun, Repo: "nas", Run: []byte(`{"result":"ok"}`)}, now); ok {
		t.Error("a good run notified")
	}
	if _, ok := n.For(store.Event{Seq: 9, Kind: store.KindRun, Repo: "nas", Run: []byte(`{"result":"skipped","exit_code":75}`)}, now); ok {
		t.Error("a skipped run notified")
	}
}

// A repository's trouble is one tagged notification: stale offers Unlock,
// a failed backup is critical; an auto-unlock's removal is untagged news.
func TestNoticeTagsActionsAndUrgency(t *testing.T) {
	n := NewNotices()
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	stale, _ := n.For(store.Event{Seq: 1, Repo: "nas", Kind: store.KindState, To: "stale", Detail: "1 stale lock"}, now)
	if stale.Tag != "repo/nas" || len(stale.Actions) != 1 || stale.Actions[0].ID != UnlockAction || stale.Critical {
		t.Errorf("stale notice: %+v", stale)
	}
	failed, _ := n.For(store.Event{Seq: 2, Repo: "nas", Kind: store.KindState, To: "failed", Detail: "exit 1"}, now)
	if failed.Tag != "repo/nas" || len(failed.Actions) != 0 || !failed.Critical {
		t.Errorf("failed notice: %+v", failed)
	}
	removed, ok := n.For(store.Event{Seq: 3, Repo: "nas", Kind: store.KindRemoval, By: "auto", Verdict: "orphaned", Lock: &store.LockRecord{ID: "abc"}}, now)
	if !ok || removed.Tag != "" || removed.Target != "repo/nas" {
		t.Errorf("removal notice: %+v, %v", removed, ok)
	}
}

// A stale lock that has blocked backups for hours makes its notice critical.
func TestBlockedLong(t *testing.T) {
	r := check.RepoStatus{Locks: []check.LockStatus{
		{Verdict: lock.Live, AgeSeconds: 5 * 3600},
		{Verdict: lock.Orphaned, AgeSeconds: 600},
	}}
	if BlockedLong(r) {
		t.Error("a 10-minute orphaned lock (beside a 5 h live one) counts as blocking for hours")
	}
	r.Locks[1].AgeSeconds = 3 * 3600
	if !BlockedLong(r) {
		t.Error("a 3 h orphaned lock does not count as blocking for hours")
	}
}
