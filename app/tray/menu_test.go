package tray

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lockwatch/lockwatch/app/apptest"
	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
)

// recorder records which tray action ran, and with which repository.
type recorder struct{ calls []string }

func (r *recorder) actions() Actions {
	rec := func(what string) func() { return func() { r.calls = append(r.calls, what) } }
	repo := func(what string) func(string) {
		return func(name string) { r.calls = append(r.calls, what+" "+name) }
	}
	return Actions{
		Unlock: repo("unlock"), Check: repo("check"), Details: repo("details"),
		SetAutoUnlock: func(name string, level config.AutoUnlock) {
			r.calls = append(r.calls, "auto-unlock "+name+" "+string(level))
		},
		CheckAll: rec("check all"), Open: rec("open"), Import: rec("import"), Settings: rec("settings"),
		ToggleLogin: rec("login"), Quit: rec("quit"),
	}
}

// section returns the items of the repository whose header starts with name.
func section(t *testing.T, items []*Item, name string) []*Item {
	t.Helper()
	for i, it := range items {
		if strings.HasPrefix(it.Label, name+" — ") {
			end := i + 1
			for end < len(items) && !items[end].IsSeparator {
				end++
			}
			return items[i:end]
		}
	}
	t.Fatalf("no section for %s", name)
	return nil
}

func menuLabels(items []*Item) string {
	var l []string
	for _, it := range items {
		if it.IsSeparator {
			l = append(l, "---")
			continue
		}
		l = append(l, it.Label)
	}
	return strings.Join(l, " | ")
}

func TestTrayMenu(t *testing.T) {
	var rec recorder
	items := TrayMenu(apptest.Status(), true, "", rec.actions())

	nas := section(t, items, "nas")
	if got, want := menuLabels(nas[1:]), "Unlock stale locks | Check now | Auto-unlock | Details…"; got != want {
		t.Errorf("nas section %q, want %q", got, want)
	}
	if !strings.HasPrefix(nas[0].Label, "nas — stale lock (3h, PID 69387 on mbp") {
		t.Errorf("nas header %q", nas[0].Label)
	}
	if nas[1].Disabled || nas[3].Checked {
		t.Errorf("nas: unlock disabled %v, auto-unlock checked %v", nas[1].Disabled, nas[3].Checked)
	}
	usb := section(t, items, "usb")
	if !usb[1].Disabled {
		t.Error("Unlock stale locks is enabled on a repo without stale locks")
	}
	if !usb[3].Checked {
		t.Error("usb's auto-unlock is stale, but the item is not checked")
	}
	// The level submenu marks usb's level, and choosing one says which.
	var checked []string
	for _, l := range usb[3].Children {
		if l.Checked {
			checked = append(checked, l.Label)
		}
	}
	if len(checked) != 1 || checked[0] != "Stale locks (orphaned, expired)" {
		t.Errorf("usb's levels checked: %v", checked)
	}
	usb[3].Children[2].Action()
	nas[1].Action()
	nas[2].Action()
	nas[4].Action()
	nas[0].Action()

	tail := items[len(items)-6:]
	if got, want := menuLabels(tail), "Check all now | Open lockwatch | Settings… | Start at login | --- | Quit"; got != want {
		t.Errorf("app items %q, want %q", got, want)
	}
	if !tail[3].Checked {
		t.Error("Start at login is not checked")
	}
	for _, it := range tail {
		if it.Action != nil {
			it.Action()
		}
	}
	want := "auto-unlock usb unrefreshed, unlock nas, check nas, details nas, details nas, check all, open, settings, login, quit"
	if got := strings.Join(rec.calls, ", "); got != want {
		t.Errorf("actions ran:\n%s\nwant\n%s", got, want)
	}
}

// The checks run inside the app: the menu says so first.
func TestTrayMenuNoteAndNoRepos(t *testing.T) {
	var rec recorder
	items := TrayMenu(check.Status{}, false, "Checks run inside this app", rec.actions())
	if got, want := menuLabels(items), "Checks run inside this app | --- | No repositories yet — find them… | --- | Check all now | Open lockwatch | Settings… | Start at login | --- | Quit"; got != want {
		t.Errorf("menu %q, want %q", got, want)
	}
	if !items[0].Disabled || items[2].Disabled || items[7].Checked {
		t.Error("the note must be disabled, the no-repos line enabled, Start at login unchecked")
	}
	// The no-repos line opens the import of what other backup tools know.
	items[2].Action()
	if got := strings.Join(rec.calls, ", "); got != "import" {
		t.Errorf("the no-repos line did %q; want import", got)
	}
}

// The tray has the start of the notice at the top of its menu (a click
// opens the window, which shows it whole) and on its tooltip's second line.
func TestTrayShowsTheServiceNotice(t *testing.T) {
	st := apptest.Status()
	st.Notice = apptest.StoreNotice
	var rec recorder
	items := TrayMenu(st, false, "", rec.actions())
	first := items[0].Label
	if !strings.HasPrefix(first, "Note: /var/lib/lockwatch/state.db: not a lockwatch state file") || !strings.HasSuffix(first, "…") ||
		utf8.RuneCountInString(first) != 100 || !items[1].IsSeparator {
		t.Errorf("the menu starts %q, want the notice's start", menuLabels(items[:2]))
	}
	if items[0].Disabled || items[0].Action == nil {
		t.Fatal("the notice's item does nothing")
	}
	items[0].Action()
	if len(rec.calls) != 1 || rec.calls[0] != "open" {
		t.Errorf("a click on the notice did %q, want open", rec.calls)
	}
	if !strings.HasPrefix(menuLabels(items[2:]), "nas — ") {
		t.Errorf("the repositories do not follow the notice: %q", menuLabels(items))
	}

	tip := present.Tooltip(st)
	summary, note, ok := strings.Cut(tip, "\n")
	if !ok || summary != present.Tooltip(apptest.Status()) || note != first {
		t.Errorf("tooltip %q, want the summary, then %q", tip, first)
	}

	st.Notice = ""
	if items := TrayMenu(st, false, "", rec.actions()); strings.HasPrefix(items[0].Label, "Note:") {
		t.Error("the menu keeps a notice the service no longer sends")
	}
}
