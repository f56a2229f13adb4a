package trayhost

import (
	"github.com/godbus/dbus/v5"
)

// watcher is the bus name that tray hosts (KDE, XFCE, GNOME's AppIndicator
// extension, waybar...) own; fyne.io/systray registers its icon with it.
const watcher = "org.kde.StatusNotifierWatcher"

func available() (bool, string) {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return false, "no D-Bus session bus, so no tray icon can be shown (" + err.Error() + ")"
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false, "cannot use the D-Bus session bus: " + err.Error()
	}
	if err := conn.Hello(); err != nil {
		return false, "cannot use the D-Bus session bus: " + err.Error()
	}
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcher).Store(&owned); err != nil {
		return false, "cannot ask the D-Bus session bus for a tray: " + err.Error()
	}
	if !owned {
		return false, "this desktop shows no tray icons (nothing provides " + watcher +
			"; on GNOME, install the AppIndicator extension), so lockwatch opens this window instead"
	}
	return true, ""
}
