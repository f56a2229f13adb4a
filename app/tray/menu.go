package tray

import (
	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
)

// Item is one entry of the tray menu as a plain value: the tests read it
// without a tray host, and show draws it with fyne.io/systray.
type Item struct {
	Label       string
	Action      func() // nil for a line that only informs
	Disabled    bool
	Checked     bool
	IsSeparator bool
	Children    []*Item // a submenu
}

func item(label string, action func()) *Item { return &Item{Label: label, Action: action} }

func separator() *Item { return &Item{IsSeparator: true} }

// Actions are what the tray menu's items do.
type Actions struct {
	Unlock        func(repo string) // remove the stale locks
	Check         func(repo string)
	SetAutoUnlock func(repo string, level config.AutoUnlock)
	Details       func(repo string) // open the main window on the repo
	CheckAll      func()
	Open          func()
	Import        func() // find the repositories other backup tools know
	Settings      func()
	ToggleLogin   func()
	Quit          func()
}

// autoUnlockLevels are the choices of the Auto-unlock submenu, with the words users see.
var autoUnlockLevels = []struct {
	Level config.AutoUnlock
	Label string
}{
	{config.AutoUnlockOff, "Off"},
	{config.AutoUnlockStale, "Stale locks (orphaned, expired)"},
	{config.AutoUnlockUnrefreshed, "Also locks left unrefreshed"},
}

// TrayMenu builds the tray menu for st: a section per repository — its
// state in words, then its actions — and the app's own items.
func TrayMenu(st check.Status, loginEnabled bool, note string, do Actions) []*Item {
	var items []*Item
	if note != "" {
		n := item(menuLabel(note), nil)
		n.Disabled = true
		items = append(items, n, separator())
	}
	if notice := present.ShortNotice(st); notice != "" {
		// The menu has room for the start of it; a click opens the window,
		// which shows it whole.
		items = append(items, item(menuLabel(notice), do.Open), separator())
	}
	for _, r := range st.Repos {
		name := r.Name
		header := item(menuLabel(present.RepoLabel(r)), func() { do.Details(name) })
		unlock := item("Unlock stale locks", func() { do.Unlock(name) })
		unlock.Disabled = present.StaleCount(r) == 0
		var levels []*Item
		for _, l := range autoUnlockLevels {
			level := l.Level
			item := item(l.Label, func() { do.SetAutoUnlock(name, level) })
			item.Checked = string(level) == r.AutoUnlock || (r.AutoUnlock == "" && level == config.AutoUnlockOff)
			levels = append(levels, item)
		}
		auto := item("Auto-unlock", nil)
		auto.Checked = r.AutoUnlock != "" && r.AutoUnlock != string(config.AutoUnlockOff)
		auto.Children = levels
		items = append(items,
			header,
			unlock,
			item("Check now", func() { do.Check(name) }),
			auto,
			item("Details…", func() { do.Details(name) }),
			separator(),
		)
	}
	if len(st.Repos) == 0 {
		// The main window offers what other backup tools know.
		items = append(items, item("No repositories yet — find them…", do.Import), separator())
	}
	login := item("Start at login", do.ToggleLogin)
	login.Checked = loginEnabled
	quit := item("Quit", do.Quit)
	return append(items,
		item("Check all now", do.CheckAll),
		item("Open lockwatch", do.Open),
		item("Settings…", do.Settings),
		login,
		separator(),
		quit,
	)
}
