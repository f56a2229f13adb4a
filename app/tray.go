package app

import (
	"fyne.io/fyne/v2"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
)

// Actions are what the tray menu's items do.
type Actions struct {
	Unlock        func(repo string) // remove the stale locks
	Check         func(repo string)
	SetAutoUnlock func(repo string, level config.AutoUnlock)
	Details       func(repo string) // open the main window on the repo
	CheckAll      func()
	Open          func()
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
func TrayMenu(st check.Status, loginEnabled bool, note string, do Actions) []*fyne.MenuItem {
	var items []*fyne.MenuItem
	if note != "" {
		n := fyne.NewMenuItem(menuLabel(note), nil)
		n.Disabled = true
		items = append(items, n, fyne.NewMenuItemSeparator())
	}
	if notice := NoticeLine(st); notice != "" {
		// The menu has room for the start of it; a click opens the window,
		// which shows it whole.
		items = append(items, fyne.NewMenuItem(menuLabel(shorten(notice, noticeShort)), do.Open), fyne.NewMenuItemSeparator())
	}
	for _, r := range st.Repos {
		name := r.Name
		header := fyne.NewMenuItem(menuLabel(RepoLabel(r)), func() { do.Details(name) })
		unlock := fyne.NewMenuItem("Unlock stale locks", func() { do.Unlock(name) })
		unlock.Disabled = StaleCount(r) == 0
		var levels []*fyne.MenuItem
		for _, l := range autoUnlockLevels {
			level := l.Level
			item := fyne.NewMenuItem(l.Label, func() { do.SetAutoUnlock(name, level) })
			item.Checked = string(level) == r.AutoUnlock || (r.AutoUnlock == "" && level == config.AutoUnlockOff)
			levels = append(levels, item)
		}
		auto := fyne.NewMenuItem("Auto-unlock", nil)
		auto.Checked = r.AutoUnlock != "" && r.AutoUnlock != string(config.AutoUnlockOff)
		auto.ChildMenu = fyne.NewMenu("", levels...)
		items = append(items,
			header,
			unlock,
			fyne.NewMenuItem("Check now", func() { do.Check(name) }),
			auto,
			fyne.NewMenuItem("Details…", func() { do.Details(name) }),
			fyne.NewMenuItemSeparator(),
		)
	}
	if len(st.Repos) == 0 {
		none := fyne.NewMenuItem("No repositories yet — add one in Settings", nil)
		none.Disabled = true
		items = append(items, none, fyne.NewMenuItemSeparator())
	}
	login := fyne.NewMenuItem("Start at login", do.ToggleLogin)
	login.Checked = loginEnabled
	quit := fyne.NewMenuItem("Quit", do.Quit)
	quit.IsQuit = true
	return append(items,
		fyne.NewMenuItem("Check all now", do.CheckAll),
		fyne.NewMenuItem("Open lockwatch", do.Open),
		fyne.NewMenuItem("Settings…", do.Settings),
		login,
		fyne.NewMenuItemSeparator(),
		quit,
	)
}
