package check

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/reader"
)

// UnlockOptions says which locks to remove. The zero value removes the
// locks judged orphaned or expired, and nothing else.
type UnlockOptions struct {
	IDs   []string // full IDs or unique prefixes; empty means every stale lock
	Force bool     // with IDs: remove them even when judged live or fresh
	All   bool     // every lock whatever its verdict (`restic unlock --remove-all`)
	// Verdicts, without IDs, names the verdicts to remove instead of
	// orphaned and expired (auto-unlock adds unrefreshed). Live and fresh
	// are ignored here: only a person naming a lock can remove those.
	Verdicts []lock.Verdict
}

// Unread is the verdict of a listed lock not read yet (see
// RepoStatus.UnreadLocks): only UnlockOptions.All removes one.
const Unread lock.Verdict = "unread"

// UnlockResult lists what went and what stayed, each with its verdict.
type UnlockResult struct {
	Repo    string       `json:"repo"`
	Method  string       `json:"method"` // how the locks were removed, "" when nothing was to be done
	Removed []LockStatus `json:"removed"`
	Kept    []LockStatus `json:"kept"`
}

// RefusedError means lockwatch would not remove locks, and why.
type RefusedError struct {
	Repo string
	Why  string
	Hint string
	// Refusal is Why and Hint as a message ID and its facts, for the app
	// to say in its user's language (the CLI's hint names CLI flags).
	Refusal lock.Why
}

// The IDs of the refusals (RefusedError.Refusal), with their facts. Where
// a judged lock is the reason, its own reason's facts come too, with its
// ID as ReasonID and its English as Reason.
const (
	RefusedUnread      = "unread-locks"      // Count
	RefusedInUse       = "lock-in-use"       // Lock, Verdict, the lock's reason
	RefusedUninspected = "uninspectable"     // Lock, PID, Error
	RefusedPIDReused   = "pid-reused"        // Lock, PID, Name
	RefusedWouldTake   = "would-remove-live" // Lock, Verdict, the lock's reason
	RefusedWouldLeave  = "would-not-remove"  // Lock, Verdict, the lock's reason
)

// refusal is a refusal's ID and facts; a judged lock's verdict and
// reason are added when l is given.
func refusal(id string, l *LockStatus, facts map[string]string) lock.Why {
	if facts == nil {
		facts = map[string]string{}
	}
	if l != nil {
		for k, v := range l.Why.Facts {
			facts[k] = v
		}
		facts["Lock"], facts["Verdict"] = l.ShortID(), string(l.Verdict)
		facts["ReasonID"], facts["Reason"] = l.Why.ID, l.Reason
	}
	return lock.Why{ID: id, Facts: facts}
}

func (e *RefusedError) Error() string {
	msg := e.Repo + ": " + e.Why
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Unlock checks the repository and removes the locks opts selects. It
// never removes a lock judged live or fresh unless opts.Force or opts.All
// says so for that lock.
func (c *Checker) Unlock(ctx context.Context, r *config.Repo, opts UnlockOptions) (UnlockResult, error) {
	res := UnlockResult{Repo: r.Name, Removed: []LockStatus{}, Kept: []LockStatus{}}
	// Named locks are read first, so that one among thousands of unread
	// locks can be judged and removed.
	st, d, lr := c.check(ctx, r, opts.IDs)
	if st.State == StateError {
		return res, errors.New(r.Name + ": " + st.Error)
	}
	locks, judged := lr.locks, st.Locks
	if opts.All {
		// Every lock means every lock listed, read or not, as with
		// `restic unlock --remove-all`. Without All, an unread lock is
		// never removed: nothing is known of it.
		judged = slices.Clone(judged)
		for _, id := range lr.unread {
			judged = append(judged, LockStatus{ID: id, Verdict: Unread, Reason: "not read yet (too many locks to read in one check)"})
		}
	}
	targets, err := selectTargets(r.Name, judged, opts)
	if err != nil {
		return res, err
	}
	if len(targets) == 0 {
		res.Kept = judged
		return res, nil
	}
	ids := make([]string, 0, len(targets))
	for id := range targets {
		ids = append(ids, id)
	}
	exact, canExact := d.(reader.ExactRemover)
	restic, canRestic := d.(reader.ResticUnlocker)
	switch {
	case canExact:
		res.Method = "deleted lock files"
		if err := exact.RemoveLocks(ctx, ids); err != nil {
			return res, fmt.Errorf("%s: %w", r.Name, err)
		}
	case canRestic && opts.All:
		res.Method = "restic unlock --remove-all"
		if err := restic.RemoveAll(ctx); err != nil {
			return res, fmt.Errorf("%s: %w", r.Name, err)
		}
	case canRestic && len(lr.unread) > 0:
		// restic's rule would judge the unread locks too, by its own
		// lights: it could remove one lockwatch would keep, or SIGHUP a
		// process that merely reused a lock's PID.
		return res, &RefusedError{Repo: r.Name,
			Why:     fmt.Sprintf("%d locks are not read yet, and restic unlock would judge them by its own rule", len(lr.unread)),
			Hint:    "later checks read them; unlock again then",
			Refusal: refusal(RefusedUnread, nil, map[string]string{"Count": strconv.Itoa(len(lr.unread))})}
	case canRestic:
		willRemove, err := c.resticUnlockIsSafe(r.Name, st.Locks, locks, targets)
		if err != nil {
			return res, err
		}
		// restic's rule takes every lock it finds stale, not only ours;
		// all of them were judged stale, and all are reported and audited.
		maps.Copy(targets, willRemove)
		res.Method = "restic unlock"
		if err := restic.UnlockStale(ctx); err != nil {
			return res, fmt.Errorf("%s: %w", r.Name, err)
		}
	default:
		return res, fmt.Errorf("%s: the %s reader cannot remove locks", r.Name, d.Name())
	}
	// Report what is really gone, not what we meant to remove.
	left, err := d.ListLocks(ctx)
	if err != nil {
		return res, fmt.Errorf("%s: removed locks, but could not list what is left: %w", r.Name, err)
	}
	remaining := map[string]bool{}
	for _, id := range left {
		remaining[id] = true
	}
	for _, ls := range judged {
		switch {
		case remaining[ls.ID]:
			res.Kept = append(res.Kept, ls)
		case targets[ls.ID]:
			res.Removed = append(res.Removed, ls)
		}
		// A lock that vanished without being a target was released by its
		// owner (finished, or refreshed under a new ID): not ours to report.
	}
	for _, ls := range res.Kept {
		if targets[ls.ID] {
			return res, fmt.Errorf("%s: lock %s is still there after %s", r.Name, ls.ShortID(), res.Method)
		}
	}
	return res, nil
}

// selectTargets picks the lock IDs to remove.
func selectTargets(repo string, locks []LockStatus, opts UnlockOptions) (map[string]bool, error) {
	targets := map[string]bool{}
	switch {
	case opts.All:
		for _, l := range locks {
			targets[l.ID] = true
		}
	case len(opts.IDs) == 0:
		remove := func(v lock.Verdict) bool { return v.Stale() }
		if opts.Verdicts != nil {
			remove = func(v lock.Verdict) bool {
				return v != lock.Live && v != lock.Fresh && slices.Contains(opts.Verdicts, v)
			}
		}
		for _, l := range locks {
			if remove(l.Verdict) {
				targets[l.ID] = true
			}
		}
	default:
		for _, want := range opts.IDs {
			l, err := findLock(repo, locks, want)
			if err != nil {
				return nil, err
			}
			if (l.Verdict == lock.Live || l.Verdict == lock.Fresh) && !opts.Force {
				return nil, &RefusedError{Repo: repo,
					Why:     fmt.Sprintf("lock %s is %s: %s", l.ShortID(), l.Verdict, l.Reason),
					Hint:    "removing it can let a prune delete data that running backup still needs; add --force if you are sure it is dead",
					Refusal: refusal(RefusedInUse, &l, nil)}
			}
			targets[l.ID] = true
		}
	}
	return targets, nil
}

// Errors of a lock ID asked for: none or several locks have it.
var (
	ErrNoSuchLock    = errors.New("no lock with ID")
	ErrAmbiguousLock = errors.New("ambiguous lock ID")
)

func findLock(repo string, locks []LockStatus, prefix string) (LockStatus, error) {
	prefix = strings.ToLower(prefix)
	var found []LockStatus
	for _, l := range locks {
		if strings.HasPrefix(l.ID, prefix) {
			found = append(found, l)
		}
	}
	switch {
	case prefix == "":
		return LockStatus{}, fmt.Errorf("%s: empty lock ID", repo)
	case len(found) == 0:
		return LockStatus{}, fmt.Errorf("%s: %w %s (it may have been refreshed or removed, or not be read yet among many; run `lockwatch check %s`)", repo, ErrNoSuchLock, prefix, repo)
	case len(found) > 1:
		return LockStatus{}, fmt.Errorf("%s: %w %s (%d locks start with it); give more digits", repo, ErrAmbiguousLock, prefix, len(found))
	}
	return found[0], nil
}

// resticUnlockIsSafe decides whether plain `restic unlock` removes exactly
// what lockwatch means to remove, by predicting restic's own rule:
// it removes every lock older than 30 minutes, and every lock of its own
// host whose PID it cannot signal with SIGHUP. Two things make that unsafe:
// a lock restic would remove that lockwatch judged in use, and a same-host
// PID that belongs to some other program now, which restic's SIGHUP could kill.
func (c *Checker) resticUnlockIsSafe(repo string, judged []LockStatus, locks []lock.Lock, targets map[string]bool) (willRemove map[string]bool, err error) {
	host, err := os.Hostname() // restic's view, not the configured override
	if err != nil {
		return nil, fmt.Errorf("%s: cannot tell this machine's host name, which restic unlock would use: %w", repo, err)
	}
	now := c.Now()
	willRemove = map[string]bool{}
	for i, l := range locks {
		j := judged[i]
		if l.Problem != "" {
			continue // restic's plain unlock skips files it cannot read
		}
		if now.Sub(l.Time) > lock.StaleAfter {
			willRemove[l.ID] = true
			continue
		}
		if l.Hostname != host {
			continue
		}
		p, err := c.Probe(l.PID)
		switch {
		case err != nil:
			return nil, &RefusedError{Repo: repo, Why: fmt.Sprintf("cannot inspect process %d of lock %s (%v), so cannot predict what restic unlock would do", l.PID, j.ShortID(), err),
				Refusal: refusal(RefusedUninspected, nil, map[string]string{"Lock": j.ShortID(), "PID": strconv.Itoa(l.PID), "Error": err.Error()})}
		case !p.Exists || p.StartTime.IsZero():
			// Gone, or not ours to signal (EPERM): restic calls both stale.
			willRemove[l.ID] = true
		case !lock.IsRestic(p.Name):
			return nil, &RefusedError{Repo: repo,
				Why:     fmt.Sprintf("lock %s names PID %d, which now belongs to '%s'; restic unlock would send that process SIGHUP, which can kill it", j.ShortID(), l.PID, p.Name),
				Hint:    fmt.Sprintf("wait until PID %d has ended, or remove the lock with `lockwatch unlock %s --all --yes` if no restic runs anywhere on this repository", l.PID, repo),
				Refusal: refusal(RefusedPIDReused, nil, map[string]string{"Lock": j.ShortID(), "PID": strconv.Itoa(l.PID), "Name": p.Name})}
		}
	}
	for i, l := range locks {
		j := judged[i]
		switch {
		case willRemove[l.ID] && !j.Verdict.Stale():
			return nil, &RefusedError{Repo: repo,
				Why:     fmt.Sprintf("restic unlock would also remove lock %s, which lockwatch judged %s: %s", j.ShortID(), j.Verdict, j.Reason),
				Hint:    "wait for that restic to finish, then unlock again",
				Refusal: refusal(RefusedWouldTake, &j, nil)}
		case targets[l.ID] && !willRemove[l.ID]:
			return nil, &RefusedError{Repo: repo,
				Why:     fmt.Sprintf("restic unlock would not remove lock %s (%s: %s), and this backend cannot delete single lock files", j.ShortID(), j.Verdict, j.Reason),
				Hint:    fmt.Sprintf("use `lockwatch unlock %s --all --yes` if no restic runs anywhere on this repository", repo),
				Refusal: refusal(RefusedWouldLeave, &j, nil)}
		}
	}
	return willRemove, nil
}
