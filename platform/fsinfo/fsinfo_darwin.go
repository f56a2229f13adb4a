package fsinfo

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// macOS marks every mount that is not local, whatever its kind.
func remoteFS(dir string) (string, bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "", false, fmt.Errorf("statfs %s: %w", dir, err)
	}
	if st.Flags&unix.MNT_LOCAL != 0 {
		return "", false, nil
	}
	return unix.ByteSliceToString(st.Fstypename[:]), true, nil
}
