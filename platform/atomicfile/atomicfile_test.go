package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	p := filepath.Join(dir, "config.toml")

	// The parent directory is created with mode 0700.
	if err := Write(p, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700) {
		t.Errorf("parent dir: %v, %v", fi.Mode(), err)
	}
	checkFile(t, p, "one\n", 0o600)

	// Overwriting replaces the whole content and applies perm.
	long := strings.Repeat("two\n", 10000)
	if err := Write(p, []byte(long), 0o640); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, long, 0o640)
	if err := Write(p, []byte("three"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "three", 0o600)
	checkNoTemp(t, dir)

	// A failure before the rename leaves the old file intact and no temp file.
	beforeRename = func(string) error { return errors.New("injected failure") }
	err := Write(p, []byte("four"), 0o600)
	beforeRename = func(string) error { return nil }
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Errorf("Write with failing rename = %v", err)
	}
	checkFile(t, p, "three", 0o600)
	checkNoTemp(t, dir)

	// The target being a directory makes the rename fail.
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Write(sub, []byte("x"), 0o600); err == nil {
		t.Error("writing over a non-empty directory succeeded")
	}
	checkNoTemp(t, dir)

	// A symlink is followed, not replaced.
	if runtime.GOOS != "windows" {
		link := filepath.Join(dir, "link.toml")
		if err := os.Symlink("config.toml", link); err != nil {
			t.Fatal(err)
		}
		if err := Write(link, []byte("via link"), 0o600); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("symlink replaced: %v, %v", fi.Mode(), err)
		}
		checkFile(t, p, "via link", 0o600)

		// Replace keeps the mode the user gave the target; a new file gets perm.
		if err := os.Chmod(p, 0o640); err != nil {
			t.Fatal(err)
		}
		if err := Replace(link, []byte("kept mode"), 0o600); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("symlink replaced: %v, %v", fi.Mode(), err)
		}
		checkFile(t, p, "kept mode", 0o640)
		fresh := filepath.Join(dir, "new.toml")
		if err := Replace(fresh, []byte("new"), 0o600); err != nil {
			t.Fatal(err)
		}
		checkFile(t, fresh, "new", 0o600)
	}
}

func TestWriteUnwritableDir(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a non-root user on Unix")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "config.toml")
	if err := Write(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if err := Write(p, []byte("new"), 0o600); err == nil {
		t.Error("writing into a read-only directory succeeded")
	}
	checkFile(t, p, "old", 0o600)
}

// Concurrent readers only ever see one complete version.
func TestWriteConcurrentReaders(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("rename over an open file fails on Windows")
	}
	p := filepath.Join(t.TempDir(), "config.toml")
	versions := make([][]byte, 20)
	for i := range versions {
		versions[i] = bytes.Repeat([]byte(fmt.Sprintf("version %02d\n", i)), 5000)
	}
	if err := Write(p, versions[0], 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				data, err := os.ReadFile(p)
				if err != nil {
					t.Error(err)
					return
				}
				ok := false
				for _, v := range versions {
					if bytes.Equal(data, v) {
						ok = true
						break
					}
				}
				if !ok {
					t.Errorf("reader saw a partial file of %d bytes", len(data))
					return
				}
			}
		}()
	}
	for _, v := range versions[1:] {
		if err := Write(p, v, 0o600); err != nil {
			t.Error(err)
		}
	}
	close(done)
	wg.Wait()
	checkNoTemp(t, filepath.Dir(p))
}

func checkFile(t *testing.T, p, want string, perm os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != want {
		t.Errorf("%s has %d bytes %.20q, want %d bytes %.20q", p, len(data), data, len(want), want)
	}
	if runtime.GOOS == "windows" {
		return
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != perm {
		t.Errorf("%s mode = %v, %v; want %v", p, fi.Mode().Perm(), err, perm)
	}
}

func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
