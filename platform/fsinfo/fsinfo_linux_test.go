package fsinfo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

func TestLocalDirIsNotRemote(t *testing.T) {
	for _, dir := range []string{t.TempDir(), "/proc", "/dev"} {
		if kind, remote, err := Remote(dir); err != nil || remote {
			t.Errorf("Remote(%s) = %q, %v, %v; want local", dir, kind, remote, err)
		}
	}
}

// A FUSE mount stands for sshfs, rclone mount and the like: a real FUSE
// file system (go-fuse's loopback of a temp dir), served by the test.
func TestFUSEMountIsRemote(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a FUSE filesystem")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Fatalf("no /dev/fuse: %v", err)
	}
	under, mnt := t.TempDir(), filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := fs.NewLoopbackRoot(under)
	if err != nil {
		t.Fatal(err)
	}
	server, err := fs.Mount(mnt, root, &fs.Options{MountOptions: fuse.MountOptions{DirectMount: true, FsName: "lockwatch-test"}})
	if err != nil {
		t.Fatalf("mount: %v", err)
	}
	t.Cleanup(func() { server.Unmount() })
	kind, remote, err := Remote(mnt)
	if err != nil || !remote || kind != "fuse" {
		t.Fatalf("Remote(FUSE mount) = %q, %v, %v; want fuse, remote", kind, remote, err)
	}
}

func TestMissingDir(t *testing.T) {
	if _, _, err := Remote(filepath.Join(t.TempDir(), "gone")); err == nil {
		t.Fatal("no error for a missing directory")
	}
}
