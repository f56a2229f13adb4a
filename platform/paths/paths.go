// Package paths says where lockwatch keeps its files on each OS.
package paths

import (
	"os"
	"path/filepath"
)

// DataDir is where lockwatch keeps data it made for the user (the demo
// repository): $XDG_DATA_HOME/lockwatch on Linux, Application Support on
// macOS, %LocalAppData% on Windows.
func DataDir() (string, error) { return dataDir() }

// StateDir is where the service keeps its state and history.
func StateDir() (string, error) { return stateDir() }

// ConfigDir is where config.toml lives by default.
func ConfigDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "lockwatch"), nil
}
