// Package daemon is the background service: it checks every configured
// repository on its own schedule, removes stale locks where the user turned
// auto-unlock on, records what happened, and tells subscribers.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lockwatch/lockwatch/platform/paths"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/metrics"
	"github.com/lockwatch/lockwatch/service/store"
)

// Event is what subscribers hear: a repository checked, its state changed,
// a lock removed, or a problem with the config.
type Event struct {
	Type    string            `json:"type"` // EventRepo, EventHistory, EventConfig
	Repo    string            `json:"repo,omitempty"`
	Status  *check.RepoStatus `json:"status,omitempty"`  // EventRepo
	Entry   *store.Event      `json:"entry,omitempty"`   // EventHistory: a state change or removal
	Message string            `json:"message,omitempty"` // EventConfig
}

const (
	EventRepo    = "repo"
	EventHistory = "history"
	EventConfig  = "config"
)

// Options configure a Daemon.
type Options struct {
	ConfigPath string
	Store      *store.Store
	Log        *slog.Logger
	// MaxConcurrent bounds simultaneous checks: each restic call derives
	// the repository key with scrypt, which is heavy on a laptop.
	MaxConcurrent int
}

// Version is lockwatch's, for the metrics' lockwatch_build_info; main sets it.
var Version = "dev"

// Daemon runs the checks. Create it with New, then call Run.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	store   *store.Store
	started time.Time
	sem     chan struct{}
	wake    chan struct{}
	rest    time.Duration // the scheduler's longest sleep: restPolling or restWatched
	// removing serialises removals per repository (name → *sync.Mutex), so
	// an auto-unlock and a click never both remove, and record, one lock.
	removing sync.Map
	// rechecks are the checks started after an unlock or a run, which
	// outlive the call that asked for them.
	rechecks sync.WaitGroup
	// editing is held by every change of the config file (auto-unlock,
	// settings): each reads the file, changes it and writes it back, and
	// two at once would lose one. The daemon is the file's one writer.
	editing sync.Mutex

	mu      sync.Mutex
	cfg     *config.Config
	cfgStat fileStamp
	checker *check.Checker
	repos   map[string]*slot
	states  map[string]store.RepoState // last state written to the store
	seen    map[string][]string        // lock IDs last observed, to skip needless store writes
	seenAt  map[string]map[string]time.Time
	subs    map[chan Event]struct{}
	// watcher re-checks a repository as soon as something changes there;
	// nil unless Run is running (a CLI's one-off check watches nothing).
	watcher *watcher
	// metrics counts checks and removals for Prometheus (metrics_listen,
	// textfile_path); cheap enough to keep when neither is set.
	metrics *metrics.Metrics
	// serving is true while Run runs: only then is the textfile written.
	serving bool
}

// slot is the scheduler's view of one repository.
type slot struct {
	status   check.RepoStatus
	next     time.Time
	failures int
	running  bool
	again    bool // a watch asked for a check while one ran: check once more
}

// New loads the config and the stored state.
func New(opts Options) (*Daemon, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 4
	}
	d := &Daemon{
		opts: opts, log: opts.Log, store: opts.Store, started: time.Now(),
		sem: make(chan struct{}, opts.MaxConcurrent), wake: make(chan struct{}, 1), rest: restPolling,
		repos: map[string]*slot{}, seen: map[string][]string{}, seenAt: map[string]map[string]time.Time{},
		subs: map[chan Event]struct{}{},
	}
	d.metrics = metrics.New(Version, metrics.Source{Status: d.Status, MaxSnapshotAge: d.maxSnapshotAge})
	cfg, err := config.Load(opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	if d.states, err = d.store.RepoStates(); err != nil {
		return nil, err
	}
	if reset := d.store.Reset(); reset != "" {
		d.log.Warn("state store reset", "why", reset)
	}
	d.setConfig(cfg, stampOf(opts.ConfigPath))
	return d, nil
}

// StartedAt is when the daemon was created.
func (d *Daemon) StartedAt() time.Time { return d.started }

// setConfig switches to cfg; every repository is due at once.
func (d *Daemon) setConfig(cfg *config.Config, stamp fileStamp) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cfg, d.cfgStat = cfg, stamp
	checker := check.NewChecker(cfg)
	checker.Observe = d.observe
	if old := d.checker; old != nil {
		checker.Adopt(old)
		// What it kept may still serve a check that is under way.
		time.AfterFunc(time.Minute, old.Close)
	}
	d.checker = checker
	repos := map[string]*slot{}
	now := time.Now()
	for i := range cfg.Repos {
		r := &cfg.Repos[i]
		s := d.repos[r.Name]
		if s == nil {
			s = &slot{status: check.RepoStatus{Name: r.Name, State: check.StateOK, Locks: []check.LockStatus{}}}
			if prev, ok := d.states[r.Name]; ok {
				// Until the first check, the last one's news, in words.
				s.status = check.LastKnown(r.Name, prev.State, prev.Detail, prev.Why)
			}
		}
		s.next, s.failures = now, 0
		s.status.AutoUnlock = string(r.AutoUnlock)
		repos[r.Name] = s
	}
	for name := range d.repos {
		if repos[name] == nil {
			d.forget(name)
		}
	}
	d.repos = repos
	d.poke()
}

// forget drops what the store knows of a repository no longer configured
// (its history stays). Called with d.mu held.
func (d *Daemon) forget(name string) {
	d.metrics.Forget(name)
	if d.watcher != nil {
		d.watcher.forget(name)
	}
	delete(d.states, name)
	delete(d.seen, name)
	delete(d.seenAt, name)
	if err := d.store.ForgetRepo(name); err != nil {
		d.log.Warn("forgetting a removed repository", "repo", name, "err", err)
	}
}

// observe remembers when each lock ID was first seen. The store is written
// only when the set of IDs changed, so a quiet repository costs no writes.
func (d *Daemon) observe(repo string, ids []string, now time.Time) (map[string]time.Time, error) {
	sorted := slices.Sorted(slices.Values(ids))
	d.mu.Lock()
	if slices.Equal(d.seen[repo], sorted) && d.seenAt[repo] != nil {
		m := d.seenAt[repo]
		d.mu.Unlock()
		return m, nil
	}
	d.mu.Unlock()
	m, err := d.store.Observe(repo, sorted, now)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.seen[repo], d.seenAt[repo] = sorted, m
	d.mu.Unlock()
	return m, nil
}

// poke wakes the scheduler.
func (d *Daemon) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run schedules checks until ctx ends.
func (d *Daemon) Run(ctx context.Context) error {
	d.log.Info("lockwatch service started", "config", d.opts.ConfigPath, "pid", os.Getpid())
	watchingConfig := d.watchConfig(ctx)
	w := newWatcher(d.log, d.checkSoon)
	d.mu.Lock()
	if watchingConfig {
		d.rest = restWatched
	}
	d.watcher = w
	d.serving = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.watcher = nil
		d.serving = false
		d.mu.Unlock()
		w.close()
	}()
	d.writeTextfile() // the file follows the config from the start
	d.prune()
	lastPrune := time.Now()
	lastWall, lastMono := time.Now().Round(0), time.Now()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		now := time.Now()
		if slept := sleptSince(now, lastWall, lastMono); slept > 30*time.Second {
			d.log.Info("woke from sleep; checking every repository now", "slept", slept.Round(time.Second))
			d.allDue()
		}
		lastWall, lastMono = now.Round(0), now
		d.reloadIfChanged()
		if now.Sub(lastPrune) > 6*time.Hour {
			d.prune()
			lastPrune = now
		}
		for _, r := range d.due(now) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.runCheck(ctx, r)
			}()
		}
		wait := d.untilNext(now)
		select {
		case <-ctx.Done():
			d.log.Info("lockwatch service stopping")
			return nil
		case <-d.wake:
		case <-time.After(wait):
		}
	}
}

// sleptSince is how long the machine slept since the scheduler last looked
// at lastWall (wall clock) and lastMono (monotonic): Go's monotonic clock
// stops while the machine sleeps, the wall clock does not. Stale locks are
// most likely right after a wake-up (restic notices a suspend the same way).
func sleptSince(now, lastWall, lastMono time.Time) time.Duration {
	return now.Round(0).Sub(lastWall) - now.Sub(lastMono)
}

// nextInterval is the time until a repository's next check: its interval,
// doubled for each failed check in a row (a repository that is down, or a
// laptop off the network, should not cost a check every interval) up to 64
// times but not beyond an hour unless the interval is longer, then moved by
// jitter (in [-0.1, 0.1)) so that repositories checked together drift apart.
func nextInterval(interval time.Duration, failures int, jitter float64) time.Duration {
	if failures > 0 {
		interval = min(interval<<min(failures-1, 6), max(interval, time.Hour))
	}
	return interval + time.Duration(jitter*float64(interval))
}

// untilNext is how long the scheduler may sleep: until the next check is
// due, but at most d.rest, so config edits and wake-ups are seen soon.
func (d *Daemon) untilNext(now time.Time) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	wait := d.rest
	for _, s := range d.repos {
		if !s.running && s.next.Sub(now) < wait {
			wait = max(s.next.Sub(now), 10*time.Millisecond)
		}
	}
	return wait
}

func (d *Daemon) allDue() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.repos {
		s.next = time.Now()
	}
}

// due marks the repositories whose time has come as running and returns them.
func (d *Daemon) due(now time.Time) []*config.Repo {
	d.mu.Lock()
	defer d.mu.Unlock()
	var repos []*config.Repo
	for i := range d.cfg.Repos {
		r := &d.cfg.Repos[i]
		if s := d.repos[r.Name]; s != nil && !s.running && !now.Before(s.next) {
			s.running = true
			repos = append(repos, r)
		}
	}
	return repos
}

// runCheck checks one repository on schedule and plans its next check.
func (d *Daemon) runCheck(ctx context.Context, r *config.Repo) {
	st := d.check(ctx, r)
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.repos[r.Name]
	if s == nil {
		return // the config changed meanwhile
	}
	s.running = false
	if st.State == check.StateError {
		s.failures++
	} else {
		s.failures = 0
	}
	s.next = time.Now().Add(nextInterval(d.cfg.Interval(r), s.failures, rand.Float64()*0.2-0.1))
	if s.again {
		s.again = false
		s.next = time.Now()
	}
	s.status.NextCheckAt = s.next
	st = s.status
	d.poke()
	go d.publish(Event{Type: EventRepo, Repo: r.Name, Status: &st}) // now with its next check
}

// checkSoon makes a repository due now, for a watch that saw something
// change there. A check under way runs once more when it ends: it may have
// read the repository before the change.
func (d *Daemon) checkSoon(name string) {
	d.mu.Lock()
	if s := d.repos[name]; s != nil {
		if s.running {
			s.again = true
		} else {
			s.next = time.Now()
		}
	}
	d.mu.Unlock()
	d.poke()
}

// check runs one check (with auto-unlock), stores and publishes the outcome.
func (d *Daemon) check(ctx context.Context, r *config.Repo) check.RepoStatus {
	d.sem <- struct{}{}
	defer func() { <-d.sem }()
	started := time.Now()
	d.mu.Lock()
	checker, cfg := d.checker, d.cfg
	d.mu.Unlock()
	// Every restic call has its own timeout; this bounds the whole check,
	// so a hanging backend can only ever hold up its own repository.
	cut := &checkCutError{limit: 3 * cfg.Defaults.Timeout.Duration}
	ctx, cancel := context.WithTimeoutCause(ctx, cut.limit, cut)
	defer cancel()
	st := checker.Check(ctx, r)
	cut.explain(ctx, &st)
	if verdicts := r.AutoUnlock.Verdicts(); verdicts != nil && hasAny(st, verdicts) {
		done := d.removalOf(r.Name)
		res, err := checker.Unlock(ctx, r, check.UnlockOptions{Verdicts: verdicts})
		d.record(r.Name, res, "auto")
		done()
		if err != nil {
			d.log.Warn("auto-unlock failed", "repo", r.Name, "err", err)
		} else {
			d.log.Info("auto-unlock", "repo", r.Name, "removed", len(res.Removed))
		}
		st = checker.Check(ctx, r)
		cut.explain(ctx, &st)
	}
	last, ran := check.LastRuns(d.store, r.Name)
	check.ApplyLastRun(&st, last, ran)
	d.mu.Lock()
	w := d.watcher
	d.mu.Unlock()
	if w != nil {
		st.Watch = w.follow(r, st, cfg.Defaults.Watch)
	}
	if ctx.Err() != nil && context.Cause(ctx) != cut {
		// The service is stopping (or the caller gave up): this check says
		// nothing about the repository, and must not be kept as its state.
		return st
	}
	d.count(r.Name, func(m *metrics.Metrics) { m.ObserveCheck(r.Name, time.Since(started), st.State == check.StateError) })
	d.update(r.Name, st)
	d.writeTextfile()
	return st
}

// count counts something of a repository for the metrics, unless it is
// no longer configured: its series went with it (forget), and a check that
// ends after that must not bring them back.
func (d *Daemon) count(repo string, count func(*metrics.Metrics)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.repos[repo] != nil {
		count(d.metrics)
	}
}

// writeTextfile writes the metrics to textfile_path, when it is set and
// this daemon is the service (Run): a command checking in its own process
// knows only what it checked, and must not replace the service's file.
func (d *Daemon) writeTextfile() {
	d.mu.Lock()
	path, serving := d.cfg.Defaults.TextfilePath, d.serving
	d.mu.Unlock()
	if path == "" || !serving {
		return
	}
	if err := d.metrics.WriteTextfile(path); err != nil {
		d.log.Warn("textfile_path not written", "err", err)
	}
}

// checkCutError is why a check was stopped at its limit.
type checkCutError struct{ limit time.Duration }

func (e *checkCutError) Error() string {
	return fmt.Sprintf("the check ran out of time: stopped after %s (3 × the timeout)", e.limit)
}

// explain says so in the status of a check that failed because it was
// cut: the step under way reports only "context deadline exceeded".
func (e *checkCutError) explain(ctx context.Context, st *check.RepoStatus) {
	if st.State != check.StateError || context.Cause(ctx) != e || strings.Contains(st.Error, e.Error()) {
		return
	}
	st.Error, st.ErrorKind = e.Error()+" ("+st.Error+")", check.ErrorTimeout
}

func hasAny(st check.RepoStatus, verdicts []lock.Verdict) bool {
	for _, l := range st.Locks {
		if slices.Contains(verdicts, l.Verdict) {
			return true
		}
	}
	return false
}

// update keeps st as the repository's status, records a state change and tells subscribers.
func (d *Daemon) update(name string, st check.RepoStatus) {
	d.mu.Lock()
	s := d.repos[name]
	if s == nil {
		d.mu.Unlock()
		return
	}
	st.NextCheckAt, st.AutoUnlock = s.status.NextCheckAt, s.status.AutoUnlock
	s.status = st
	prev, known := d.states[name]
	d.mu.Unlock()

	detail, why := check.Summary(st)
	if !known || prev.State != string(st.State) || prev.Detail != detail {
		rs := store.RepoState{State: string(st.State), Detail: detail, Why: why, CheckedAt: st.CheckedAt, Since: prev.Since}
		if !known || prev.State != string(st.State) {
			rs.Since = st.CheckedAt
		}
		ev, err := d.store.SetRepoState(name, rs)
		if err != nil {
			d.log.Error("saving repository state", "repo", name, "err", err)
		} else {
			d.mu.Lock()
			d.states[name] = rs
			d.mu.Unlock()
		}
		if ev != nil {
			d.log.Info("state changed", "repo", name, "from", ev.From, "to", ev.To, "detail", ev.Detail)
			d.publish(Event{Type: EventHistory, Repo: name, Entry: ev})
		}
	}
	d.publish(Event{Type: EventRepo, Repo: name, Status: &st})
}

// record writes the audit trail of an unlock and tells subscribers.
func (d *Daemon) record(repo string, res check.UnlockResult, by string) {
	events, err := check.RecordRemovals(d.store, res, by)
	if err != nil {
		d.log.Error("recording removed locks", "repo", repo, "err", err)
	}
	d.count(repo, func(m *metrics.Metrics) {
		for _, l := range res.Removed {
			m.ObserveRemoval(repo, l.Verdict, by)
		}
	})
	for i := range events {
		d.log.Info("lock removed", "repo", repo, "lock", events[i].Lock.ID[:8], "verdict", events[i].Verdict, "by", by)
		d.publish(Event{Type: EventHistory, Repo: repo, Entry: &events[i]})
	}
}

// reloadIfChanged picks up an edited config file. A broken edit keeps the
// old config running and says what is wrong.
func (d *Daemon) reloadIfChanged() {
	stamp := stampOf(d.opts.ConfigPath)
	d.mu.Lock()
	same := stamp == d.cfgStat
	d.mu.Unlock()
	if same {
		return
	}
	cfg, err := config.Load(d.opts.ConfigPath)
	if err != nil {
		d.mu.Lock()
		d.cfgStat = stamp // report once per edit
		d.mu.Unlock()
		d.log.Error("config not reloaded; keeping the previous one", "err", err)
		d.publish(Event{Type: EventConfig, Message: err.Error()})
		return
	}
	d.log.Info("config reloaded", "repos", len(cfg.Repos))
	d.setConfig(cfg, stamp)
	d.writeTextfile() // repositories removed leave it now, not at the next check
	d.publish(Event{Type: EventConfig, Message: "config reloaded"})
}

func (d *Daemon) prune() {
	d.mu.Lock()
	days := d.cfg.Defaults.HistoryDays
	d.mu.Unlock()
	if n, err := d.store.Prune(time.Duration(days)*24*time.Hour, 100); err != nil {
		d.log.Warn("pruning history", "err", err)
	} else if n > 0 {
		d.log.Info("pruned history", "events", n)
	}
}

// fileStamp tells whether a file changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime(), fi.Size()}
}

// maxSnapshotAge is repo's max_snapshot_age (0 if none, or no such repo).
func (d *Daemon) maxSnapshotAge(repo string) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cfg == nil {
		return 0
	}
	if r, ok := d.cfg.Repo(repo); ok {
		return r.MaxSnapshotAge.Duration
	}
	return 0
}

// Defaults is the [defaults] table of the config in use.
func (d *Daemon) Defaults() config.Defaults {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg.Defaults
}

// Metrics is what the service tells Prometheus.
func (d *Daemon) Metrics() *metrics.Metrics { return d.metrics }

// Status is every repository's latest status.
func (d *Daemon) Status() check.Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := check.Status{Source: "service", ConfigPath: d.opts.ConfigPath, PID: os.Getpid(), StartedAt: d.started, Repos: []check.RepoStatus{},
		Notice: d.store.Reset(), NoticeWhy: d.store.ResetWhy()}
	for i := range d.cfg.Repos {
		rs := d.repos[d.cfg.Repos[i].Name].status
		if rs.CheckedAt.After(st.CheckedAt) {
			st.CheckedAt = rs.CheckedAt
		}
		st.Repos = append(st.Repos, rs)
	}
	return st
}

// ErrUnknownRepo matches requests for a repository that is not configured.
var ErrUnknownRepo = check.ErrUnknownRepo

func (d *Daemon) repo(name string) (*config.Repo, *check.Checker, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.checker.Repo(name)
	return r, d.checker, err
}

// CheckNow checks one repository at once and returns its status.
func (d *Daemon) CheckNow(ctx context.Context, name string) (check.RepoStatus, error) {
	r, _, err := d.repo(name)
	if err != nil {
		return check.RepoStatus{}, err
	}
	d.check(ctx, r)
	d.mu.Lock()
	defer d.mu.Unlock()
	if s := d.repos[name]; s != nil {
		return s.status, nil
	}
	return check.RepoStatus{}, fmt.Errorf("%s: %w", name, ErrUnknownRepo)
}

// Unlock removes locks on behalf of by ("tray", "notification", "cli", "api") and records it.
func (d *Daemon) Unlock(ctx context.Context, name string, opts check.UnlockOptions, by string) (check.UnlockResult, error) {
	r, checker, err := d.repo(name)
	if err != nil {
		return check.UnlockResult{}, err
	}
	d.sem <- struct{}{}
	done := d.removalOf(name)
	res, err := checker.Unlock(ctx, r, opts)
	d.record(name, res, by)
	done()
	<-d.sem
	d.recheck(ctx, r) // show the outcome to everyone
	return res, err
}

// removalOf waits for any other removal from the repository to end and
// returns the function that ends this one. Unlock judges the locks again
// after the wait, so the second of two removals finds the first's gone.
func (d *Daemon) removalOf(name string) (done func()) {
	m, _ := d.removing.LoadOrStore(name, new(sync.Mutex))
	m.(*sync.Mutex).Lock()
	return m.(*sync.Mutex).Unlock
}

// SetAutoUnlock changes a repository's auto-unlock level in the config file.
func (d *Daemon) SetAutoUnlock(name string, level config.AutoUnlock) (check.RepoStatus, error) {
	d.editing.Lock()
	defer d.editing.Unlock()
	if _, _, err := d.repo(name); err != nil {
		return check.RepoStatus{}, err
	}
	cfg, err := config.SetAutoUnlock(d.opts.ConfigPath, name, level)
	if err != nil {
		return check.RepoStatus{}, err
	}
	d.log.Info("auto-unlock changed", "repo", name, "level", level)
	d.setConfig(cfg, stampOf(d.opts.ConfigPath))
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.repos[name].status, nil
}

// History reads the audit trail and state changes.
func (d *Daemon) History(q store.Query) ([]store.Event, error) { return d.store.History(q) }

// Subscribe returns a channel of events and a function to stop them. A
// subscriber that does not keep up loses events rather than stalling the service.
func (d *Daemon) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	d.mu.Lock()
	d.subs[ch] = struct{}{}
	d.mu.Unlock()
	return ch, func() {
		d.mu.Lock()
		delete(d.subs, ch)
		d.mu.Unlock()
	}
}

func (d *Daemon) publish(ev Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for ch := range d.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// StorePath is where the service keeps its state in stateDir.
func StorePath(stateDir string) string { return filepath.Join(stateDir, "state.db") }

// OpenUserStore opens this user's history, which the service, the CLI and
// the run wrapper all write. ok is false, with no error, when none exists
// yet and create is false.
func OpenUserStore(create bool) (st *store.Store, ok bool, err error) {
	dir, err := paths.StateDir()
	if err != nil {
		return nil, false, err
	}
	path := StorePath(dir)
	if _, err := os.Stat(path); err != nil && !create {
		return nil, false, nil
	}
	st, err = store.Open(path)
	return st, err == nil, err
}

// LockPath is the single-instance lock file in stateDir.
func LockPath(stateDir string) string { return filepath.Join(stateDir, "service.lock") }

// RunFinished is called when `lockwatch run` recorded a run of repo: the
// tray hears of it (a failed run is news) and the repository is checked
// again so its state shows the run.
func (d *Daemon) RunFinished(ctx context.Context, repo string) error {
	r, _, err := d.repo(repo)
	if err != nil {
		return err
	}
	events, err := d.store.History(store.Query{Repo: repo, Kinds: []string{store.KindRun}, Limit: 1})
	if err != nil {
		return err
	}
	if len(events) > 0 {
		d.publish(Event{Type: EventHistory, Repo: repo, Entry: &events[0]})
	}
	d.recheck(ctx, r)
	return nil
}

// recheck checks r again in the background, whatever becomes of ctx.
func (d *Daemon) recheck(ctx context.Context, r *config.Repo) {
	d.rechecks.Go(func() { d.check(context.WithoutCancel(ctx), r) })
}

// WaitRechecks waits for the background checks under way to end.
func (d *Daemon) WaitRechecks() { d.rechecks.Wait() }

// Close waits for the background checks and closes the readers' connections.
func (d *Daemon) Close() {
	d.WaitRechecks()
	d.mu.Lock()
	checker := d.checker
	d.mu.Unlock()
	checker.Close()
}
