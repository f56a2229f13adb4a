package restic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/reader"
)

// CLI drives the restic binary for one repository, on every backend
// restic supports. It is a reader.Reader, a reader.ResticUnlocker and a
// reader.SnapshotLister; on a local repository use LocalCLI, which can
// also remove single lock files.
type CLI struct {
	Binary  string        // restic binary, a name on PATH or a path
	Env     []string      // the repository's environment: location, password source, backend settings
	Timeout time.Duration // for each restic call
	Dir     string        // the repository's directory when it is local, else ""
}

var (
	_ reader.Reader         = (*CLI)(nil)
	_ reader.ResticUnlocker = (*CLI)(nil)
	_ reader.SnapshotLister = (*CLI)(nil)
	_ reader.ExactRemover   = LocalCLI{}
)

// Name says how locks are read, for status output.
func (c *CLI) Name() string { return "restic" }

// ListLocks returns the IDs under locks/. restic never takes a lock to list (0.13+).
func (c *CLI) ListLocks(ctx context.Context) ([]string, error) {
	out, err := c.run(ctx, "list locks", maxListOutput, "list", "locks", "--no-lock")
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, line := range strings.Split(string(out), "\n") {
		if id := strings.TrimSpace(line); reader.IsID(id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ReadLock reads one lock. A lock that no longer exists (refreshed or
// removed since it was listed) gives an error matching reader.ErrNotFound; a file
// that cannot be read as a lock gives a Lock whose Problem says why.
func (c *CLI) ReadLock(ctx context.Context, id string) (lock.Lock, error) {
	if !reader.IsID(id) {
		return lock.Lock{}, fmt.Errorf("%q is not a lock ID", id)
	}
	if c.Dir != "" {
		// Look first: restic 0.14 retries a missing file for ~45 s, and
		// panics on an empty one.
		fi, err := os.Stat(filepath.Join(c.Dir, "locks", id))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return lock.Lock{}, &Error{Kind: KindNotFound, Op: "cat lock", ExitCode: -1, Detail: "lock " + id[:8] + " no longer exists"}
		case err == nil && fi.Size() == 0:
			return lock.Unreadable(id, lock.ProblemEmpty, "empty lock file (0 bytes), left by an interrupted write"), nil
		}
	}
	out, err := c.run(ctx, "cat lock", maxLockOutput, "cat", "lock", id, "--no-lock")
	var rerr *Error
	if errors.Is(err, errOutputTooLarge) {
		return lock.Unreadable(id, lock.ProblemTooLarge, "restic cat lock printed more than the "+humanize.IBytes(maxLockOutput)+" a lock can be"), nil
	}
	if errors.As(err, &rerr) && rerr.Kind == KindFailed {
		// The repository answered the listing, so a failure on this one
		// file is about the file: corrupt, written with another key, or not JSON.
		return lock.Unreadable(id, lock.ProblemUnreadable, "cannot be read: "+rerr.Detail), nil
	}
	if err != nil {
		return lock.Lock{}, err
	}
	l, _ := lock.Parse(id, out) // a malformed record comes back with its Problem set
	return l, nil
}

// LocalCLI is the CLI on a local repository (Dir set), where lockwatch
// deletes single lock files itself: restic cannot remove locks one by one.
type LocalCLI struct{ *CLI }

// RemoveLocks deletes exactly these lock files.
func (c LocalCLI) RemoveLocks(ctx context.Context, ids []string) error {
	var errs []error
	for _, id := range ids {
		if !reader.IsID(id) {
			errs = append(errs, fmt.Errorf("%q is not a lock ID", id))
			continue
		}
		if err := removeLockFile(filepath.Join(c.Dir, "locks", id)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeLockFile deletes a lock file restic wrote read-only. A file that is
// already gone was removed by its owner or someone else: the goal is met.
func removeLockFile(path string) error {
	// Windows refuses to delete read-only files; elsewhere this is harmless.
	_ = os.Chmod(path, 0o600)
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// UnlockStale runs `restic unlock`, which applies restic's own stale rule.
// Callers must first make sure that rule agrees with lockwatch's verdicts
// (see check.Checker.Unlock).
func (c *CLI) UnlockStale(ctx context.Context) error {
	_, err := c.run(ctx, "unlock", maxListOutput, "unlock")
	return err
}

// RemoveAll runs `restic unlock --remove-all`: every lock goes, live or not.
func (c *CLI) RemoveAll(ctx context.Context) error {
	_, err := c.run(ctx, "unlock --remove-all", maxListOutput, "unlock", "--remove-all")
	return err
}

// Bounds on what lockwatch reads of restic's output: whoever can write
// to the repository decides what restic prints.
const (
	maxLockOutput      = 64 << 10 // one lock's JSON: a few hundred bytes
	maxSnapshotsOutput = 4 << 20  // the latest snapshot of each host and paths
	maxListOutput      = 16 << 20 // IDs, 65 bytes a line
)

// errOutputTooLarge is restic printing more than run's bound.
var errOutputTooLarge = errors.New("output larger than lockwatch reads")

// run calls restic with args and returns its output, at most maxOut
// bytes of it; everything secret travels in the environment.
func (c *CLI) run(ctx context.Context, op string, maxOut int, args ...string) ([]byte, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bin := c.Binary
	if bin == "" {
		bin = "restic"
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = config.ResticEnviron(os.Environ(), c.Env)
	// restic's sftp backend starts ssh, which keeps our pipes open after
	// restic is killed; don't wait for it forever.
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	out := &limitedBuffer{max: maxOut, buf: &stdout, stop: true}
	cmd.Stdout = out
	cmd.Stderr = &limitedBuffer{max: 64 << 10, buf: &stderr}
	err := cmd.Run()
	if out.over {
		return nil, fmt.Errorf("restic %s: %w (%s)", op, errOutputTooLarge, humanize.IBytes(uint64(maxOut)))
	}
	if err == nil {
		return stdout.Bytes(), nil
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, &Error{Kind: KindTimeout, Op: op, ExitCode: -1, Detail: fmt.Sprintf("no answer within %s", timeout)}
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return nil, Classify(op, exitErr.ExitCode(), stderr.Bytes())
	}
	return nil, &Error{Kind: KindBinaryMissing, Op: op, ExitCode: -1, Detail: err.Error()}
}

// limitedBuffer keeps the first max bytes: enough for any error restic
// prints, without letting a runaway process fill memory. With stop, more
// than max fails the write, which closes the pipe: restic then dies of
// it rather than print on until its timeout.
type limitedBuffer struct {
	max  int
	buf  *bytes.Buffer
	stop bool
	over bool // more than max was written
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.buf.Len(); len(p) > room {
		p = p[:max(room, 0)]
		b.over = true
	}
	b.buf.Write(p)
	if b.over && b.stop {
		return len(p), errOutputTooLarge
	}
	return n, nil
}

// LatestSnapshot finds the newest snapshot matching host, all of tags and
// paths (empty: any), without taking a lock.
func (c *CLI) LatestSnapshot(ctx context.Context, host string, tags, paths []string) (time.Time, bool, error) {
	args := []string{"snapshots", "--json", "--no-lock", "--latest", "1"}
	if host != "" {
		args = append(args, "--host", host)
	}
	if len(tags) > 0 {
		args = append(args, "--tag", strings.Join(tags, ","))
	}
	for _, p := range paths {
		args = append(args, "--path", p)
	}
	out, err := c.run(ctx, "snapshots", maxSnapshotsOutput, args...)
	if err != nil {
		return time.Time{}, false, err
	}
	var snaps []struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(out, &snaps); err != nil {
		return time.Time{}, false, fmt.Errorf("restic snapshots: unexpected output: %v", err)
	}
	var latest time.Time
	for _, s := range snaps {
		if s.Time.After(latest) {
			latest = s.Time
		}
	}
	return latest, !latest.IsZero(), nil
}
