package paths

import (
	"os"
	"path/filepath"
)

func dataDir() (string, error) { return appSupport() }

func stateDir() (string, error) { return appSupport() }

func appSupport() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "Application Support", "lockwatch"), nil
}
