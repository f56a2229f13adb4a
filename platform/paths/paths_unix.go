//go:build !windows && !darwin

package paths

import (
	"os"
	"path/filepath"
)

func dataDir() (string, error) { return xdg("XDG_DATA_HOME", ".local/share") }

func stateDir() (string, error) { return xdg("XDG_STATE_HOME", ".local/state") }

// xdg follows the XDG base directory spec: the variable when it holds an
// absolute path, else the fallback under $HOME.
func xdg(env, fallback string) (string, error) {
	if dir := os.Getenv(env); filepath.IsAbs(dir) {
		return filepath.Join(dir, "lockwatch"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, fallback, "lockwatch"), nil
}
