package autostart

// This file is only compiled, never run, by the Linux test suite.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
)

// macOS starts every LaunchAgent in ~/Library/LaunchAgents at login. Enable
// and Disable only write and remove the file, without launchctl: loading it
// now would start a second tray next to the running one, and unloading it
// would make launchd stop the running tray it started at login.

func plistPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("start at login: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", launchAgentLabel+".plist"), nil
}

func enabled() (bool, error) {
	path, err := plistPath()
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start at login: %w", err)
	}
	return true, nil
}

func enable(exe string, args []string) error {
	path, err := plistPath()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, launchAgentPlist(exe, args), 0o644); err != nil {
		return fmt.Errorf("start at login: write %s: %w", path, err)
	}
	return nil
}

func disable() error {
	path, err := plistPath()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("start at login: %w", err)
	}
	return nil
}
