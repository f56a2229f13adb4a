package native

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/poly1305" //nolint:staticcheck // restic's MAC
)

// The test-only lock writer: it makes the lock files restic cannot be made
// to write (older than 30 minutes, odd UTC offsets, arbitrary fields),
// encrypted with the repository's own master key, so that both restic
// and lockwatch can be asked about them.

// lockRecord is a lock as restic stores it. Time is a string so that a
// test decides the exact text (offset, nanoseconds).
type lockRecord struct {
	Time      string `json:"time"`
	Exclusive bool   `json:"exclusive"`
	Hostname  string `json:"hostname"`
	Username  string `json:"username"`
	PID       int    `json:"pid"`
	UID       uint32 `json:"uid,omitempty"`
	GID       uint32 `json:"gid,omitempty"`
}

// at formats t in a fixed offset of offsetMinutes, with nanoseconds, as
// Go's encoding/json (and so restic) writes a time.
func at(t time.Time, offsetMinutes int) string {
	zone := time.FixedZone("", offsetMinutes*60)
	return t.In(zone).Format(time.RFC3339Nano)
}

// seal encrypts plain as restic does: IV | AES-256-CTR | Poly1305-AES.
func seal(key *cryptoKey, plain []byte) []byte {
	out := make([]byte, ivSize+len(plain)+macSize)
	iv := out[:ivSize]
	for allZero(iv) {
		_, _ = rand.Read(iv)
	}
	ct := out[ivSize : ivSize+len(plain)]
	cipher.NewCTR(key.encBlock, iv).XORKeyStream(ct, plain)
	polyKey := key.poly1305Key(iv)
	var tag [macSize]byte
	poly1305.Sum(&tag, ct, &polyKey)
	copy(out[ivSize+len(plain):], tag[:])
	return out
}

// encodeLock is the plaintext of a lock file: JSON, or for a version 2
// repository the byte 2 and the zstd-compressed JSON, as restic ≥ 0.14 writes.
func encodeLock(t testing.TB, rec lockRecord, compress bool) []byte {
	t.Helper()
	js, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !compress {
		return js
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(js, []byte{2})
}

// masterKey derives r's key (a test knows the password) and returns it.
func masterKey(t testing.TB, r *Repo) *cryptoKey {
	t.Helper()
	key, _, err := r.keyAndVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// writeLock encrypts rec with r's master key and stores it in locksDir
// under the SHA-256 of the file's bytes, read-only like restic's own.
func writeLock(t testing.TB, r *Repo, locksDir string, rec lockRecord, compress bool) string {
	t.Helper()
	return writeRaw(t, locksDir, seal(masterKey(t, r), encodeLock(t, rec, compress)))
}

// writeRaw stores data under its own hash, as restic names every file.
func writeRaw(t testing.TB, locksDir string, data []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	writeNamed(t, locksDir, id, data)
	return id
}

// writeNamed stores data under a name of the test's choosing.
func writeNamed(t testing.TB, locksDir, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(locksDir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(locksDir, name)
	if err := os.WriteFile(path, data, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o444); err != nil { // WriteFile's mode is only for new files
		t.Fatal(err)
	}
}
