package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

// sampleStatus is what a service knows of three repositories: nas with an
// orphaned exclusive lock beside a live shared one, usb fine after a run,
// offsite that could not be read.
func sampleStatus(now time.Time) check.Status {
	return check.Status{Repos: []check.RepoStatus{
		{Name: "nas", State: check.StateStale, CheckedAt: now, Locks: []check.LockStatus{
			{ID: "a1", Time: now.Add(-3 * time.Hour), Exclusive: true, Verdict: lock.Orphaned},
			{ID: "b2", Time: now.Add(-time.Minute), Verdict: lock.Live},
		}},
		{Name: "usb", State: check.StateOK, CheckedAt: now, Locks: []check.LockStatus{},
			LastSnapshotAt: now.Add(-2 * time.Hour),
			LastRun:        &check.RunSummary{EndedAt: now.Add(-2 * time.Hour), Result: "ok"}},
		{Name: "offsite", State: check.StateError, CheckedAt: now, Error: "unreachable"},
		{Name: "new"}, // not checked yet: no series
	}}
}

// scrape parses the text format as Prometheus does.
func scrape(t testing.TB, m *Metrics) (map[string]*model.Sample, []byte) {
	t.Helper()
	text, err := m.Text()
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("the metrics do not parse: %v\n%s", err, text)
	}
	samples := map[string]*model.Sample{}
	vec, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: model.Now()}, familiesOf(families)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range vec {
		samples[s.Metric.String()] = s
	}
	return samples, text
}

func TestMetricsFromStatus(t *testing.T) {
	now := time.Now()
	m := New("1.2.3", Source{Status: func() check.Status { return sampleStatus(now) }, MaxSnapshotAge: func(repo string) time.Duration {
		if repo == "usb" {
			return 26 * time.Hour
		}
		return 0
	}})
	m.ObserveCheck("nas", 120*time.Millisecond, false)
	m.ObserveCheck("offsite", 2*time.Second, true)
	m.ObserveRemoval("nas", lock.Orphaned, "auto")
	m.ObserveRemoval("nas", lock.Orphaned, "auto")
	samples, text := scrape(t, m)

	want := map[string]float64{
		`lockwatch_repo_state{repo="nas", state="stale"}`:                                         1,
		`lockwatch_repo_state{repo="nas", state="ok"}`:                                            0,
		`lockwatch_repo_state{repo="offsite", state="error"}`:                                     1,
		`lockwatch_repo_up{repo="nas"}`:                                                           1,
		`lockwatch_repo_up{repo="offsite"}`:                                                       0,
		`lockwatch_locks{kind="exclusive", repo="nas", verdict="orphaned"}`:                       1,
		`lockwatch_locks{kind="shared", repo="nas", verdict="live"}`:                              1,
		`lockwatch_locks{kind="shared", repo="nas", verdict="orphaned"}`:                          0,
		`lockwatch_locks{kind="exclusive", repo="usb", verdict="orphaned"}`:                       0,
		`lockwatch_check_errors_total{repo="offsite"}`:                                            1,
		`lockwatch_check_errors_total{repo="nas"}`:                                                0,
		`lockwatch_lock_removals_total{by="auto", repo="nas", verdict="orphaned"}`:                2,
		`lockwatch_check_duration_seconds_count`:                                                  2,
		`lockwatch_last_check_timestamp_seconds{repo="usb"}`:                                      seconds(now),
		`lockwatch_last_run_timestamp_seconds{repo="usb", result="ok"}`:                           seconds(now.Add(-2 * time.Hour)),
		`lockwatch_newest_snapshot_timestamp_seconds{repo="usb"}`:                                 seconds(now.Add(-2 * time.Hour)),
		fmt.Sprintf(`lockwatch_build_info{goversion=%q, version="1.2.3"}`, goVersion(t, samples)): 1,
	}
	for series, v := range want {
		s, ok := samples[series]
		if !ok {
			t.Errorf("no series %s in:\n%s", series, text)
			continue
		}
		if diff := float64(s.Value) - v; diff > 0.001 || diff < -0.001 {
			t.Errorf("%s = %v; want %v", series, s.Value, v)
		}
	}
	if age := float64(samples[`lockwatch_oldest_stale_lock_age_seconds{repo="nas"}`].Value); age < 3*3600 || age > 3*3600+60 {
		t.Errorf("the oldest stale lock of nas is %vs old; want 3h", age)
	}
	if samples[`lockwatch_max_snapshot_age_seconds{repo="nas"}`] != nil {
		t.Error("a repository without max_snapshot_age has lockwatch_max_snapshot_age_seconds")
	}
	for series := range samples {
		if strings.Contains(series, `repo="new"`) {
			t.Errorf("a repository not checked yet has a series: %s", series)
		}
	}
	m.Forget("nas")
	if samples, _ := scrape(t, m); samples[`lockwatch_lock_removals_total{by="auto", repo="nas", verdict="orphaned"}`] != nil {
		t.Error("a forgotten repository's counters are still served")
	}
}

func goVersion(t *testing.T, samples map[string]*model.Sample) string {
	for _, s := range samples {
		if s.Metric["__name__"] == "lockwatch_build_info" {
			return string(s.Metric["goversion"])
		}
	}
	t.Fatal("no lockwatch_build_info")
	return ""
}

// promtool, Prometheus's own checker, finds no lint problem in a scrape.
func TestPromtoolChecksMetrics(t *testing.T) {
	promtool := needPromtool(t)
	now := time.Now()
	m := New("dev", Source{Status: func() check.Status { return sampleStatus(now) }})
	m.ObserveCheck("nas", time.Second, false)
	m.ObserveRemoval("nas", lock.Expired, "tray")
	_, text := scrape(t, m)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s\non:\n%s", err, out, text)
	}
}

func needPromtool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (run `make deps`, or apt-get install --no-install-recommends prometheus): %v", err)
	}
	return p
}

// The textfile is replaced whole: a reader that reads it while checks
// rewrite it always gets metrics that parse, never half a file.
func TestTextfileIsReplacedAtomically(t *testing.T) {
	now := time.Now()
	var n atomic.Int64
	m := New("dev", Source{Status: func() check.Status {
		st := sampleStatus(now)
		// A status that grows, so that a torn read would show.
		for i := range n.Load() % 50 {
			st.Repos = append(st.Repos, check.RepoStatus{Name: fmt.Sprintf("repo-%d", i), State: check.StateOK, CheckedAt: now})
		}
		return st
	}})
	path := filepath.Join(t.TempDir(), "lockwatch.prom")
	if err := m.WriteTextfile(path); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var reads atomic.Int64
	readErr := make(chan error, 1)
	go func() {
		defer close(readErr)
		for {
			select {
			case <-done:
				return
			default:
			}
			data, err := os.ReadFile(path)
			if err == nil {
				parser := expfmt.NewTextParser(model.LegacyValidation)
				_, err = parser.TextToMetricFamilies(bytes.NewReader(data))
				if err == nil && !bytes.Contains(data, []byte("lockwatch_build_info")) {
					err = fmt.Errorf("a partial file of %d bytes", len(data))
				}
			}
			if err != nil {
				readErr <- err
				return
			}
			reads.Add(1)
		}
	}()
	for i := range 100 {
		n.Store(int64(i))
		if err := m.WriteTextfile(path); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if err := <-readErr; err != nil {
		t.Fatalf("a reader saw a broken textfile: %v", err)
	}
	if reads.Load() == 0 {
		t.Fatal("the reader never read the file")
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		data, _ := os.ReadFile(path)
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(data)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics on the textfile: %v\n%s", err, out)
		}
	}
}

// The listener serves /metrics and nothing else.
func TestServeOnlyMetrics(t *testing.T) {
	now := time.Now()
	m := New("dev", Source{Status: func() check.Status { return sampleStatus(now) }})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- m.Serve(ctx, addr, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(data)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics did not answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(body, `lockwatch_repo_state{repo="nas",state="stale"} 1`) {
		t.Errorf("/metrics:\n%s", body)
	}
	for _, path := range []string{"/", "/v1/status", "/debug/pprof/"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s answered %d; want 404", path, resp.StatusCode)
		}
	}
}

func familiesOf(m map[string]*dto.MetricFamily) []*dto.MetricFamily {
	out := make([]*dto.MetricFamily, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	return out
}

// The alert rules people copy: promtool checks them, and its unit test
// drives every alert from quiet to firing to resolved.
func TestAlertRules(t *testing.T) {
	promtool := needPromtool(t)
	dir := filepath.Join("..", "..", "docs", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "lockwatch.rules.yml"},
		{"test", "rules", "lockwatch.rules.test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// Every alert the rules define is tested.
	rules, _ := os.ReadFile(filepath.Join(dir, "lockwatch.rules.yml"))
	tests, _ := os.ReadFile(filepath.Join(dir, "lockwatch.rules.test.yml"))
	for _, line := range strings.Split(string(rules), "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "- alert: "); ok && !strings.Contains(string(tests), "alertname: "+name) {
			t.Errorf("alert %s has no test in lockwatch.rules.test.yml", name)
		}
	}
}
