package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/ipc"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/store"
)

// These tests run the real `lockwatch service run` as its own process,
// against real repositories with locks left by the real restic.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// lockwatchBinary builds the CLI once per test run.
func lockwatchBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lockwatch-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "lockwatch")
		out, err := exec.Command("go", "build", "-tags", "nogui", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// runningService is a service process with its own state and socket dirs.
type runningService struct {
	cmd    *exec.Cmd
	env    []string
	state  string // its state dir
	sock   string
	client *api.Client
	logs   *syncBuffer
	exited chan struct{} // closed when the process has ended
}

// serviceEnv gives a service (and CLI runs that should find it) private dirs.
func serviceEnv(t testing.TB) []string {
	base := t.TempDir()
	runtime := filepath.Join(base, "run")
	os.MkdirAll(runtime, 0o700)
	return append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(base, "state"), "XDG_RUNTIME_DIR="+runtime)
}

func startService(t testing.TB, cfgPath string, env []string) *runningService {
	t.Helper()
	s := &runningService{env: env, logs: &syncBuffer{}, exited: make(chan struct{})}
	s.state = filepath.Join(envValue(env, "XDG_STATE_HOME"), "lockwatch")
	s.sock = filepath.Join(envValue(env, "XDG_RUNTIME_DIR"), "lockwatch", "lockwatch.sock")
	s.cmd = exec.Command(lockwatchBinary(t), "--config", cfgPath, "service", "run")
	s.cmd.Env = env
	s.cmd.Stderr = s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := s.cmd.Wait()
		fmt.Fprintf(s.logs, "(service exited: %v)\n", err)
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("service log:\n%s", s.logs)
		}
	})
	s.client = &api.Client{HTTP: ipc.HTTPClient(s.sock)}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := s.client.Status(ctx)
		cancel()
		if err == nil {
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("service exited:\n%s", s.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("service did not answer on %s: %v\n%s", s.sock, err, s.logs)
		}
	}
}

// envValue is the last value of key in env, as the process will see it.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if val, ok := strings.CutPrefix(kv, key+"="); ok {
			v = val
		}
	}
	return v
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
	}
}

// subscribe streams the service's events to fn until the test ends, and
// returns only once the service holds the subscription, so that every event
// published after it returns reaches fn. The service subscribes before it
// sends the stream's response header, so that header is the sign.
func subscribe(t *testing.T, s *runningService, fn func(daemon.Event)) {
	t.Helper()
	hc := *s.client.HTTP
	subscribed := make(chan struct{})
	hc.Transport = headerSeen{hc.Transport, subscribed}
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	var err error
	go func() {
		defer close(ended)
		err = (&api.Client{HTTP: &hc}).Events(ctx, fn)
	}()
	t.Cleanup(func() { cancel(); <-ended })
	select {
	case <-subscribed:
	case <-ended:
		t.Fatalf("the event stream ended before it began: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the service did not answer the event subscription within 10s")
	}
}

// headerSeen closes seen when a response header with status 200 arrives.
type headerSeen struct {
	base http.RoundTripper
	seen chan struct{}
}

func (h headerSeen) RoundTrip(req *http.Request) (*http.Response, error) {
	base := h.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusOK {
		close(h.seen)
	}
	return resp, err
}

func repoStatus(t *testing.T, s *runningService, name string) check.RepoStatus {
	t.Helper()
	st, err := s.client.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st.Repos {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no repo %s in status", name)
	return check.RepoStatus{}
}

// waitChecks waits until the service has finished n more checks of each
// repo, counted from the status it shows now: a repository's status changes
// its checked_at only when a check, auto-unlock included, has ended.
func waitChecks(t *testing.T, s *runningService, n int, repos ...string) {
	t.Helper()
	last, seen := map[string]time.Time{}, map[string]int{}
	for _, name := range repos {
		last[name] = repoStatus(t, s, name).CheckedAt
	}
	waitFor(t, time.Duration(n)*10*time.Second, fmt.Sprintf("%d more checks of each of %v", n, repos), func() bool {
		done := true
		for _, name := range repos {
			if at := repoStatus(t, s, name).CheckedAt; at.After(last[name]) {
				last[name] = at
				seen[name]++
			}
			done = done && seen[name] >= n
		}
		return done
	})
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func repoTOML(name string, r *demo.Repo, extra string) string {
	return fmt.Sprintf("\n[[repo]]\nname = %q\nrepository = %q\npassword_file = %q\n%s", name, r.Location, r.PasswordFile, extra)
}

func lockFile(r *demo.Repo, id string) bool {
	_, err := os.Stat(filepath.Join(r.LocksDir, id))
	return err == nil
}

func TestServiceAutoUnlockLevels(t *testing.T) {
	restic := demotest.Restic(t)
	stale, off, unref := demotest.LocalRepo(t), demotest.LocalRepo(t), demotest.LocalRepo(t)
	staleDead, staleLive := demotest.Orphan(t, stale), demotest.Hold(t, stale, demo.Options{})
	offDead := demotest.Orphan(t, off)
	cfgPath := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = \"1s\"\n", restic)+
		repoTOML("stale", stale, `auto_unlock = "stale"`)+
		repoTOML("off", off, `auto_unlock = "off"`)+
		repoTOML("unref", unref, `auto_unlock = "unrefreshed"`))
	env := serviceEnv(t)

	// The unrefreshed level: another host's lock that the service has seen
	// unchanged for 20 minutes (seeded into its store as an earlier run of
	// the service would have left it), next to a live lock of this host seen
	// just as long, and a live lock of another host that is new.
	var unrefDead, unrefOtherLive *demo.Holder
	unrefLive := demotest.Hold(t, unref, demo.Options{})
	if os.Geteuid() == 0 {
		unrefDead = demotest.Hold(t, unref, demo.Options{Hostname: "otherbox"})
		unrefDead.Kill()
		unrefOtherLive = demotest.Hold(t, unref, demo.Options{Hostname: "laptop"})
	}
	st, err := store.Open(daemon.StorePath(filepath.Join(envValue(env, "XDG_STATE_HOME"), "lockwatch")))
	if err != nil {
		t.Fatal(err)
	}
	seeded := []string{unrefLive.LockID}
	if unrefDead != nil {
		seeded = append(seeded, unrefDead.LockID)
	}
	if _, err := st.Observe("unref", seeded, time.Now().Add(-20*time.Minute)); err != nil {
		t.Fatal(err)
	}

	s := startService(t, cfgPath, env)

	waitFor(t, 10*time.Second, "the orphaned lock under auto_unlock=stale is removed", func() bool { return !lockFile(stale, staleDead.LockID) })
	// The file goes first, the audit entry right after it.
	var removal *store.Event
	var hist []store.Event
	waitFor(t, 5*time.Second, "the removal is in the audit trail", func() bool {
		hist, _ = s.client.History(context.Background(), "stale", 10)
		for i := range hist {
			if hist[i].Kind == store.KindRemoval {
				removal = &hist[i]
			}
		}
		return removal != nil
	})
	if removal == nil || removal.By != "auto" || removal.Verdict != "orphaned" || removal.Lock.ID != staleDead.LockID ||
		removal.Lock.PID != staleDead.PID || removal.Reason != fmt.Sprintf("process %d is gone", staleDead.PID) {
		t.Fatalf("audit trail of the auto-unlock: %+v", hist)
	}
	if unrefDead != nil {
		waitFor(t, 10*time.Second, "the unrefreshed lock is removed", func() bool { return !lockFile(unref, unrefDead.LockID) })
		waitFor(t, 5*time.Second, "the unrefreshed removal is in the audit trail", func() bool {
			h, _ := s.client.History(context.Background(), "unref", 10)
			return strings.Contains(fmt.Sprint(h), "lock unchanged for 20m")
		})
	}

	// Several checks later (not a wait for "long enough": the service's own
	// checks, each with its auto-unlock, are counted as they show in its
	// status): live and fresh locks untouched at every level, and nothing
	// removed where auto-unlock is off.
	waitChecks(t, s, 3, "stale", "off", "unref")
	for _, c := range []struct {
		repo *demo.Repo
		h    *demo.Holder
		why  string
	}{{stale, staleLive, "live lock under stale"}, {off, offDead, "orphaned lock under off"}, {unref, unrefLive, "live lock seen for 20m under unrefreshed"}} {
		if !lockFile(c.repo, c.h.LockID) {
			t.Errorf("the service removed the %s", c.why)
		}
	}
	if unrefOtherLive != nil && !lockFile(unref, unrefOtherLive.LockID) {
		t.Error("the service removed another host's live lock")
	}
	if r := repoStatus(t, s, "off"); r.State != check.StateStale || r.AutoUnlock != "off" || r.NextCheckAt.IsZero() {
		t.Errorf("status of off: %+v", r)
	}
	if r := repoStatus(t, s, "unref"); r.State != check.StateBusy {
		t.Errorf("status of unref after its auto-unlock: %s %+v", r.State, r.Locks)
	}
	if h, _ := s.client.History(context.Background(), "off", 10); strings.Contains(fmt.Sprint(h), store.KindRemoval) {
		t.Errorf("removal recorded under off: %+v", h)
	}
}

func TestServiceAPI(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	cfgPath := writeConfig(t, fmt.Sprintf("# my comment\n[defaults]\nrestic = %q\ncheck_interval = \"1h\"\n", demotest.Restic(t))+
		repoTOML("nas", repo, "env = { B2_ACCOUNT_KEY = \""+secretMark+"\" }\n"))
	env := serviceEnv(t)
	s := startService(t, cfgPath, env)
	ctx := context.Background()

	var streamed syncBuffer // history entries heard on the event stream
	subscribe(t, s, func(ev daemon.Event) {
		if ev.Entry != nil {
			fmt.Fprintf(&streamed, "%s:%s ", ev.Entry.Kind, ev.Entry.By)
		}
	})

	st, err := s.client.Status(ctx)
	if err != nil || st.PID != s.cmd.Process.Pid || st.StartedAt.IsZero() || st.Source != "service" {
		t.Fatalf("status: %+v, %v", st, err)
	}
	waitFor(t, 10*time.Second, "first check", func() bool { return repoStatus(t, s, "nas").State == check.StateStale })

	// Check now answers with the repository's fresh status.
	before := repoStatus(t, s, "nas").CheckedAt
	if r, err := s.client.Check(ctx, "nas"); err != nil || r.Name != "nas" || r.State != check.StateStale || !r.CheckedAt.After(before) || len(r.Locks) != 1 {
		t.Errorf("check now: %+v, %v", r, err)
	}

	// Unknown repo → 404, bad level → 400, all without confirm → 400.
	if _, err := s.client.Check(ctx, "nope"); !isAPIError(err, 404) {
		t.Errorf("check of an unknown repo: %v", err)
	}
	if _, err := s.client.SetAutoUnlock(ctx, "nas", "sometimes"); !isAPIError(err, 400) {
		t.Errorf("bad auto_unlock: %v", err)
	}
	if _, err := s.client.Unlock(ctx, "nas", api.UnlockRequest{All: true}); !isAPIError(err, 400) {
		t.Errorf("all without confirm: %v", err)
	}

	// PUT auto-unlock persists, keeping the file's comment and other settings.
	r, err := s.client.SetAutoUnlock(ctx, "nas", config.AutoUnlockStale)
	if err != nil || r.AutoUnlock != "stale" {
		t.Fatalf("set auto-unlock: %+v, %v", r, err)
	}
	data, _ := os.ReadFile(cfgPath)
	if !strings.Contains(string(data), "# my comment") || !strings.Contains(string(data), `auto_unlock = "stale"`) || !strings.Contains(string(data), secretMark) {
		t.Errorf("config after PUT:\n%s", data)
	}
	if fi, _ := os.Stat(cfgPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v", fi.Mode().Perm())
	}
	// The config change makes the service check again, and now it removes the lock by itself.
	waitFor(t, 10*time.Second, "auto-unlock after the level changed", func() bool { return !lockFile(repo, dead.LockID) })

	// The CLI goes through the service: its removals are audited as "cli".
	dead2 := demotest.Orphan(t, repo)
	if _, err := s.client.SetAutoUnlock(ctx, "nas", config.AutoUnlockOff); err != nil {
		t.Fatal(err)
	}
	cli := exec.Command(lockwatchBinary(t), "--config", cfgPath, "unlock", "nas")
	cli.Env = env
	if out, err := cli.CombinedOutput(); err != nil || !strings.Contains(string(out), "removed 1 lock") {
		t.Fatalf("lockwatch unlock through the service: %v\n%s", err, out)
	}
	if lockFile(repo, dead2.LockID) {
		t.Fatal("the CLI's unlock left the lock")
	}
	// A refusal through the service is a refusal: exit 1, said as such.
	live := demotest.Hold(t, repo, demo.Options{})
	refused := exec.Command(lockwatchBinary(t), "--config", cfgPath, "unlock", "nas", "--lock", live.LockID[:8])
	refused.Env = env
	out, _ := refused.CombinedOutput()
	if code := refused.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "refused: ") || !strings.Contains(string(out), "is live") {
		t.Errorf("unlock --lock of a live lock through the service: exit %d\n%s", code, out)
	}
	if !lockFile(repo, live.LockID) {
		t.Fatal("a refused unlock removed the live lock")
	}
	if err := live.Finish(); err != nil {
		t.Fatal(err)
	}

	h, err := s.client.History(ctx, "nas", 0)
	if err != nil {
		t.Fatal(err)
	}
	bys := map[string]int{}
	for _, e := range h {
		if e.Kind == store.KindRemoval {
			bys[e.By]++
		}
	}
	if bys["auto"] != 1 || bys["cli"] != 1 || len(bys) != 2 {
		t.Errorf("history lacks auto or cli removals: %+v", h)
	}
	waitFor(t, 5*time.Second, "removal events on the stream", func() bool {
		return strings.Contains(streamed.String(), "removal:auto") && strings.Contains(streamed.String(), "removal:cli")
	})

	// status --json through the service, and no secret anywhere in the API.
	status := exec.Command(lockwatchBinary(t), "--config", cfgPath, "status", "--json")
	status.Env = env
	out, _ = status.CombinedOutput()
	if !strings.Contains(string(out), `"source": "service"`) || !strings.Contains(string(out), `"next_check_at"`) ||
		!strings.Contains(string(out), `"locks_dir": true`) {
		t.Errorf("status --json:\n%s", out)
	}
	text := exec.Command(lockwatchBinary(t), "--config", cfgPath, "status")
	text.Env = env
	if out, _ := text.CombinedOutput(); !strings.Contains(string(out), "auto-unlock off; watching locks/") {
		t.Errorf("status does not say what is watched:\n%s", out)
	}
	raw, _ := s.client.Status(ctx)
	assertNoSecret(t, "status output and API", string(out)+fmt.Sprint(raw, h))
}

func isAPIError(err error, code int) bool {
	e, ok := err.(*api.Error)
	return ok && e.Code == code && e.Message != ""
}

func TestServiceSingleInstanceAndCrash(t *testing.T) {
	repo := demotest.LocalRepo(t)
	cfgPath := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = \"1s\"\n", demotest.Restic(t))+
		repoTOML("nas", repo, `auto_unlock = "stale"`))
	env := serviceEnv(t)
	s := startService(t, cfgPath, env)

	second := exec.Command(lockwatchBinary(t), "--config", cfgPath, "service", "run")
	second.Env = env
	out, err := second.CombinedOutput()
	want := fmt.Sprintf("lockwatch service is already running (PID %d)", s.cmd.Process.Pid)
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("second service: %v\n%s", err, out)
	}

	// Give the history something to hold, then kill -9 in the middle of the work.
	for i := 0; i < 3; i++ {
		dead := demotest.Orphan(t, repo)
		waitFor(t, 10*time.Second, "auto-unlock", func() bool { return !lockFile(repo, dead.LockID) })
	}
	before, err := s.client.History(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The kill lands where the service is busiest: its lock file is gone,
	// so the service is writing the removal to its history right then (the
	// file goes first, the audit entry right after it). Hence the tight
	// poll. Nothing below depends on where exactly the kill lands.
	dead := demotest.Orphan(t, repo)
	for deadline := time.Now().Add(10 * time.Second); lockFile(repo, dead.LockID); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the service did not remove the orphaned lock within 10s")
		}
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	if _, err := os.Stat(s.sock); err != nil {
		t.Fatalf("expected the dead service's socket file to be left behind: %v", err)
	}
	// A backup dies while no service runs: the restarted one must clean up.
	demotest.Orphan(t, repo)

	// Restart: the kernel released the single-instance lock, the stale
	// socket is replaced, and every committed record is still there.
	s2 := startService(t, cfgPath, env)
	after, err := s2.client.History(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	have := map[uint64]bool{}
	for _, e := range after {
		have[e.Seq] = true
	}
	for _, e := range before {
		if !have[e.Seq] {
			t.Errorf("history lost %+v across kill -9", e)
		}
	}
	waitFor(t, 10*time.Second, "the restarted service cleans up", func() bool {
		ids, _ := repo.Locks()
		return len(ids) == 0
	})
}

func TestServiceHangingBackend(t *testing.T) {
	// A "server" that accepts connections and never says a word: ssh (and
	// so restic's sftp backend) waits for its banner forever.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	good := demotest.LocalRepo(t)
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("x\n"), 0o600)
	cfgPath := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = \"1s\"\ntimeout = \"3s\"\n", demotest.Restic(t))+
		fmt.Sprintf("\n[[repo]]\nname = \"hang\"\nrepository = \"sftp://nobody@127.0.0.1:%s/repo\"\npassword_file = %q\n", port, pw)+
		repoTOML("good", good, ""))
	s := startService(t, cfgPath, serviceEnv(t))

	var (
		goodChecks []time.Time
		h          check.RepoStatus
		seen       time.Time // when the test had h in hand
	)
	waitFor(t, 30*time.Second, "the hanging repo turns error", func() bool {
		g := repoStatus(t, s, "good")
		if !g.CheckedAt.IsZero() && (len(goodChecks) == 0 || g.CheckedAt.After(goodChecks[len(goodChecks)-1])) {
			goodChecks = append(goodChecks, g.CheckedAt)
		}
		h = repoStatus(t, s, "hang")
		seen = time.Now()
		return h.State == check.StateError
	})
	if !strings.Contains(h.Error, "timed out") {
		t.Errorf("hanging repo's error: %q", h.Error)
	}
	// Timed by the service's own clock, not from when this test started
	// looking (the service may well have begun the check before it answered
	// startService): checked_at is when the failed check began, and the
	// service shows a check's outcome only once it has ended, so seen minus
	// checked_at is at least how long the check ran.
	if took := seen.Sub(h.CheckedAt); took < 3*time.Second {
		t.Errorf("error %s after its check began, before the 3s timeout", took)
	}
	// The good repo's checks went on at their 1s interval while the other
	// hung for at least 3s: measured against the hanging check's own start,
	// one of them began during it. (A second and third fit in those 3s too,
	// but with the 10% jitter and a slow first check not by enough to count
	// on them on a loaded machine.)
	var during []time.Duration
	for _, g := range goodChecks {
		if d := g.Sub(h.CheckedAt); d > 0 && d < 3*time.Second {
			during = append(during, d)
		}
	}
	if len(during) == 0 || len(goodChecks) < 2 {
		t.Errorf("the good repo was checked at %v: not while the other hung (from %s for 3s)", goodChecks, h.CheckedAt)
	}
	t.Logf("the hanging check ended within %s of its start; checks of the good repo began %v into it", seen.Sub(h.CheckedAt).Round(time.Millisecond), during)
	if g := repoStatus(t, s, "good"); g.State != check.StateOK {
		t.Errorf("good repo: %+v", g)
	}
}

func TestServiceInstallCommand(t *testing.T) {
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_RUNTIME_DIR=", "DBUS_SESSION_BUS_ADDRESS=") // no systemd user manager: the autostart fallback
	bin := lockwatchBinary(t)
	cfgPath := writeConfig(t, "")
	lw := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("lockwatch %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := lw("--config", cfgPath, "service", "install")
	entry := filepath.Join(home, ".config", "autostart", "lockwatch-service.desktop")
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("install wrote no autostart entry (%v); it said: %s", err, out)
	}
	if !strings.Contains(out, "autostart") || !strings.Contains(string(data), "Exec="+bin+" --config "+cfgPath+" service run") {
		t.Errorf("install said %q and wrote:\n%s", out, data)
	}
	if out := lw("service", "status"); !strings.Contains(out, "installed") || !strings.Contains(out, "service: not running") {
		t.Errorf("service status: %s", out)
	}
	lw("service", "uninstall")
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("uninstall left %s", entry)
	}
	if out := lw("service", "status"); !strings.Contains(out, "not installed") {
		t.Errorf("service status after uninstall: %s", out)
	}
}

func TestRunReportsToTheService(t *testing.T) {
	repo := demotest.LocalRepo(t)
	cfgPath := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = \"1h\"\n", demotest.Restic(t))+repoTOML("nas", repo, ""))
	env := serviceEnv(t)
	s := startService(t, cfgPath, env)
	waitFor(t, 10*time.Second, "first check", func() bool { return !repoStatus(t, s, "nas").CheckedAt.IsZero() })
	var streamed syncBuffer
	subscribe(t, s, func(ev daemon.Event) {
		if ev.Entry != nil && ev.Entry.Kind == store.KindRun {
			fmt.Fprintf(&streamed, "run:%s ", ev.Repo)
		}
	})

	run := exec.Command(lockwatchBinary(t), "--config", cfgPath, "run", "nas", "--", "sh", "-c", "echo 'Fatal: something broke' >&2; exit 3")
	run.Env = env
	if err := run.Run(); err == nil || run.ProcessState.ExitCode() != 3 {
		t.Fatalf("run: %v", err)
	}
	waitFor(t, 10*time.Second, "the service shows the failed run", func() bool {
		r := repoStatus(t, s, "nas")
		return r.State == check.StateFailed && r.LastRun != nil && r.LastRun.Result == "failed" && r.LastRun.ExitCode == 3
	})
	waitFor(t, 5*time.Second, "the run on the event stream", func() bool { return strings.Contains(streamed.String(), "run:nas") })

	// A later good run clears it.
	ok := exec.Command(lockwatchBinary(t), "--config", cfgPath, "run", "nas", "--", "true")
	ok.Env = env
	if err := ok.Run(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the good run clears the failure", func() bool {
		r := repoStatus(t, s, "nas")
		return r.State == check.StateOK && r.LastRun != nil && r.LastRun.Result == "ok"
	})
}

func TestCheckJSONShowsLastRunWithoutService(t *testing.T) {
	repo := demotest.LocalRepo(t)
	cfgPath := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\n", demotest.Restic(t))+repoTOML("nas", repo, ""))
	env := serviceEnv(t)
	run := exec.Command(lockwatchBinary(t), "--config", cfgPath, "run", "nas", "--", "sh", "-c", "exit 4")
	run.Env = env
	run.Run()
	check := exec.Command(lockwatchBinary(t), "--config", cfgPath, "check", "--json")
	check.Env = env
	out, _ := check.Output()
	if !strings.Contains(string(out), `"last_run"`) || !strings.Contains(string(out), `"exit_code": 4`) ||
		!strings.Contains(string(out), `"state": "failed"`) || !strings.Contains(string(out), `"source": "in-process"`) {
		t.Errorf("check --json after a failed run:\n%s", out)
	}
}
