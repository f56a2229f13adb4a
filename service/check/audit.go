package check

import (
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

// RecordRemovals writes the audit trail of an unlock: one entry per removed
// lock with its verdict, its reason and who asked ("auto", "tray", "notification", "cli", "api", "run").
func RecordRemovals(st *store.Store, res UnlockResult, by string) ([]store.Event, error) {
	if len(res.Removed) == 0 {
		return nil, nil
	}
	events := make([]store.Event, 0, len(res.Removed))
	for _, l := range res.Removed {
		events = append(events, store.Event{
			Repo: res.Repo, Kind: store.KindRemoval, By: by, Method: res.Method,
			Verdict: string(l.Verdict), Reason: l.Reason, Why: whyOf(l),
			Lock: &store.LockRecord{
				ID: l.ID, Time: l.Time, Hostname: l.Hostname, Username: l.Username,
				PID: l.PID, UID: l.UID, GID: l.GID, Exclusive: l.Exclusive,
			},
		})
	}
	return st.Append(events...)
}

// whyOf is a removed lock's reason as the history keeps it for the app.
func whyOf(l LockStatus) []lock.Why {
	if l.Why.ID == "" {
		return nil
	}
	return []lock.Why{l.Why}
}
