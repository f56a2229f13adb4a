// Package atomicfile replaces files so that a crash or a reader never sees
// half of one: temp file, fsync, rename.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// beforeRename is a test hook called after the temporary file is complete
// and before it replaces the target.
var beforeRename = func(tmp string) error { return nil }

// Write replaces the file at path with data so that readers see
// either the old or the new content, never a mix: it writes a temporary file
// in the same directory, fsyncs it, sets perm, renames it over path and
// fsyncs the directory (not on Windows). A missing parent directory is
// created with mode 0700. If path is a symbolic link, the file it points to
// is replaced and the link kept.
func Write(path string, data []byte, perm os.FileMode) (err error) {
	return write(path, data, perm, false)
}

// Replace is Write for a file the user owns, such as the config: an
// existing file (a link's target) keeps the permission bits its owner gave
// it, less any for others (it may hold secrets), and perm applies only to
// a new file.
func Replace(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

func write(path string, data []byte, perm os.FileMode, keepMode bool) (err error) {
	if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
		if target, rerr := filepath.EvalSymlinks(path); rerr == nil {
			path = target
		}
	}
	if fi, serr := os.Stat(path); serr == nil && keepMode && fi.Mode().IsRegular() {
		perm = fi.Mode().Perm() &^ 0o007
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = beforeRename(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		// The new content is in place; only its durability across a
		// crash is uncertain.
		return fmt.Errorf("writing %s: syncing directory: %w", path, err)
	}
	return nil
}
