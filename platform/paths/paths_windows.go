package paths

import (
	"errors"
	"os"
	"path/filepath"
)

func dataDir() (string, error) { return localAppData() }

func stateDir() (string, error) { return localAppData() }

// localAppData is per user and per machine: state about this machine's
// locks must not roam to another one.
func localAppData() (string, error) {
	dir := os.Getenv("LOCALAPPDATA")
	if dir == "" {
		return "", errors.New("%LocalAppData% is not set")
	}
	return filepath.Join(dir, "lockwatch"), nil
}
