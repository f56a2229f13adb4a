// Package autostart turns "Start at login" on and off for the tray app.
package autostart

import (
	"fmt"
	"os"
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

// writeFileAtomic replaces path with data through a temporary file and a
// rename, so a crash or full disk never leaves a half-written entry for the
// login session to run.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	// CreateTemp makes the file 0600; session managers read entries as the
	// user, but other tools (and the user's expectations) want the usual mode.
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
