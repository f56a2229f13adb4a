package present

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/store"
)

// Detail is what a state change of the history says about the new state
// ("1 orphaned, 1 live", an error, why backups failed) in the user's
// language, from the IDs the service stored with it; the stored English
// for an entry written before there were any.
func Detail(e store.Event) string {
	if len(e.Why) == 0 {
		return e.Detail
	}
	switch e.Why[0].ID {
	case check.WhyNoLocks:
		return lang.L("no locks")
	case check.WhyLocks:
		return lockCounts(e.Why[0].Facts)
	case check.WhyError:
		return CheckError(e.Why[0].Facts["Error"], e.Why[0].Facts["Kind"])
	}
	return failure(e.Why, e.Detail)
}

// LockCounts says how many of locks have each verdict: "2 orphaned, 1 live".
func LockCounts(locks []check.LockStatus) string {
	counts := map[string]string{}
	for _, l := range locks {
		n, _ := strconv.Atoi(counts[string(l.Verdict)])
		counts[string(l.Verdict)] = strconv.Itoa(n + 1)
	}
	return lockCounts(counts)
}

// lockCounts says how many locks of each verdict there are: "1 orphaned,
// 1 live" (the facts map a verdict to its count).
func lockCounts(counts map[string]string) string {
	var parts []string
	for _, v := range check.SummaryVerdicts {
		if n, _ := strconv.Atoi(counts[string(v)]); n > 0 {
			parts = append(parts, lang.N("{{.Count}} {{.Verdict}}", n, facts{"Count": n, "Verdict": VerdictName(v)}))
		}
	}
	return strings.Join(parts, lang.X("list.separator", ", "))
}

// CheckError is why a repository cannot be checked: the error's own words
// (technical, from restic or the network, so English), after what they
// mean in the user's language where the service named its kind.
func CheckError(text, kind string) string {
	f := facts{"Error": text}
	switch kind {
	case check.ErrorRepoMissing:
		return lang.X("error.repo-missing", "{{.Error}}", f)
	case check.ErrorWrongPassword:
		return lang.X("error.wrong-password", "{{.Error}}", f)
	case check.ErrorResticMissing:
		return lang.X("error.restic-missing", "{{.Error}}", f)
	case check.ErrorTimeout:
		return lang.X("error.timeout", "{{.Error}}", f)
	}
	return text
}

// RemovalReason is why a removed lock was removed (its verdict's reason),
// in the user's language; the stored English for an older entry.
func RemovalReason(e store.Event) string {
	if len(e.Why) == 0 {
		return e.Reason
	}
	return reason(e.Why[0], e.Reason)
}
