package tray

import (
	"syscall"

	"fyne.io/systray"

	"github.com/lockwatch/lockwatch/icons"
)

// runLoop shows the tray until quit closes; stop runs before it goes.
// The item is exported on the session bus before ready runs: with
// systray.Run, ready runs beside the export, and a tooltip or title set in
// between is lost.
func runLoop(ready func(), quit <-chan struct{}, stop func()) {
	start, end := systray.RunWithExternalLoop(nil, nil)
	start()
	ready()
	<-quit
	stop()
	end()
}

func setIcon(s icons.Status) { systray.SetIcon(icons.PNG(s)) }

// setTitle names the item (StatusNotifierItem's Title).
func setTitle(title string) { systray.SetTitle(title) }

// windowProcAttr ends the window process with the tray, even when the tray
// is killed.
func windowProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
