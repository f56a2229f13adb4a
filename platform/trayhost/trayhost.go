// Package trayhost tells whether the desktop can show a tray icon at all.
package trayhost

// Available reports whether a tray (status notifier) host runs; when it
// does not, reason says why in words a user understands.
func Available() (ok bool, reason string) { return available() }
