package native

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// Bounds on what lockwatch reads of a repository. Whoever can write to a
// repository (or answer for its server) decides what is there, so every
// read stops at a size no real file reaches: a check must not take
// gigabytes of memory or minutes because of one hostile file.
const (
	// maxSmallFile bounds locks, keys and the config: restic writes them
	// in a few hundred bytes.
	maxSmallFile = 64 << 10
	// maxSnapshotFile bounds a snapshot file: its JSON lists the backed-up
	// paths, tags and a few fields, rarely more than kilobytes.
	maxSnapshotFile = 4 << 20
	// maxListing bounds the files one directory listing may name; restic
	// keeps a handful of locks and keys, and even a repository with years
	// of hourly snapshots has tens of thousands.
	maxListing = 200_000
	// maxListingBytes bounds a REST listing's JSON: maxListing entries of
	// about 90 bytes each.
	maxListingBytes = 20 << 20
)

// maxFileSize is the most lockwatch reads of the repository file p.
func maxFileSize(p string) int64 {
	if strings.HasPrefix(p, "snapshots/") {
		return maxSnapshotFile
	}
	return maxSmallFile
}

// tooLargeError is a repository file larger than lockwatch reads.
type tooLargeError struct {
	path  string
	size  int64 // -1 when only "more than limit" is known
	limit int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%s is %s, more than the %s lockwatch reads of such a file", e.path, e.sizeText(), humanize.IBytes(uint64(e.limit)))
}

func (e *tooLargeError) sizeText() string {
	if e.size < 0 {
		return "more than " + humanize.IBytes(uint64(e.limit))
	}
	return sizeText(e.size)
}

// sizeText is a size as people read it, with the exact count beside it:
// rounded alone, 64 KiB + 1 byte would read as no more than the limit.
func sizeText(size int64) string {
	return fmt.Sprintf("%s (%d bytes)", humanize.IBytes(uint64(size)), size)
}

// checkSize refuses a file whose known size (from a listing, a stat or a
// Content-Length) is over the bound, before anything is read.
func checkSize(p string, size int64) error {
	if limit := maxFileSize(p); size > limit {
		return &tooLargeError{path: p, size: size, limit: limit}
	}
	return nil
}

// readBounded reads the repository file p from r, but no more than its
// bound: every backend reads file contents through here. A longer file
// gives a *tooLargeError; the caller then closes r without reading on
// (over HTTP, a drained body would arrive at the server's pace).
func readBounded(r io.Reader, p string) ([]byte, error) {
	limit := maxFileSize(p)
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if int64(len(data)) > limit {
		return nil, &tooLargeError{path: p, size: -1, limit: limit}
	}
	return data, nil
}

// errListingTooLarge is a directory listing cut at its bound.
func errListingTooLarge(dir, bound string) error {
	return fmt.Errorf("the listing of %s/ is too large: more than %s", dir, bound)
}

// maxListingText names maxListing in messages.
var maxListingText = fmt.Sprintf("%d files", maxListing)

// timedBackend gives every request to a backend its own deadline, so
// that one server that stops answering fails that request with an error
// naming the timeout, instead of hanging the check (locks are read one
// after another: N silent requests would otherwise cost N times the HTTP
// client's own limit). Every backend honours its context: REST and S3
// through net/http (which stops reading the body too), sftp by dropping
// the connection (sftpRun).
type timedBackend struct {
	Backend
	timeout time.Duration
}

// withRequestTimeout wraps be so that each call gets timeout; 0 leaves
// calls bounded only by their caller's context.
func withRequestTimeout(be Backend, timeout time.Duration) Backend {
	if timeout <= 0 {
		return be
	}
	return &timedBackend{Backend: be, timeout: timeout}
}

// requestTimeoutError says which request got no answer in time. It
// matches context.DeadlineExceeded.
type requestTimeoutError struct {
	op, location string
	timeout      time.Duration
}

func (e *requestTimeoutError) Error() string {
	return fmt.Sprintf("%s timed out: no answer from %s within %s (the repository's timeout)", e.op, e.location, e.timeout)
}

func (e *requestTimeoutError) Unwrap() error { return context.DeadlineExceeded }

// timedCall runs one request under its deadline. An error after the deadline
// passed is reported as the timeout (whatever the backend made of it: a
// closed connection, a cut body), unless the caller's own context ended.
func timedCall[T any](ctx context.Context, b *timedBackend, op string, f func(context.Context) (T, error)) (T, error) {
	cause := &requestTimeoutError{op: op, location: b.Location(), timeout: b.timeout}
	rctx, cancel := context.WithTimeoutCause(ctx, b.timeout, cause)
	defer cancel()
	v, err := f(rctx)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(rctx), cause) {
		return v, cause
	}
	return v, err
}

func (b *timedBackend) List(ctx context.Context, dir string) ([]FileInfo, error) {
	return timedCall(ctx, b, "listing "+dir+"/", func(ctx context.Context) ([]FileInfo, error) {
		return b.Backend.List(ctx, dir)
	})
}

func (b *timedBackend) Read(ctx context.Context, p string) ([]byte, error) {
	return timedCall(ctx, b, "reading "+shortPath(p), func(ctx context.Context) ([]byte, error) {
		return b.Backend.Read(ctx, p)
	})
}

func (b *timedBackend) Remove(ctx context.Context, p string) error {
	_, err := timedCall(ctx, b, "removing "+shortPath(p), func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.Backend.Remove(ctx, p)
	})
	return err
}

// shortPath shortens a storage ID in p to its first 8 digits, as restic
// names files in messages ("locks/1a2b3c4d").
func shortPath(p string) string {
	dir, name, ok := strings.Cut(p, "/")
	if ok && isID(name) {
		return dir + "/" + name[:8]
	}
	return p
}
