package native

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lockwatch/lockwatch/service/config"
)

// Open opens r's repository for native reading, choosing the backend from
// its location as restic does: "local:" or a path, "rest:", "sftp:",
// "s3:". Other backends (b2:, azure:, gs:, swift:, rclone:) give an error
// matching errors.ErrUnsupported: the caller then uses the restic CLI.
// Nothing is read and no password is asked for until the first check;
// the key is then derived once for the life of the Repo. Each request to
// the backend later gets requestTimeout (the configured timeout; 0 for
// none), so that one server that stops answering cannot hang a check.
func Open(ctx context.Context, r *config.Repo, requestTimeout time.Duration) (*Repo, error) {
	loc, err := location(r)
	if err != nil {
		return nil, err
	}
	// The environment restic would run with for this repository: ours
	// without any RESTIC_* of our own, plus the repository's.
	env := config.ResticEnviron(os.Environ(), r.Environ())
	pw, err := passwordFor(r, env)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", r.Name, err)
	}
	be, err := openBackend(ctx, loc, env)
	if err != nil {
		return nil, err
	}
	return NewRepo(withRequestTimeout(be, requestTimeout), pw), nil
}

// location is where r is, reading repository_file as restic reads it
// (its whole content, trimmed).
func location(r *config.Repo) (string, error) {
	if r.Repository != "" {
		return r.Repository, nil
	}
	if r.RepositoryFile == "" {
		return "", fmt.Errorf("repository %q: no repository or repository_file", r.Name)
	}
	data, err := readTextFile(r.RepositoryFile)
	if err != nil {
		return "", fmt.Errorf("repository %q: reading repository_file: %w", r.Name, err)
	}
	loc := strings.TrimSpace(string(data))
	if loc == "" {
		return "", fmt.Errorf("repository %q: repository_file %s is empty", r.Name, r.RepositoryFile)
	}
	return loc, nil
}

// unsupportedSchemes are restic's backends this package does not speak.
var unsupportedSchemes = []string{"b2", "azure", "gs", "swift", "rclone"}

func openBackend(ctx context.Context, loc string, env []string) (Backend, error) {
	scheme, rest, _ := strings.Cut(loc, ":")
	switch scheme {
	case "local":
		return OpenLocal(rest)
	case "rest":
		return OpenREST(ctx, loc, env)
	case "sftp":
		return OpenSFTP(ctx, loc, env)
	case "s3":
		return OpenS3(ctx, loc, env)
	}
	if slices.Contains(unsupportedSchemes, scheme) {
		return nil, fmt.Errorf("the native reader does not read %s: repositories: %w", scheme, errors.ErrUnsupported)
	}
	// Like restic, anything without a known scheme is a local path
	// (C:\backup and a directory named "x:y" included).
	return OpenLocal(loc)
}

// fingerprintKey makes fingerprints meaningful only inside this process:
// they are hashes over secrets (env values, the password command), and a
// keyed hash cannot be used to guess those secrets offline.
var fingerprintKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // never fails (crypto/rand panics instead)
	return k
})

// Fingerprint sums up everything that decides which repository is opened
// with which key: the location (and the repository file's identity), the
// password source (and the password file's identity), the name (which
// picks the keyring entry) and the environment. A caller keeps a Repo
// while the fingerprint stays the same, and opens a new one when it
// changes. A password command's or keyring's answer may change unseen:
// a Repo keeps its key until a check fails with ErrWrongPassword.
func Fingerprint(r *config.Repo) string {
	h := hmac.New(sha256.New, fingerprintKey())
	field(h, "repository", r.Repository)
	field(h, "repository_file", r.RepositoryFile)
	field(h, "repository_file_stamp", fileStamp(r.RepositoryFile))
	field(h, "password_file", r.PasswordFile)
	field(h, "password_file_stamp", fileStamp(r.PasswordFile))
	field(h, "password_command", r.PasswordCommand)
	if r.PasswordKeyring {
		field(h, "password_keyring", r.Name)
	}
	keys := make([]string, 0, len(r.Env))
	for k := range r.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field(h, "env", k+"="+r.Env[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// field writes a length-prefixed name and value, so that no two different
// configs hash the same bytes.
func field(h hash.Hash, name, value string) {
	var n [8]byte
	for _, s := range []string{name, value} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
}

// fileStamp identifies a file's version by modification time and size:
// replacing a password file changes both (or at least the time).
func fileStamp(path string) string {
	if path == "" {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "unreadable"
	}
	return fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), fi.Size())
}
