package check

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/reader"
	"github.com/lockwatch/lockwatch/service/restic"
)

// The kinds of RepoStatus.ErrorKind: what the app can name in its user's
// language before the error's own (technical, English) words.
const (
	ErrorRepoMissing   = "repo-missing"
	ErrorWrongPassword = "wrong-password"
	ErrorResticMissing = "restic-missing"
	ErrorTimeout       = "timeout"
)

// errorKind is the ErrorKind of err, "" for any other error.
func errorKind(err error) string {
	switch {
	case errors.Is(err, reader.ErrRepoMissing):
		return ErrorRepoMissing
	case errors.Is(err, reader.ErrWrongPassword):
		return ErrorWrongPassword
	case errors.Is(err, restic.ErrBinaryMissing):
		return ErrorResticMissing
	case errors.Is(err, restic.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return ErrorTimeout
	}
	return ""
}

// The IDs of a state change's detail in the history (store.Event.Why).
const (
	WhyLocks   = "locks"    // a count per verdict: "orphaned": "1", "live": "2"
	WhyNoLocks = "no-locks" // none
	WhyError   = "error"    // Error (English), Kind (ErrorKind)
	// A failed state's detail is its FailureWhy.
)

// SummaryVerdicts is the order a summary counts locks in, the worst first:
// the app counts in the same order, so that its English is the CLI's.
var SummaryVerdicts = []lock.Verdict{lock.Orphaned, lock.Expired, lock.Unrefreshed, lock.Invalid, lock.Live, lock.Fresh, Unread}

// Summary is a repository's state in a few words for the history, in
// English ("1 orphaned, 1 live", the error, why it failed) and as message
// IDs with their facts, for the app to say in its user's language.
func Summary(st RepoStatus) (string, []lock.Why) {
	switch {
	case st.Error != "":
		return st.Error, []lock.Why{{ID: WhyError, Facts: map[string]string{"Error": st.Error, "Kind": st.ErrorKind}}}
	case st.State == StateFailed && st.Failure != "":
		return st.Failure, st.FailureWhy
	}
	n := map[lock.Verdict]int{}
	for _, l := range st.Locks {
		n[l.Verdict]++
	}
	var parts []string
	facts := map[string]string{}
	for _, v := range SummaryVerdicts {
		if n[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[v], v))
			facts[string(v)] = strconv.Itoa(n[v])
		}
	}
	if len(parts) == 0 {
		return "no locks", []lock.Why{{ID: WhyNoLocks}}
	}
	return strings.Join(parts, ", "), []lock.Why{{ID: WhyLocks, Facts: facts}}
}

// LastKnown is a repository's status as the history last recorded it (its
// state and Summary's detail), shown until it is checked again: a failed
// repository still says why, an error what it was.
func LastKnown(name, state, detail string, why []lock.Why) RepoStatus {
	st := RepoStatus{Name: name, State: State(state), Locks: []LockStatus{}}
	switch st.State {
	case StateError:
		st.Error = detail
		if len(why) == 1 && why[0].ID == WhyError {
			st.ErrorKind = why[0].Facts["Kind"]
		}
	case StateFailed:
		// A failed state written before its detail said why (it held the
		// lock counts then) says nothing rather than something wrong.
		if len(why) > 0 && why[0].ID != WhyLocks && why[0].ID != WhyNoLocks {
			st.Failure, st.FailureWhy = detail, why
		}
	}
	return st
}
