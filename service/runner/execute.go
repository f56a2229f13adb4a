package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/lockwatch/lockwatch/platform/flock"
	"github.com/lockwatch/lockwatch/platform/signals"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/restic"
	"github.com/lockwatch/lockwatch/service/store"
)

// Options describe one `lockwatch run`.
type Options struct {
	Config  *config.Config
	Repo    string   // the configured repository's name
	Command []string // argv; Command[0] is looked up on PATH
	// Wait, when positive, waits up to this long for an earlier run of
	// the same repository to end instead of skipping at once.
	Wait time.Duration
	// Grace is how long a command that was asked to stop may take before
	// it is killed; 0 means DefaultGrace.
	Grace time.Duration
	// StateDir holds the overlap guard's lock files (see LockPath).
	StateDir string
	// Store receives the run; nil records nothing.
	Store *store.Store
	// Backend removes the lock that blocked the run where auto_unlock
	// allows, and records the removal: the running service, or the same
	// in this process (api.Open). Nil leaves every lock alone.
	Backend api.Backend

	// The command's standard streams. Pass *os.File values to hand them
	// over as they are (a terminal stays a terminal); Stderr is always
	// copied through a pipe, to keep its tail. A retry reads the same
	// Stdin on from where the first attempt left it; a Stdin that is not
	// an *os.File is copied into the first attempt's pipe eagerly, so a
	// retry would find it drained.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Log receives lockwatch's own messages ("lockwatch: ..."); nil means Stderr.
	Log io.Writer
	// Signals, when set, delivers the stop requests to pass on to the
	// command; nil catches signals.Relayed() for the whole run.
	Signals <-chan os.Signal
}

// Execute does one run and records it. It returns the run and the exit
// status the wrapper should end with: the command's own, ExitSkipped when
// another run held the guard, ExitCannotStart when the command could not be
// started. An error means nothing ran: an unknown repository, a missing
// command, or a guard that could not be taken.
func Execute(ctx context.Context, o Options) (*Run, int, error) {
	if len(o.Command) == 0 || o.Command[0] == "" {
		return nil, 0, errors.New("no command to run")
	}
	if o.Config == nil {
		return nil, 0, errors.New("runner: no config")
	}
	repo, err := check.NewChecker(o.Config).Repo(o.Repo)
	if err != nil {
		return nil, 0, err
	}
	if o.StateDir == "" {
		return nil, 0, errors.New("runner: no state directory")
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Log == nil {
		o.Log = o.Stderr
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	sigs := o.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 4)
		// Caught from the start, not just while the command runs: a
		// signal while we wait for the guard or write the record must
		// not kill us before the run is recorded.
		signal.Notify(ch, signals.Relayed()...)
		defer signal.Stop(ch)
		sigs = ch
	}
	x := &execution{o: o, repo: repo, sigs: sigs}
	return x.run(ctx)
}

// execution is the state of one Execute.
type execution struct {
	o    Options
	repo *config.Repo
	sigs <-chan os.Signal
	// stopped is the first stop request we received; after one, nothing
	// new is started (no retry).
	stopped os.Signal
}

func (x *execution) logf(format string, args ...any) {
	fmt.Fprintf(x.o.Log, "lockwatch: "+format+"\n", args...)
}

func (x *execution) run(ctx context.Context) (*Run, int, error) {
	run := &Run{StartedAt: time.Now(), Command: filepath.Base(x.o.Command[0]), StderrTail: []string{}}
	guard, skipped, err := x.takeGuard(ctx)
	if err != nil {
		return nil, 0, err
	}
	if skipped != "" {
		x.logf("%s", skipped)
		run.Result, run.Summary, run.ExitCode = ResultSkipped, skipped, ExitSkipped
		x.finish(run)
		return run, ExitSkipped, nil
	}
	// Released after the record is written, so that the next run finds
	// this one in the history; the kernel releases it if we die first.
	defer guard.Unlock()

	a := x.attempt(ctx)
	run.Conflict = a.conflict
	if a.locked && a.conflict != nil && x.stopped == nil && ctx.Err() == nil {
		if x.autoUnlock(ctx, a.conflict) && x.stopped == nil && ctx.Err() == nil {
			x.logf("removed %s lock %s that blocked %s; running it again", a.conflict.Verdict, shortID(a.conflict.LockID), run.Command)
			before := *a.conflict
			a = x.attempt(ctx)
			run.Retried = true
			if a.conflict != nil {
				run.Conflict = a.conflict // the second attempt's blocker is what matters now
			} else {
				run.Conflict = &before
			}
		}
	}
	run.ExitCode, run.StderrTail = a.code, a.tail
	switch {
	case a.code == 0 && a.startErr == nil:
		run.Result = ResultOK
	case a.locked:
		run.Result = ResultLocked
	default:
		run.Result = ResultFailed
	}
	run.Summary = x.summary(run, a)
	x.finish(run)
	return run, run.ExitCode, nil
}

// takeGuard takes the repository's overlap guard. When another run holds
// it, skipped says so (and guard is nil).
func (x *execution) takeGuard(ctx context.Context) (guard *flock.Lock, skipped string, err error) {
	path := LockPath(x.o.StateDir, x.repo.Name)
	guard, err = flock.TryLock(path)
	var held *flock.LockedError
	if !errors.As(err, &held) {
		if err != nil {
			return nil, "", fmt.Errorf("cannot take the run guard for %s: %w", x.repo.Name, err)
		}
		return guard, "", nil
	}
	holder := x.holder(path, held.Holder)
	if x.o.Wait <= 0 {
		return nil, fmt.Sprintf("another run for %s is in progress%s", x.repo.Name, describeHolder(holder.PID, holder.Since, time.Now())), nil
	}

	waitCtx, cancel := context.WithTimeout(ctx, x.o.Wait)
	defer cancel()
	type result struct {
		l   *flock.Lock
		err error
	}
	done := make(chan result, 1)
	go func() {
		l, err := flock.Wait(waitCtx, path)
		done <- result{l, err}
	}()
	var r result
	select {
	case r = <-done:
	case sig := <-x.sigs:
		x.stopped = sig
		cancel()
		r = <-done
		if r.err == nil {
			r.l.Unlock() // got it just as we were told to stop
		}
		return nil, fmt.Sprintf("stopped by %s while waiting for another run for %s%s", sigName(sig), x.repo.Name, describeHolder(holder.PID, holder.Since, time.Now())), nil
	}
	switch {
	case r.err == nil:
		return r.l, "", nil
	case errors.Is(r.err, context.DeadlineExceeded) || errors.Is(r.err, context.Canceled):
		if h, err := flock.ReadHolder(path); err == nil {
			holder = h // a later run may hold it by now
		}
		return nil, fmt.Sprintf("another run for %s is still in progress after waiting %s%s", x.repo.Name, humanDuration(x.o.Wait), describeHolder(holder.PID, holder.Since, time.Now())), nil
	}
	return nil, "", fmt.Errorf("cannot take the run guard for %s: %w", x.repo.Name, r.err)
}

// holder says who holds the guard. A run that has just taken it may not
// have written its record yet, so a missing record is asked again briefly.
func (x *execution) holder(path string, h flock.Holder) flock.Holder {
	for i := 0; h.PID <= 0 && i < 5; i++ {
		time.Sleep(20 * time.Millisecond)
		h, _ = flock.ReadHolder(path)
	}
	return h
}

// attempt is one execution of the command.
type attemptResult struct {
	code     int
	tail     []string
	startErr error
	stopped  os.Signal // the stop request passed on during this attempt
	killed   bool      // it outlived the grace period
	// lockGone: when it was killed, its own lock was already gone
	// (restic 0.18+ removes it on SIGINT, then may wait for stdin's EOF).
	lockGone bool
	locked   bool // it failed on a lock conflict
	conflict *Conflict
	detail   string // restic's most useful stderr line when it failed
}

func (x *execution) attempt(ctx context.Context) attemptResult {
	var a attemptResult
	name := x.o.Command[0]
	cmd := exec.Command(name, x.o.Command[1:]...)
	// Inherited RESTIC_* settings must not win over (or leak into) the
	// configured repository; see config.ResticEnviron.
	cmd.Env = config.ResticEnviron(os.Environ(), x.repo.Environ())
	cmd.Stdin, cmd.Stdout = x.o.Stdin, x.o.Stdout
	t := newTail(TailLines)
	cmd.Stderr = &tee{w: x.o.Stderr, t: t}
	// restic's sftp backend starts ssh, which can keep the stderr pipe
	// open after restic has exited; don't wait for it forever.
	cmd.WaitDelay = 5 * time.Second
	signals.Prepare(cmd)
	if err := cmd.Start(); err != nil {
		a.code, a.startErr, a.tail = ExitCannotStart, err, []string{}
		x.logf("cannot start %s: %v", filepath.Base(name), err)
		return a
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var grace <-chan time.Time
	stop := func(sig os.Signal) {
		if a.stopped == nil {
			a.stopped = sig
			grace = time.After(x.o.Grace)
		}
		if x.stopped == nil {
			x.stopped = sig
		}
		if err := signals.Forward(cmd.Process, sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			x.logf("cannot pass %s on to %s (PID %d): %v; killing it in %s", sigName(sig), filepath.Base(name), cmd.Process.Pid, err, humanDuration(x.o.Grace))
		}
	}
	ctxDone := ctx.Done()
	// A stop request that came before the command started (while we
	// checked the repository, say) still applies to it.
	if x.stopped != nil {
		stop(x.stopped)
	}
wait:
	for {
		select {
		case <-exited:
			break wait
		case sig := <-x.sigs:
			stop(sig)
		case <-ctxDone:
			ctxDone = nil
			stop(os.Interrupt)
		case <-grace:
			grace = nil
			a.killed = true
			pid, base := cmd.Process.Pid, filepath.Base(name)
			switch noLock := x.ownLockGone(ctx, pid); {
			case noLock && lock.IsRestic(base):
				// restic 0.18+ removes its lock on SIGINT, then may wait
				// for stdin's EOF: the kill costs nothing.
				a.lockGone = true
				x.logf("%s (PID %d) removed its lock but did not exit within %s of %s; killing it", base, pid, humanDuration(x.o.Grace), sigName(a.stopped))
			case noLock:
				x.logf("%s (PID %d) did not stop within %s of %s; killing it (it holds no lock in %s)", base, pid, humanDuration(x.o.Grace), sigName(a.stopped), x.repo.Name)
			default:
				x.logf("%s (PID %d) did not stop within %s of %s; killing it, which may leave its lock behind", base, pid, humanDuration(x.o.Grace), sigName(a.stopped))
			}
			_ = cmd.Process.Kill()
		}
	}
	a.code = signals.ExitCode(cmd.ProcessState)
	a.tail = t.Lines()
	if a.code != 0 {
		x.classify(&a)
	}
	return a
}

// classify finds out whether the command failed on a lock conflict: exit
// status 11 (restic 0.17+) or restic's conflict text (any version).
func (x *execution) classify(a *attemptResult) {
	text := strings.Join(a.tail, "\n")
	e := restic.Classify("", a.code, []byte(text))
	a.detail = e.Detail
	if e.Kind != restic.KindLocked {
		return
	}
	a.locked = true
	c := e.Conflict
	if c == nil {
		if pc, ok := restic.ParseConflict(text); ok {
			c = &pc
		}
	}
	if c != nil {
		a.conflict = &Conflict{
			PID: c.PID, Host: c.Host, User: c.User, Exclusive: c.Exclusive,
			AgeSeconds: int64(c.Age / time.Second), CreatedAt: c.CreatedAt, LockID: strings.ToLower(c.StorageID),
		}
	}
}

// finish stamps the end of the run and records it.
func (x *execution) finish(run *Run) {
	run.EndedAt = time.Now()
	run.DurationSeconds = run.EndedAt.Sub(run.StartedAt).Seconds()
	if x.o.Store == nil {
		return
	}
	if err := record(x.o.Store, x.repo.Name, run); err != nil {
		x.logf("could not record this run: %v", err)
	}
}

// summary says in one line how the run went.
func (x *execution) summary(run *Run, a attemptResult) string {
	cmd := run.Command
	took := humanDuration(time.Since(run.StartedAt))
	var s string
	switch {
	case a.startErr != nil:
		s = fmt.Sprintf("could not start %s: %v", cmd, a.startErr)
	case run.Result == ResultOK:
		s = fmt.Sprintf("%s succeeded in %s", cmd, took)
		if run.Retried && run.Conflict != nil {
			s += fmt.Sprintf(" after lockwatch removed the %s lock %s of PID %d on %s", run.Conflict.Verdict, shortID(run.Conflict.LockID), run.Conflict.PID, run.Conflict.Host)
		}
	case a.killed && a.lockGone:
		s = fmt.Sprintf("%s removed its lock but did not exit; killed it after %s (exit status %d)", cmd, humanDuration(x.o.Grace), a.code)
	case a.killed:
		s = fmt.Sprintf("%s was killed after ignoring %s for %s (exit status %d)", cmd, sigName(a.stopped), humanDuration(x.o.Grace), a.code)
	case a.stopped != nil:
		s = fmt.Sprintf("%s was stopped by %s (exit status %d)", cmd, sigName(a.stopped), a.code)
	case run.Result == ResultLocked:
		s = fmt.Sprintf("%s was blocked by a lock (exit status %d)", cmd, a.code)
		if c := a.conflict; c != nil {
			s = fmt.Sprintf("%s was blocked by %s", cmd, describeConflict(c))
			switch {
			case run.Retried:
				s += "; still locked after lockwatch removed a stale lock and retried"
			case c.note != "":
				s += "; " + c.note
			}
		}
	default:
		s = fmt.Sprintf("%s failed with exit status %d", cmd, a.code)
		if a.detail != "" {
			s += ": " + a.detail
		}
	}
	return oneLine(s)
}

func describeConflict(c *Conflict) string {
	var b strings.Builder
	if c.Exclusive {
		b.WriteString("an exclusive lock")
	} else {
		b.WriteString("a lock")
	}
	if c.LockID != "" {
		b.WriteString(" (" + shortID(c.LockID) + ")")
	}
	fmt.Fprintf(&b, " of PID %d", c.PID)
	if c.Host != "" {
		b.WriteString(" on " + c.Host)
	}
	if c.User != "" {
		b.WriteString(" by " + c.User)
	}
	if c.AgeSeconds > 0 {
		b.WriteString(", created " + humanDuration(time.Duration(c.AgeSeconds)*time.Second) + " ago")
	}
	return b.String()
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func sigName(sig os.Signal) string {
	switch sig {
	case nil:
		return "a stop request"
	case os.Interrupt:
		return "SIGINT"
	}
	if s := sig.String(); s != "terminated" {
		return s
	}
	return "SIGTERM"
}
