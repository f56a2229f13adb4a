package native

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// localBackend is a repository in a directory of this machine.
type localBackend struct {
	dir string // absolute
}

// OpenLocal opens the repository in dir. A directory that does not exist
// gives an error matching ErrNotExist (and restic.ErrRepoMissing).
func OpenLocal(dir string) (Backend, error) {
	if dir == "" {
		return nil, errors.New("empty local repository path")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &missingRepoError{location: abs}
	}
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", abs)
	}
	return &localBackend{dir: abs}, nil
}

// file maps a repository path ("locks/<id>") to the file system. Paths
// come from this package, but a name from a hostile listing must still
// not climb out of the repository.
func (b *localBackend) file(p string) (string, error) {
	if p == "" || path.IsAbs(p) || strings.Contains(p, "\\") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("invalid repository path %q", p)
	}
	return filepath.Join(b.dir, filepath.FromSlash(p)), nil
}

func (b *localBackend) List(ctx context.Context, dir string) ([]FileInfo, error) {
	full, err := b.file(dir)
	if err != nil {
		return nil, err
	}
	d, err := os.Open(full)
	if errors.Is(err, fs.ErrNotExist) {
		// restic reads a missing directory as empty. But if the config is
		// gone too, so is the repository — a USB disk or a NAS share that
		// is not mounted leaves an empty mount point — and "no locks"
		// would be a lie.
		if _, err := os.Stat(filepath.Join(b.dir, "config")); errors.Is(err, fs.ErrNotExist) {
			return nil, &missingRepoError{location: b.dir}
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	// One entry more than the bound tells a directory at the bound from
	// one over it, without reading a million names.
	entries, err := d.ReadDir(maxListing + 1)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(entries) > maxListing {
		return nil, errListingTooLarge(dir, maxListingText)
	}
	files := make([]FileInfo, 0, len(entries))
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue // restic's own temporary files are regular too; directories and links are not its files
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the directory was read
		}
		if err != nil {
			return nil, err
		}
		files = append(files, FileInfo{Name: e.Name(), Size: info.Size()})
	}
	return files, nil
}

func (b *localBackend) Read(ctx context.Context, p string) ([]byte, error) {
	full, err := b.file(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", p, ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		if err := checkSize(p, fi.Size()); err != nil {
			return nil, err
		}
	}
	return readBounded(f, p)
}

func (b *localBackend) Remove(ctx context.Context, p string) error {
	full, err := b.file(p)
	if err != nil {
		return err
	}
	// restic writes its files read-only, and Windows refuses to delete a
	// read-only file; elsewhere this is harmless.
	_ = os.Chmod(full, 0o600)
	err = os.Remove(full)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", p, ErrNotExist)
	}
	return err
}

func (b *localBackend) Location() string { return b.dir }

func (b *localBackend) Close() error { return nil }
