package fsinfo

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// A mapped network drive or a UNC path (\\server\share) is remote.
func remoteFS(dir string) (string, bool, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false, err
	}
	root := filepath.VolumeName(abs) + `\`
	p, err := windows.UTF16PtrFromString(root)
	if err != nil {
		return "", false, err
	}
	switch windows.GetDriveType(p) {
	case windows.DRIVE_REMOTE:
		return "a network drive", true, nil
	case windows.DRIVE_NO_ROOT_DIR:
		return "", false, fmt.Errorf("%s: no such drive", root)
	}
	return "", false, nil
}
