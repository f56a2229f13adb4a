package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sub", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func seqs(evs []Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

func TestOpenCreatesDirAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		t.Errorf("directory mode %v, want 0700", perm)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	// Open does not keep the file open: bbolt can take its lock at once.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("file still locked after Open: %v", err)
	}
	db.Close()

	if _, err := Open(""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
	// A file that is no database is moved aside (see
	// TestCorruptFileIsMovedAside); the note names it and what was wrong.
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, []byte(strings.Repeat("not a bbolt file\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(bad); err != nil || !strings.Contains(s.Reset(), "state store "+bad+": ") {
		t.Errorf("Open(garbage) = %v; reset note %q, want one naming the file", err, s.Reset())
	}
}

func TestAppendHistory(t *testing.T) {
	s := openTemp(t)
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var in []Event
	for i := range 10 {
		repo := "a"
		if i%2 == 1 {
			repo = "b"
		}
		kind := KindRemoval
		if i%3 == 0 {
			kind = KindState
		}
		in = append(in, Event{Time: base.Add(time.Duration(i) * time.Minute), Repo: repo, Kind: kind, Detail: strconv.Itoa(i)})
	}
	in[4].Lock = &LockRecord{ID: "abc", Time: base, Hostname: "h", Username: "u", PID: 42, UID: 1000, Exclusive: true}
	in[5].Run = json.RawMessage(`{"exit":1}`)
	in[6].Time = time.Time{} // defaults to now

	before := time.Now()
	out, err := s.Append(in[:4]...)
	if err != nil {
		t.Fatal(err)
	}
	out2, err := s.Append(in[4:]...)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, out2...)
	for i, ev := range out {
		if ev.Seq != uint64(i+1) {
			t.Errorf("event %d: Seq %d, want %d", i, ev.Seq, i+1)
		}
	}
	if out[6].Time.Before(before) || out[6].Time.After(time.Now()) {
		t.Errorf("zero Time not defaulted to now: %v", out[6].Time)
	}

	all, err := s.History(Query{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(seqs(all)), "[10 9 8 7 6 5 4 3 2 1]"; got != want {
		t.Fatalf("History seqs %s, want %s", got, want)
	}
	// Round trip.
	if got := all[len(all)-5]; got.Lock == nil || *got.Lock != *in[4].Lock || got.Detail != "4" || !got.Time.Equal(in[4].Time) {
		t.Errorf("event 5 came back as %+v (lock %+v)", got, got.Lock)
	}
	if got := all[len(all)-6]; string(got.Run) != `{"exit":1}` {
		t.Errorf("Run came back as %s", got.Run)
	}
	if !all[len(all)-7].Time.Equal(out[6].Time) {
		t.Errorf("defaulted time stored as %v, returned as %v", all[len(all)-7].Time, out[6].Time)
	}

	for _, tc := range []struct {
		q    Query
		want string
	}{
		{Query{Repo: "a"}, "[9 7 5 3 1]"},
		{Query{Repo: "b"}, "[10 8 6 4 2]"},
		{Query{Kinds: []string{KindState}}, "[10 7 4 1]"},
		{Query{Kinds: []string{KindState, KindRemoval}, Repo: "b"}, "[10 8 6 4 2]"},
		{Query{Repo: "a", Kinds: []string{KindState}}, "[7 1]"},
		{Query{Kinds: []string{KindRun}}, "[]"},
		{Query{Repo: "nope"}, "[]"},
		{Query{Limit: 3}, "[10 9 8]"},
		{Query{Limit: 2, Repo: "a"}, "[9 7]"},
		{Query{Limit: -1}, "[10 9 8 7 6 5 4 3 2 1]"},
		{Query{AfterSeq: 7}, "[10 9 8]"},
		{Query{AfterSeq: 4, Repo: "a"}, "[9 7 5]"},
		{Query{AfterSeq: 4, Limit: 2}, "[10 9]"},
		{Query{AfterSeq: 10}, "[]"},
	} {
		got, err := s.History(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(seqs(got)); s != tc.want {
			t.Errorf("History(%+v) = %s, want %s", tc.q, s, tc.want)
		}
	}

	// Default limit is 100.
	many := make([]Event, 150)
	for i := range many {
		many[i] = Event{Repo: "c", Kind: KindRun}
	}
	if _, err := s.Append(many...); err != nil {
		t.Fatal(err)
	}
	got, err := s.History(Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 || got[0].Seq != 160 {
		t.Errorf("History(default) returned %d events, first %d; want 100, first 160", len(got), got[0].Seq)
	}

	if _, err := s.Append(Event{Repo: "a"}); err == nil {
		t.Error("Append of an event without Kind succeeded")
	}
	if out, err := s.Append(); err != nil || len(out) != 0 {
		t.Errorf("Append() = %v, %v", out, err)
	}
}

func TestHistorySkipsCorruptRecords(t *testing.T) {
	s := openTemp(t)
	if _, err := s.Append(Event{Repo: "a", Kind: KindState}, Event{Repo: "a", Kind: KindState}); err != nil {
		t.Fatal(err)
	}
	// Damage records behind the store's back.
	db, err := bbolt.Open(s.Path(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if err := b.Put(seqKey(1), []byte("{not json")); err != nil {
			return err
		}
		if err := b.Put([]byte("short"), []byte(`{"kind":"state"}`)); err != nil {
			return err
		}
		if _, err := b.CreateBucket(seqKey(99)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketRepos).Put([]byte("x"), []byte("garbage")); err != nil {
			return err
		}
		return tx.Bucket(bucketRepos).Put([]byte("y"), []byte(`{"state":"ok"}`))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.History(Query{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(got)) != "[2]" {
		t.Errorf("History = %v, want only seq 2", seqs(got))
	}
	if s.Skipped() != 3 {
		t.Errorf("Skipped() = %d, want 3", s.Skipped())
	}
	states, err := s.RepoStates()
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states["y"].State != "ok" {
		t.Errorf("RepoStates = %v", states)
	}
	// A corrupt state is treated as none: the next set is a transition.
	ev, err := s.SetRepoState("x", RepoState{State: "ok"})
	if err != nil || ev == nil || ev.From != "" {
		t.Errorf("SetRepoState over garbage = %+v, %v", ev, err)
	}
	// Prune leaves undecodable records alone and still works.
	if n, err := s.Prune(0, 0); err != nil || n != 2 {
		t.Errorf("Prune = %d, %v; want 2 deleted", n, err)
	}
	// Appending goes on after the highest sequence.
	out, err := s.Append(Event{Repo: "a", Kind: KindState})
	if err != nil || out[0].Seq <= 3 {
		t.Errorf("Append after damage = %v, %v", out, err)
	}
}

func TestPrune(t *testing.T) {
	s := openTemp(t)
	now := time.Now()
	old := now.Add(-48 * time.Hour)
	var evs []Event
	add := func(repo string, t time.Time, n int) {
		for range n {
			evs = append(evs, Event{Repo: repo, Kind: KindState, Time: t})
		}
	}
	add("a", old, 5) // seq 1-5: all old; newest 3 kept anyway
	add("b", old, 2) // seq 6-7: old, pushed out by b's newer ones
	add("b", now, 3) // seq 8-10
	add("c", now, 5) // seq 11-15: recent, kept though more than 3
	add("", old, 4)  // seq 16-19: no repository counts as one too
	if _, err := s.Append(evs...); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(24*time.Hour, 3)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("Prune deleted %d, want 5", n)
	}
	got, err := s.History(Query{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(seqs(got)), "[19 18 17 15 14 13 12 11 10 9 8 5 4 3]"; got != want {
		t.Errorf("after Prune: %s, want %s", got, want)
	}
	// Nothing more to do.
	if n, err := s.Prune(24*time.Hour, 3); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v", n, err)
	}
	// keepAtLeast 0 and keep 0: everything goes.
	if n, err := s.Prune(0, 0); err != nil || n != 14 {
		t.Errorf("Prune(0, 0) = %d, %v; want 14", n, err)
	}
	// Sequences are never reused.
	out, err := s.Append(Event{Repo: "a", Kind: KindState})
	if err != nil || out[0].Seq != 20 {
		t.Errorf("Append after Prune = %v, %v; want seq 20", out, err)
	}
}

func TestObserve(t *testing.T) {
	s := openTemp(t)
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)

	check := func(got map[string]time.Time, want map[string]time.Time) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("got %v, want %v", got, want)
			return
		}
		for id, w := range want {
			if !got[id].Equal(w) {
				t.Errorf("%s first seen %v, want %v", id, got[id], w)
			}
		}
	}
	got, err := s.Observe("r", []string{"a", "b"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	check(got, map[string]time.Time{"a": t0, "b": t0})
	got, err = s.Observe("r", []string{"a", "b", "c", "c"}, t1)
	if err != nil {
		t.Fatal(err)
	}
	check(got, map[string]time.Time{"a": t0, "b": t0, "c": t1})
	// Another repository is separate.
	got, err = s.Observe("other", []string{"a"}, t2)
	if err != nil {
		t.Fatal(err)
	}
	check(got, map[string]time.Time{"a": t2})

	// A new Store value on the same file (a restarted service) remembers.
	s2, err := Open(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	got, err = s2.Observe("r", []string{"a", "c"}, t2)
	if err != nil {
		t.Fatal(err)
	}
	check(got, map[string]time.Time{"a": t0, "c": t1})
	// b disappeared in between, so it is new when it comes back.
	got, err = s2.Observe("r", []string{"b", "c"}, t3)
	if err != nil {
		t.Fatal(err)
	}
	check(got, map[string]time.Time{"b": t3, "c": t1})
	// No locks: all forgotten.
	got, err = s2.Observe("r", nil, t3)
	if err != nil {
		t.Fatal(err)
	}
	check(got, map[string]time.Time{})
	got, err = s2.Observe("r", []string{"c"}, t3.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	check(got, map[string]time.Time{"c": t3.Add(time.Minute)})
	// "other" was not touched.
	got, err = s2.Observe("other", []string{"a"}, t3)
	if err != nil {
		t.Fatal(err)
	}
	check(got, map[string]time.Time{"a": t2})

	if err := s2.ForgetRepo("other"); err != nil {
		t.Fatal(err)
	}
	got, err = s2.Observe("other", []string{"a"}, t3)
	if err != nil {
		t.Fatal(err)
	}
	check(got, map[string]time.Time{"a": t3})

	if _, err := s.Observe("", []string{"a"}, t0); err == nil {
		t.Error("Observe with no repository succeeded")
	}
}

func TestSetRepoState(t *testing.T) {
	s := openTemp(t)
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

	ev, err := s.SetRepoState("r", RepoState{State: "ok", CheckedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if ev == nil || ev.Kind != KindState || ev.Repo != "r" || ev.From != "" || ev.To != "ok" || ev.Seq == 0 || !ev.Time.Equal(t0) {
		t.Fatalf("first SetRepoState event = %+v", ev)
	}
	ev, err = s.SetRepoState("r", RepoState{State: "ok", CheckedAt: t0.Add(time.Minute)})
	if err != nil || ev != nil {
		t.Fatalf("unchanged SetRepoState = %+v, %v; want nil, nil", ev, err)
	}
	states, err := s.RepoStates()
	if err != nil {
		t.Fatal(err)
	}
	if st := states["r"]; !st.Since.Equal(t0) || !st.CheckedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("state after unchanged set = %+v; want Since kept at %v", st, t0)
	}
	t1 := t0.Add(2 * time.Minute)
	ev, err = s.SetRepoState("r", RepoState{State: "stale", Since: t1, Detail: "1 stale lock", CheckedAt: t1})
	if err != nil {
		t.Fatal(err)
	}
	if ev == nil || ev.From != "ok" || ev.To != "stale" || ev.Detail != "1 stale lock" || !ev.Time.Equal(t1) {
		t.Fatalf("transition event = %+v", ev)
	}
	if _, err := s.SetRepoState("q", RepoState{State: "error", Detail: "boom"}); err != nil {
		t.Fatal(err)
	}

	// A restarted service sees the same states and no spurious transitions.
	s2, err := Open(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	states, err = s2.RepoStates()
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || states["r"].State != "stale" || states["r"].Detail != "1 stale lock" || !states["r"].Since.Equal(t1) || states["q"].State != "error" || states["q"].Since.IsZero() {
		t.Errorf("RepoStates after reopen = %+v", states)
	}
	ev, err = s2.SetRepoState("r", RepoState{State: "stale", Detail: "2 stale locks"})
	if err != nil || ev != nil {
		t.Errorf("unchanged after reopen = %+v, %v", ev, err)
	}
	hist, err := s2.History(Query{Repo: "r", Kinds: []string{KindState}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].To != "stale" || hist[1].To != "ok" {
		t.Errorf("state history = %+v", hist)
	}

	// ForgetRepo drops state and observations, not history.
	if _, err := s2.Observe("r", []string{"x"}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s2.ForgetRepo("r"); err != nil {
		t.Fatal(err)
	}
	if err := s2.ForgetRepo("never-seen"); err != nil {
		t.Fatal(err)
	}
	states, err = s2.RepoStates()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := states["r"]; ok || len(states) != 1 {
		t.Errorf("RepoStates after ForgetRepo = %v", states)
	}
	seen, err := s2.Observe("r", []string{"x"}, t1)
	if err != nil || !seen["x"].Equal(t1) {
		t.Errorf("observation survived ForgetRepo: %v, %v", seen, err)
	}
	hist, err = s2.History(Query{Repo: "r"})
	if err != nil || len(hist) != 2 {
		t.Errorf("history after ForgetRepo = %d events, %v; want 2", len(hist), err)
	}
	// After ForgetRepo the next state is a transition from nothing again.
	ev, err = s2.SetRepoState("r", RepoState{State: "ok"})
	if err != nil || ev == nil || ev.From != "" {
		t.Errorf("SetRepoState after ForgetRepo = %+v, %v", ev, err)
	}
}

func TestBusy(t *testing.T) {
	s := openTemp(t)
	s.timeout = 300 * time.Millisecond
	// Another process (here: a bbolt handle of our own) holds the file.
	db, err := bbolt.Open(s.Path(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Append(Event{Repo: "a", Kind: KindState})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("Append while held: %v, want ErrBusy", err)
	}
	want := "state store " + s.Path() + " is busy (another lockwatch process holds it)"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if _, err := s.History(Query{}); !errors.Is(err, ErrBusy) {
		t.Errorf("History while held read-write: %v, want ErrBusy", err)
	}
	db.Close()
	if _, err := s.Append(Event{Repo: "a", Kind: KindState}); err != nil {
		t.Errorf("Append after release: %v", err)
	}

	// Readers share: a read-only holder does not block History.
	ro, err := bbolt.Open(s.Path(), 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := s.History(Query{}); err != nil {
		t.Errorf("History beside a reader: %v", err)
	}
}

func TestFileRemovedAfterOpen(t *testing.T) {
	s := openTemp(t)
	if err := os.Remove(s.Path()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.History(Query{}); err != nil || len(got) != 0 {
		t.Errorf("History of a removed file = %v, %v", got, err)
	}
	if st, err := s.RepoStates(); err != nil || len(st) != 0 {
		t.Errorf("RepoStates of a removed file = %v, %v", st, err)
	}
	if err := os.Remove(s.Path()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(Event{Repo: "a", Kind: KindState}); err != nil {
		t.Errorf("Append to a removed file: %v", err)
	}
	if _, err := s.Observe("a", []string{"x"}, time.Now()); err != nil {
		t.Errorf("Observe: %v", err)
	}
}

func checkAll(t *testing.T, path string, want int) []Event {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.History(Query{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != want {
		t.Errorf("%d events, want %d", len(got), want)
	}
	seen := map[uint64]bool{}
	for i, ev := range got {
		if seen[ev.Seq] {
			t.Errorf("seq %d twice", ev.Seq)
		}
		seen[ev.Seq] = true
		if i > 0 && ev.Seq >= got[i-1].Seq {
			t.Errorf("not newest first at %d: %d after %d", i, ev.Seq, got[i-1].Seq)
		}
	}
	if s.Skipped() != 0 {
		t.Errorf("%d records skipped", s.Skipped())
	}
	return got
}

func TestConcurrentStores(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	var wg sync.WaitGroup
	for w := range 2 {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range 200 {
				if _, err := s.Append(Event{Repo: fmt.Sprint("w", w), Kind: KindRun, Detail: strconv.Itoa(i)}); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					if _, err := s.History(Query{Limit: 10}); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	got := checkAll(t, path, 400)
	// Each writer's events are in its own order.
	last := map[string]int{}
	for i := len(got) - 1; i >= 0; i-- {
		n, _ := strconv.Atoi(got[i].Detail)
		if p, ok := last[got[i].Repo]; ok && n != p+1 {
			t.Errorf("%s: %d after %d", got[i].Repo, n, p)
		}
		last[got[i].Repo] = n
	}
}

// Helper-process protocol: TestHelperWriter runs only when helperEnv names a
// database. It appends events (countEnv of them, or until killed) and writes
// "ack <seq>" to stdout after each Append has returned.
const (
	helperEnv = "LOCKWATCH_STORE_TEST_DB"
	countEnv  = "LOCKWATCH_STORE_TEST_COUNT"
	repoEnv   = "LOCKWATCH_STORE_TEST_REPO"
)

func TestHelperWriter(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestCrashSafety and TestConcurrentProcesses")
	}
	count, _ := strconv.Atoi(os.Getenv(countEnv))
	repo := os.Getenv(repoEnv)
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lock := &LockRecord{ID: strings.Repeat("ab", 32), Time: time.Now(), Hostname: "host", Username: "user", PID: os.Getpid()}
	for i := 0; count == 0 || i < count; i++ {
		evs := []Event{{Repo: repo, Kind: KindRemoval, Lock: lock, Verdict: "orphaned", By: "cli", Method: "deleted lock files",
			Reason: strings.Repeat("padding so that pages split and the tree grows ", 1+i%5)}}
		if i%7 == 0 { // a batch now and then: several records in one transaction
			evs = append(evs, evs[0], evs[0])
		}
		out, err := s.Append(evs...)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var b strings.Builder
		for _, ev := range out {
			fmt.Fprintf(&b, "ack %d\n", ev.Seq)
		}
		if _, err := os.Stdout.WriteString(b.String()); err != nil {
			os.Exit(3)
		}
	}
	os.Exit(0) // no test summary on stdout
}

// helper starts a writer. Its acknowledged seqs arrive on the channel once
// it has ended; the counter counts them as they come.
func helper(t *testing.T, path, repo string, count int) (*exec.Cmd, <-chan []uint64, *atomic.Int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path, countEnv+"="+strconv.Itoa(count), repoEnv+"="+repo)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acks := make(chan []uint64, 1)
	acked := new(atomic.Int64)
	go func() {
		var got []uint64
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				if seq, err := strconv.ParseUint(n, 10, 64); err == nil {
					got = append(got, seq)
					acked.Add(1)
				}
			}
		}
		acks <- got
	}()
	return cmd, acks, acked
}

func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	var cmds []*exec.Cmd
	var ackChans []<-chan []uint64
	for _, repo := range []string{"p1", "p2"} {
		cmd, acks, _ := helper(t, path, repo, 200)
		cmds = append(cmds, cmd)
		ackChans = append(ackChans, acks)
	}
	total := 0
	for i, cmd := range cmds {
		acks := <-ackChans[i]
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
		total += len(acks)
	}
	// 200 Appends each, every 7th with 3 events.
	if want := 2 * (200 + 2*29); total != want {
		t.Errorf("%d acknowledged, want %d", total, want)
	}
	checkAll(t, path, total)
}

// TestCrashSafety kills a writer process with SIGKILL (TerminateProcess on
// Windows) while it appends as fast as it can, five times on the same file.
// Every event the writer saw acknowledged must be there afterwards, and the
// file must pass bbolt's consistency check.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	acked := map[uint64]bool{}
	var lastSeq uint64
	for round := range 5 {
		cmd, acks, progress := helper(t, path, "crash", 0)
		// Kill it in the thick of its work, at a point that differs from
		// round to round: once it has acknowledged a random number of
		// appends (about a second's worth here), however long that takes.
		target := 500 + rand.Int64N(1500)
		for deadline := time.Now().Add(2 * time.Minute); progress.Load() < target; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the writer acknowledged only %d appends in 2m", round, progress.Load())
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		got := <-acks
		_ = cmd.Wait() // "signal: killed"
		if len(got) == 0 {
			t.Fatalf("round %d: the writer acknowledged nothing", round)
		}
		for _, seq := range got {
			if seq <= lastSeq {
				t.Errorf("round %d: seq %d reused (previous round ended at %d)", round, seq, lastSeq)
			}
			acked[seq] = true
		}
		lastSeq = got[len(got)-1]

		// The file is consistent.
		db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
		if err != nil {
			t.Fatalf("round %d: bbolt.Open after kill: %v", round, err)
		}
		err = db.View(func(tx *bbolt.Tx) error {
			for err := range tx.Check() {
				return err
			}
			return nil
		})
		db.Close()
		if err != nil {
			t.Fatalf("round %d: consistency check: %v", round, err)
		}

		s, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: Open after kill: %v", round, err)
		}
		hist, err := s.History(Query{Limit: -1})
		if err != nil {
			t.Fatalf("round %d: History after kill: %v", round, err)
		}
		have := map[uint64]bool{}
		for _, ev := range hist {
			have[ev.Seq] = true
			if ev.Lock == nil || ev.Kind != KindRemoval {
				t.Errorf("round %d: seq %d damaged: %+v", round, ev.Seq, ev)
			}
		}
		missing := 0
		for seq := range acked {
			if !have[seq] {
				missing++
			}
		}
		if missing > 0 || s.Skipped() > 0 {
			t.Fatalf("round %d: %d acknowledged events missing, %d records skipped", round, missing, s.Skipped())
		}
		t.Logf("round %d: %d acknowledged (%d in store, up to %d unacknowledged)", round, len(got), len(hist), len(hist)-len(acked))
	}
}

func BenchmarkAppend(b *testing.B) {
	s := openTemp(b)
	ev := Event{Repo: "bench", Kind: KindRemoval, Lock: &LockRecord{ID: strings.Repeat("ab", 32), Hostname: "h", Username: "u", PID: 1}, Verdict: "orphaned", By: "auto", Method: "deleted lock files"}
	for b.Loop() {
		if _, err := s.Append(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHistory(b *testing.B) {
	s := openTemp(b)
	evs := make([]Event, 5000)
	for i := range evs {
		evs[i] = Event{Repo: fmt.Sprint("repo", i%5), Kind: KindState, From: "ok", To: "busy", Detail: "1 fresh lock"}
	}
	if _, err := s.Append(evs...); err != nil {
		b.Fatal(err)
	}
	for _, q := range []Query{{}, {Repo: "repo3", Kinds: []string{KindRemoval}}} {
		name := "newest100"
		if q.Repo != "" {
			name = "scan-all-no-match"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.History(q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A state file bbolt cannot open stops no monitoring: it is moved aside,
// the store starts empty and says so once.
func TestCorruptFileIsMovedAside(t *testing.T) {
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	for name, content := range map[string][]byte{
		"random":    random,
		"truncated": nil, // filled below from a real database
		"zero":      {},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.db")
			if name == "truncated" {
				good, err := Open(path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := good.SetRepoState("nas", RepoState{State: "ok"}); err != nil {
					t.Fatal(err)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				content = data[:len(data)/3]
			}
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if _, err := s.SetRepoState("nas", RepoState{State: "stale"}); err != nil {
				t.Fatalf("the store does not work after Open: %v", err)
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if name == "zero" {
				// bbolt makes a new database of an empty file: nothing lost.
				if len(aside) != 0 || s.Reset() != "" {
					t.Errorf("an empty file was moved aside: %v, %q", aside, s.Reset())
				}
				return
			}
			if len(aside) != 1 || !strings.Contains(s.Reset(), aside[0]) || !strings.Contains(s.Reset(), "history starts anew") {
				t.Fatalf("moved aside: %v; reset note %q", aside, s.Reset())
			}
			if kept, err := os.ReadFile(aside[0]); err != nil || !bytes.Equal(kept, content) {
				t.Errorf("the bad file was not kept as it was: %v", err)
			}
			if again, err := Open(path); err != nil || again.Reset() != "" {
				t.Errorf("a second Open: %v, %q", err, again.Reset())
			}
		})
	}
}
