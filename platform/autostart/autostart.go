// Package autostart turns "Start at login" on and off for the tray app.
package autostart

import (
	"fmt"
	"path/filepath"
)

// Enabled reports whether the app starts at login.
func Enabled() (bool, error) { return enabled() }

// Enable makes exe (absolute path) with args start at login; Disable undoes it.
func Enable(exe string, args ...string) error {
	// Login starts programs with no working directory or PATH of ours, so a
	// relative name would not be found there.
	if !filepath.IsAbs(exe) {
		return fmt.Errorf("start at login: %q is not an absolute path", exe)
	}
	return enable(exe, args)
}

// Disable stops the app from starting at login. Disabling when it is not
// enabled is not an error.
func Disable() error { return disable() }
