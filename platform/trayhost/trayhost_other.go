//go:build !linux

package trayhost

// Windows and macOS always have a notification area / menu bar.
func available() error { return nil }
