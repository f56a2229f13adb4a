package demotest

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// SlowSource is a directory to back up whose one file, slow.bin, reads
// at a trickle for as long as the test runs: a real file backup that is
// still in progress whenever the test wants it to be, as a backup of a
// big home directory over a slow disk is. (A pipe held open is no such
// thing: restic 0.18 waits for its EOF after SIGINT.) It is a FUSE
// filesystem served by the test; needs root and /dev/fuse.
type SlowSource struct {
	Dir     string // back this up
	once    sync.Once
	reading chan struct{}
}

// Reading is closed once something has read from slow.bin: restic is past
// taking its lock and busy archiving.
func (s *SlowSource) Reading() <-chan struct{} { return s.reading }

const (
	slowFileSize = 1 << 30 // what stat says: more than the test will ever read
	// 64 KiB per 20 ms (3 MB/s): restic stops a backup at a chunk
	// boundary, and a chunk is up to 8 MiB, so the trickle must let one
	// end within a few seconds; 1 GiB still lasts minutes.
	slowChunk = 64 << 10              // bytes per read
	slowPause = 20 * time.Millisecond // before each read
)

// NewSlowSource mounts a slow source in a temp dir until the test ends.
func NewSlowSource(t testing.TB) *SlowSource {
	t.Helper()
	RequireRoot(t, "mount a FUSE filesystem")
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Fatalf("a slow source needs FUSE: %v", err)
	}
	s := &SlowSource{Dir: filepath.Join(t.TempDir(), "slow"), reading: make(chan struct{})}
	if err := os.Mkdir(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	server, err := fs.Mount(s.Dir, &slowDir{src: s}, &fs.Options{
		MountOptions: fuse.MountOptions{DirectMount: true, FsName: "lockwatch-slow", Name: "slow"},
	})
	if err != nil {
		t.Fatalf("mount a slow source at %s: %v", s.Dir, err)
	}
	t.Cleanup(func() {
		if err := server.Unmount(); err != nil {
			// A reader that outlived the test (a restic it failed to
			// stop) keeps the mount busy: detach it, so that the temp
			// dir's cleanup and later tests are not stuck with it.
			if derr := syscall.Unmount(s.Dir, syscall.MNT_DETACH); derr != nil {
				t.Errorf("unmount the slow source: %v; detach: %v", err, derr)
			}
		}
	})
	return s
}

type slowDir struct {
	fs.Inode
	src *SlowSource
}

var _ fs.NodeOnAdder = (*slowDir)(nil)

func (d *slowDir) OnAdd(ctx context.Context) {
	f := d.NewPersistentInode(ctx, &slowFile{src: d.src}, fs.StableAttr{Mode: fuse.S_IFREG})
	d.AddChild("slow.bin", f, false)
}

type slowFile struct {
	fs.Inode
	src *SlowSource
}

var (
	_ fs.NodeGetattrer = (*slowFile)(nil)
	_ fs.NodeOpener    = (*slowFile)(nil)
	_ fs.NodeReader    = (*slowFile)(nil)
)

func (f *slowFile) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFREG | 0o644
	out.Size = slowFileSize
	return 0
}

func (f *slowFile) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	// Direct I/O: every read reaches Read, none is served from the page cache.
	return nil, fuse.FOPEN_DIRECT_IO, 0
}

// Read hands out a little incompressible data after a pause, and gives up
// at once when the reader is interrupted.
func (f *slowFile) Read(ctx context.Context, fh fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	f.src.once.Do(func() { close(f.src.reading) })
	select {
	case <-time.After(slowPause):
	case <-ctx.Done():
		return nil, syscall.EINTR
	}
	n := min(len(dest), slowChunk, int(max(slowFileSize-off, 0)))
	rng := rand.New(rand.NewPCG(uint64(off), 0x10c4))
	for i := range n {
		dest[i] = byte(rng.Uint32())
	}
	return fuse.ReadResultData(dest[:n]), 0
}
