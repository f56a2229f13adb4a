package tray

import (
	"fyne.io/fyne/v2/lang"

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

// autoUnlockLevels are the choices of the Auto-unlock submenu.
var autoUnlockLevels = []config.AutoUnlock{config.AutoUnlockOff, config.AutoUnlockStale, config.AutoUnlockUnrefreshed}

// autoUnlockLabel is a level's label in the user's language.
func autoUnlockLabel(level config.AutoUnlock) string {
	switch level {
	case config.AutoUnlockStale:
		return lang.L("Stale locks (orphaned, expired)")
	case config.AutoUnlockUnrefreshed:
		return lang.L("Also locks left unrefreshed")
	}
	return lang.L("Off")
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
		unlock := item(lang.L("Unlock stale locks"), func() { do.Unlock(name) })
		unlock.Disabled = present.StaleCount(r) == 0
		var levels []*Item
		for _, level := range autoUnlockLevels {
			item := item(autoUnlockLabel(level), func() { do.SetAutoUnlock(name, level) })
			item.Checked = string(level) == r.AutoUnlock || (r.AutoUnlock == "" && level == config.AutoUnlockOff)
			levels = append(levels, item)
		}
		auto := item(lang.L("Auto-unlock"), nil)
		auto.Checked = r.AutoUnlock != "" && r.AutoUnlock != string(config.AutoUnlockOff)
		auto.Children = levels
		items = append(items,
			header,
			unlock,
			item(lang.L("Check now"), func() { do.Check(name) }),
			auto,
			item(lang.L("Details…"), func() { do.Details(name) }),
			separator(),
		)
	}
	if len(st.Repos) == 0 {
		// The main window offers what other backup tools know.
		items = append(items, item(lang.L("No repositories yet — find them…"), do.Import), separator())
	}
	login := item(lang.L("Start at login"), do.ToggleLogin)
	login.Checked = loginEnabled
	quit := item(lang.L("Quit"), do.Quit)
	return append(items,
		item(lang.L("Check all now"), do.CheckAll),
		item(lang.L("Open lockwatch"), do.Open),
		item(lang.L("Settings…"), do.Settings),
		login,
		separator(),
		quit,
	)
}
