// Package metrics exposes what the service knows to Prometheus: each
// repository's state, its locks by verdict, its checks, runs, snapshots and
// the locks removed, on an opt-in /metrics listener (metrics_listen) or in
// a file for node_exporter's textfile collector (textfile_path).
//
// Every host runs its own lockwatch, because only it knows its own
// processes; Prometheus's instance label tells the hosts apart, and the
// fleet view is Prometheus's. Labels carry the repository's configured
// name, never its location (which may hold credentials).
package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
)

// States and verdicts are listed in full, each series 0 or 1 (or a count),
// so that an alert on one never sees a series vanish and come back.
var (
	states   = []check.State{check.StateOK, check.StateBusy, check.StateStale, check.StateFailed, check.StateError}
	verdicts = []lock.Verdict{lock.Live, lock.Fresh, lock.Orphaned, lock.Expired, lock.Unrefreshed, lock.Invalid}
	kinds    = []string{"exclusive", "shared"}
)

// Metrics is the service's registry: the counters and the histogram the
// daemon feeds as things happen, and the gauges read from its status at
// each scrape.
type Metrics struct {
	// textfile serialises textfile writes: of two checks ending together,
	// the one gathered last must be the one renamed last.
	textfile      sync.Mutex
	reg           *prometheus.Registry
	checkDuration prometheus.Histogram
	checkErrors   *prometheus.CounterVec
	removals      *prometheus.CounterVec
}

// Source is what the gauges are read from at every scrape (and textfile
// write); both must be cheap and safe to call from any goroutine.
type Source struct {
	Status func() check.Status
	// MaxSnapshotAge is each repository's max_snapshot_age (0 when not
	// set), so that an alert rule can compare the newest snapshot with it.
	MaxSnapshotAge func(repo string) time.Duration
}

// New makes the registry.
func New(version string, src Source) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		checkDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lockwatch_check_duration_seconds",
			Help: "How long checks of a repository took (listing and reading its locks, auto-unlock included).",
			// From a local repository (milliseconds) to a slow cloud backend at the timeout.
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 360},
		}),
		checkErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockwatch_check_errors_total",
			Help: "Checks that could not read the repository.",
		}, []string{"repo"}),
		removals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockwatch_lock_removals_total",
			Help: "Locks lockwatch removed, by the verdict they had and who asked (auto, tray, cli, notification, run, api).",
		}, []string{"repo", "verdict", "by"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "lockwatch_build_info",
		Help:        "The lockwatch build serving these metrics; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	m.reg.MustRegister(m.checkDuration, m.checkErrors, m.removals, build, &statusCollector{src: src})
	return m
}

// ObserveCheck counts one finished check of repo.
func (m *Metrics) ObserveCheck(repo string, took time.Duration, failed bool) {
	m.checkDuration.Observe(took.Seconds())
	c := m.checkErrors.WithLabelValues(repo)
	if failed {
		c.Inc()
	}
}

// removers are the values of the removals' by label; anything else a
// caller of the local API says is counted as "other", so that no client
// can make series without end.
var removers = []string{"auto", "tray", "cli", "notification", "run", "api"}

// ObserveRemoval counts one lock removed from repo.
func (m *Metrics) ObserveRemoval(repo string, verdict lock.Verdict, by string) {
	if !slices.Contains(removers, by) {
		by = "other"
	}
	m.removals.WithLabelValues(repo, string(verdict), by).Inc()
}

// Forget drops the counters of a repository no longer configured.
func (m *Metrics) Forget(repo string) {
	m.checkErrors.DeletePartialMatch(prometheus.Labels{"repo": repo})
	m.removals.DeletePartialMatch(prometheus.Labels{"repo": repo})
}

// Handler serves the metrics in Prometheus's formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Text is the metrics in Prometheus's text format.
func (m *Metrics) Text() ([]byte, error) {
	families, err := m.reg.Gather()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// WriteTextfile replaces path with the metrics, atomically (node_exporter
// reads the file at any moment and must never see half of it); the name
// must end in .prom for node_exporter to read it.
func (m *Metrics) WriteTextfile(path string) error {
	m.textfile.Lock()
	defer m.textfile.Unlock()
	data, err := m.Text()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	// node_exporter runs as another user: a directory made here must let it in.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing metrics to %s: %w", path, err)
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("writing metrics to %s: %w", path, err)
	}
	return nil
}

// Serve answers /metrics on addr until ctx ends; nothing else is served
// there. An address another machine can reach is allowed (Prometheus
// usually scrapes from elsewhere) but logged, as anyone who reaches it
// learns the repositories' names and states.
func (m *Metrics) Serve(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics_listen %q: %w", addr, err)
	}
	if !isLoopback(ln.Addr()) {
		log.Warn("metrics are served beyond this machine: anyone who reaches the address sees the repositories' names and states", "metrics_listen", addr)
	}
	log.Info("metrics listening", "address", ln.Addr().String())
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// statusCollector makes the gauges from the daemon's status at each scrape.
type statusCollector struct {
	src Source
}

var (
	repoState       = prometheus.NewDesc("lockwatch_repo_state", "The repository's state: 1 for the current one, 0 for the others.", []string{"repo", "state"}, nil)
	repoUp          = prometheus.NewDesc("lockwatch_repo_up", "1 if the last check read the repository, 0 if it could not.", []string{"repo"}, nil)
	locks           = prometheus.NewDesc("lockwatch_locks", "The repository's locks at the last check, by verdict and kind.", []string{"repo", "verdict", "kind"}, nil)
	oldestStale     = prometheus.NewDesc("lockwatch_oldest_stale_lock_age_seconds", "Age of the oldest lock that needs attention (orphaned, expired, unrefreshed, invalid); 0 if none.", []string{"repo"}, nil)
	lastCheck       = prometheus.NewDesc("lockwatch_last_check_timestamp_seconds", "When the repository was last checked.", []string{"repo"}, nil)
	lastRun         = prometheus.NewDesc("lockwatch_last_run_timestamp_seconds", "When the last recorded backup run ended, by its result (ok, failed, skipped, locked).", []string{"repo", "result"}, nil)
	newestSnapshot  = prometheus.NewDesc("lockwatch_newest_snapshot_timestamp_seconds", "When the newest snapshot that max_snapshot_age looks at was taken.", []string{"repo"}, nil)
	maxSnapshotAge  = prometheus.NewDesc("lockwatch_max_snapshot_age_seconds", "The repository's max_snapshot_age: how old its newest snapshot may be.", []string{"repo"}, nil)
	statusCollected = []*prometheus.Desc{repoState, repoUp, locks, oldestStale, lastCheck, lastRun, newestSnapshot, maxSnapshotAge}
)

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range statusCollected {
		ch <- d
	}
}

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, r := range c.src.Status().Repos {
		if r.CheckedAt.IsZero() {
			continue // not checked yet: nothing is known, and 0 would say "ok: no"
		}
		for _, s := range states {
			gauge(repoState, boolean(r.State == s), r.Name, string(s))
		}
		gauge(repoUp, boolean(r.State != check.StateError), r.Name)
		gauge(lastCheck, seconds(r.CheckedAt), r.Name)

		count := map[[2]string]int{}
		var oldest time.Duration
		for _, l := range r.Locks {
			kind := l.Kind()
			if l.Verdict == lock.Invalid {
				kind = "" // an invalid lock has no kind: counted under each, it would be counted twice
			}
			count[[2]string{string(l.Verdict), kind}]++
			if l.Verdict.NeedsAttention() && !l.Time.IsZero() && now.Sub(l.Time) > oldest {
				oldest = now.Sub(l.Time)
			}
		}
		for _, v := range verdicts {
			if v == lock.Invalid {
				gauge(locks, float64(count[[2]string{string(v), ""}]), r.Name, string(v), "")
				continue
			}
			for _, k := range kinds {
				gauge(locks, float64(count[[2]string{string(v), k}]), r.Name, string(v), k)
			}
		}
		gauge(oldestStale, oldest.Seconds(), r.Name)
		if r.LastRun != nil && !r.LastRun.EndedAt.IsZero() {
			gauge(lastRun, seconds(r.LastRun.EndedAt), r.Name, r.LastRun.Result)
		}
		if !r.LastSnapshotAt.IsZero() {
			gauge(newestSnapshot, seconds(r.LastSnapshotAt), r.Name)
		}
		if c.src.MaxSnapshotAge != nil {
			if max := c.src.MaxSnapshotAge(r.Name); max > 0 {
				gauge(maxSnapshotAge, max.Seconds(), r.Name)
			}
		}
	}
}

func boolean(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
