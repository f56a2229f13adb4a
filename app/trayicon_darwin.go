package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/lockwatch/lockwatch/icons"
)

// trayIcon is a template image on macOS, which the menu bar tints for
// light and dark mode (Fyne passes themed resources on as templates).
func trayIcon(s icons.Status) fyne.Resource {
	return theme.NewThemedResource(fyne.NewStaticResource("lockwatch-"+string(s)+".png", icons.TemplatePNG(s)))
}

// setTrayTitle does nothing: on macOS a tray title is text beside the icon
// in the menu bar, which lockwatch does not want (Fyne sets none there either).
func setTrayTitle(string) {}
