package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

// BenchmarkScrape100Repos is one Prometheus scrape of a service watching
// 100 repositories, each with two locks, a run and a snapshot, and with
// counters for each: the time and allocations of GET /metrics.
func BenchmarkScrape100Repos(b *testing.B) {
	now := time.Now()
	st := check.Status{}
	m := New("dev", Source{Status: func() check.Status { return st }, MaxSnapshotAge: func(string) time.Duration { return 26 * time.Hour }})
	for i := range 100 {
		name := fmt.Sprintf("repo-%03d", i)
		st.Repos = append(st.Repos, check.RepoStatus{Name: name, State: check.StateStale, CheckedAt: now,
			Locks: []check.LockStatus{
				{ID: "a", Time: now.Add(-time.Hour), Exclusive: true, Verdict: lock.Orphaned},
				{ID: "b", Time: now, Verdict: lock.Live},
			},
			LastSnapshotAt: now.Add(-time.Hour),
			LastRun:        &check.RunSummary{EndedAt: now.Add(-time.Hour), Result: "ok"}})
		m.ObserveCheck(name, time.Second, i%10 == 0)
		m.ObserveRemoval(name, lock.Orphaned, "auto")
	}
	h := m.Handler()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("scrape: %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}
