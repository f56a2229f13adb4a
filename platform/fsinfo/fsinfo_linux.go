package fsinfo

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// networkMagic are the statfs f_type values of network file systems, from
// Linux's include/uapi/linux/magic.h and the file systems' own sources.
// FUSE is counted among them: sshfs, rclone mount and s3fs are FUSE, and a
// local FUSE file system is rare under a backup repository.
var networkMagic = map[int64]string{
	unix.NFS_SUPER_MAGIC:  "nfs",
	unix.SMB_SUPER_MAGIC:  "smb",
	unix.CIFS_SUPER_MAGIC: "cifs",
	unix.SMB2_SUPER_MAGIC: "smb2",
	unix.FUSE_SUPER_MAGIC: "fuse",
	unix.CEPH_SUPER_MAGIC: "ceph",
	unix.AFS_SUPER_MAGIC:  "afs",
	unix.AFS_FS_MAGIC:     "afs",
	unix.CODA_SUPER_MAGIC: "coda",
	unix.V9FS_MAGIC:       "9p",
	0x0bd00bd0:            "lustre", // LL_SUPER_MAGIC
	0x01161970:            "gfs2",   // GFS2_MAGIC
	0x7461636f:            "ocfs2",  // OCFS2_SUPER_MAGIC
}

func remoteFS(dir string) (string, bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "", false, fmt.Errorf("statfs %s: %w", dir, err)
	}
	kind, ok := networkMagic[int64(st.Type)]
	return kind, ok, nil
}
