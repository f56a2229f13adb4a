package native

import (
	"context"
	"errors"
)

// ErrNotExist is returned by Read and Remove for a file that is not there.
var ErrNotExist = errors.New("file does not exist")

// FileInfo is one entry of a repository directory listing.
type FileInfo struct {
	Name string // base name, e.g. a 64-hex storage ID
	Size int64
}

// Backend is the storage under a restic repository: the few operations
// lockwatch needs, for each kind of backend (local, sftp, REST, S3).
// Paths are relative to the repository root and use '/': "config",
// "keys/<id>", "locks/<id>", "snapshots/<id>".
type Backend interface {
	// List returns the files in dir ("keys", "locks", "snapshots"); a
	// missing dir is an empty list.
	List(ctx context.Context, dir string) ([]FileInfo, error)
	// Read returns a whole file, or an error matching ErrNotExist.
	Read(ctx context.Context, path string) ([]byte, error)
	// Remove deletes a file; a file already gone matches ErrNotExist.
	Remove(ctx context.Context, path string) error
	// Location names the backend for messages, without secrets.
	Location() string
	Close() error
}
