// Package trayhost tells whether the desktop can show a tray icon at all.
package trayhost

// Available returns nil when a tray (status notifier) host runs, else a
// *Missing saying why not.
func Available() error { return available() }

// Missing is why no tray icon can be shown: what is missing, and the
// error behind it, if any. The app says What in its user's language;
// Error is the same in English.
type Missing struct {
	What Missed
	Err  error
}

// Missed is what the desktop lacks.
type Missed int

const (
	NoBus  Missed = iota // no usable D-Bus session bus (Err says why)
	NoHost               // nothing owns the StatusNotifierWatcher name
)

// Watcher is the bus name that tray hosts (KDE, XFCE, GNOME's AppIndicator
// extension, waybar...) own; fyne.io/systray registers its icon with it.
const Watcher = "org.kde.StatusNotifierWatcher"

func (m *Missing) Error() string {
	if m.What == NoHost {
		return "this desktop shows no tray icons (nothing provides " + Watcher +
			"; on GNOME, install the AppIndicator extension), so lockwatch opens this window instead"
	}
	return "no usable D-Bus session bus, so no tray icon can be shown (" + m.Err.Error() + ")"
}
