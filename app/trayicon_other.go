//go:build !darwin

package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/systray"

	"github.com/lockwatch/lockwatch/icons"
)

// trayIcon is the coloured status icon.
func trayIcon(s icons.Status) fyne.Resource {
	return fyne.NewStaticResource("lockwatch-"+string(s)+".png", icons.PNG(s))
}

// setTrayTitle names the tray item (StatusNotifierItem's Title on Linux;
// nothing visible on Windows).
func setTrayTitle(title string) { systray.SetTitle(title) }
