package demotest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Mirror mounts a FUSE file system that passes everything through to a
// new temp dir (go-fuse's loopback) and returns the mount point: a
// directory on a file system that is not local disk, as an sshfs or
// rclone mount is. Needs root and /dev/fuse.
func Mirror(t testing.TB) string {
	t.Helper()
	RequireRoot(t, "mount a FUSE filesystem")
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Fatalf("a mirror needs FUSE: %v", err)
	}
	under, mnt := t.TempDir(), filepath.Join(t.TempDir(), "mirror")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := fs.NewLoopbackRoot(under)
	if err != nil {
		t.Fatal(err)
	}
	server, err := fs.Mount(mnt, root, &fs.Options{MountOptions: fuse.MountOptions{DirectMount: true, FsName: "lockwatch-mirror", Name: "mirror"}})
	if err != nil {
		t.Fatalf("mount a mirror at %s: %v", mnt, err)
	}
	t.Cleanup(func() {
		if err := server.Unmount(); err != nil {
			if derr := syscall.Unmount(mnt, syscall.MNT_DETACH); derr != nil {
				t.Errorf("unmount the mirror: %v; detach: %v", err, derr)
			}
		}
	})
	return mnt
}
