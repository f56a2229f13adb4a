//go:build !darwin

package app

import (
	"fyne.io/fyne/v2"

	"github.com/lockwatch/lockwatch/icons"
)

// trayIcon is the coloured status icon.
func trayIcon(s icons.Status) fyne.Resource {
	return fyne.NewStaticResource("lockwatch-"+string(s)+".png", icons.PNG(s))
}
