package i18n_test

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/lockwatch/lockwatch/app/i18n"
	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

// The settings' language wins over the OS's (English here: make test sets
// LANGUAGE=en), for the tray's words, counts and dates alike.
func TestUseSpeaksTheChosenLanguage(t *testing.T) {
	if err := i18n.Use("fr"); err == nil {
		t.Error("a language lockwatch does not speak was accepted")
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.Local)
	st := check.Status{Repos: []check.RepoStatus{
		{Name: "nas", State: check.StateStale, CheckedAt: now, Locks: []check.LockStatus{{ID: "a1b2c3d4e5", Verdict: lock.Orphaned, AgeSeconds: 3 * 3600, PID: 42, Hostname: "mbp"}}},
		{Name: "usb", State: check.StateStale, CheckedAt: now},
	}}
	// The history's and notifications' details come from the service as IDs.
	summary, why := check.Summary(check.RepoStatus{State: check.StateStale, Locks: []check.LockStatus{{Verdict: lock.Orphaned}, {Verdict: lock.Live}}})
	detail := store.Event{Kind: store.KindState, To: "stale", Detail: summary, Why: why}
	for _, c := range []struct {
		language, quit, tooltip, date, detail string
	}{
		{"ja", "終了", "lockwatch: nas に古いロックがあります（3h）（ほか 1 件）", "3月4日 05:06", "孤立 1 件、使用中 1 件"},
		{"zh-Hans", "退出", "lockwatch：nas 有过期的锁（3h）（另有 1 个）", "3月4日 05:06", "孤立 1 个，使用中 1 个"},
		{"en", "Quit", "lockwatch: nas has a stale lock (3h) (and 1 more)", "Mar 4 05:06", "1 orphaned, 1 live"},
	} {
		if err := i18n.Use(c.language); err != nil {
			t.Fatal(err)
		}
		if got := lang.L("Quit"); got != c.quit {
			t.Errorf("%s: Quit is %q; want %q", c.language, got, c.quit)
		}
		if got := present.Tooltip(st); got != c.tooltip {
			t.Errorf("%s: tooltip %q; want %q", c.language, got, c.tooltip)
		}
		if got := present.DateTime(now); got != c.date {
			t.Errorf("%s: date %q; want %q", c.language, got, c.date)
		}
		if got := present.Detail(detail); got != c.detail {
			t.Errorf("%s: history detail %q; want %q", c.language, got, c.detail)
		}
		if got := present.StateWords(st.Repos[0]); !strings.Contains(got, "mbp") || !strings.Contains(got, "42") {
			t.Errorf("%s: state words %q lose their facts", c.language, got)
		}
	}
}
