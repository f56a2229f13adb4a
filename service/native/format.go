package native

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/dustin/go-humanize"
	"github.com/klauspost/compress/zstd"

	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/reader"
)

// maxKeys is how many key files restic tries before it gives up
// (cmd/restic/global.go); a password that only a later key opens does not
// open the repository for restic either, so it must not for us.
const maxKeys = 20

// keyFile is a file under keys/: plain JSON holding the master key,
// encrypted with a key derived from the password by scrypt.
type keyFile struct {
	KDF  string `json:"kdf"`
	N    int    `json:"N"`
	R    int    `json:"r"`
	P    int    `json:"p"`
	Salt []byte `json:"salt"` // base64 in the JSON
	Data []byte `json:"data"` // base64 of IV | ciphertext | MAC
}

// masterKeyJSON is the decrypted Data of a key file.
type masterKeyJSON struct {
	MAC struct {
		K []byte `json:"k"`
		R []byte `json:"r"`
	} `json:"mac"`
	Encrypt []byte `json:"encrypt"`
}

// repoConfig is the decrypted config file. Only the version matters here:
// it decides whether files may be compressed.
type repoConfig struct {
	Version uint   `json:"version"`
	ID      string `json:"id"`
}

// openKeyFile decrypts a key file's master key with password. A wrong
// password gives errUnauthenticated (the key derived from it fails the
// MAC); anything else means the key file itself is broken.
func openKeyFile(data []byte, password string) (*cryptoKey, error) {
	var kf keyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return nil, fmt.Errorf("not a key file: %w", err)
	}
	if kf.KDF != "scrypt" {
		return nil, fmt.Errorf("unsupported key derivation %q (restic only writes scrypt)", kf.KDF)
	}
	user, err := deriveUserKey(password, kf.Salt, kf.N, kf.R, kf.P)
	if err != nil {
		return nil, err
	}
	plain, err := user.open(kf.Data)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	var mk masterKeyJSON
	if err := json.Unmarshal(plain, &mk); err != nil {
		return nil, fmt.Errorf("master key is not JSON: %w", err)
	}
	k, err := newCryptoKey(mk.Encrypt, mk.MAC.K, mk.MAC.R)
	clear(mk.Encrypt)
	clear(mk.MAC.K)
	clear(mk.MAC.R)
	return k, err
}

// parseConfig decrypts the config file. restic never compresses it, in
// any repository version, since the version is what says whether
// compression may be used at all.
func parseConfig(key *cryptoKey, data []byte) (repoConfig, error) {
	plain, err := key.open(data)
	if err != nil {
		return repoConfig{}, err
	}
	var cfg repoConfig
	if err := json.Unmarshal(plain, &cfg); err != nil {
		return repoConfig{}, fmt.Errorf("config is not JSON: %w", err)
	}
	if cfg.Version != 1 && cfg.Version != 2 {
		return repoConfig{}, fmt.Errorf("unsupported repository version %d (this reader knows 1 and 2)", cfg.Version)
	}
	return cfg, nil
}

// maxDecoded bounds what one compressed file may expand to. Lock files
// are a few hundred bytes and snapshots rarely reach a megabyte; the bound
// keeps a crafted file from exhausting memory.
const maxDecoded = 64 << 20

// zstdDecoder is shared by every repository: DecodeAll is safe for
// concurrent use, and a decoder's tables are worth keeping.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1), // checks are small and mostly one at a time; keep memory low
		zstd.WithDecoderMaxMemory(maxDecoded),
	)
})

// decodeUnpacked turns the decrypted bytes of a file that is not a pack
// (lock, snapshot, index) into JSON. In version 2 repositories such a file
// starts with '{' or '[' (plain JSON, as older restic wrote) or with the
// byte 2 followed by zstd-compressed JSON; version 1 only knows plain JSON.
func decodeUnpacked(version uint, plain []byte) ([]byte, error) {
	if version < 2 || len(plain) == 0 || plain[0] == '{' || plain[0] == '[' {
		return plain, nil
	}
	if plain[0] != 2 {
		return nil, fmt.Errorf("unknown encoding (first byte 0x%02x)", plain[0])
	}
	dec, err := zstdDecoder()
	if err != nil {
		return nil, err
	}
	out, err := dec.DecodeAll(plain[1:], nil)
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return out, nil
}

// Problems a lock file can have, as the status shows them.
const (
	problemEmpty    = "empty lock file (0 bytes), left by an interrupted write"
	problemHash     = "content does not match its name (hash mismatch)"
	problemMAC      = "cannot be decrypted: MAC check failed (corrupt, or written with another repository's key)"
	problemDecrypt  = "cannot be decrypted: "
	problemDecoding = "cannot be decompressed: "
)

// problemTooLarge is the problem of a lock file over maxSmallFile; size
// is -1 when only "more than" is known.
func problemTooLarge(size int64) string {
	if size < 0 {
		return "lock file is larger than the " + humanize.IBytes(maxSmallFile) + " a lock can be"
	}
	return fmt.Sprintf("lock file is %s, more than the %s a lock can be", sizeText(size), humanize.IBytes(maxSmallFile))
}

// decodeLock decrypts, decompresses and parses one lock file whose name
// has already been checked against its content. It never fails: a file
// that is no lock comes back with its Problem set.
func decodeLock(key *cryptoKey, version uint, id string, data []byte) lock.Lock {
	if len(data) == 0 {
		return lock.Unreadable(id, lock.ProblemEmpty, problemEmpty)
	}
	plain, err := key.open(data)
	switch {
	case errors.Is(err, errUnauthenticated):
		return lock.Unreadable(id, lock.ProblemMAC, problemMAC)
	case err != nil:
		return lock.Unreadable(id, lock.ProblemUndecodable, problemDecrypt+err.Error())
	}
	js, err := decodeUnpacked(version, plain)
	if err != nil {
		return lock.Unreadable(id, lock.ProblemUndecodable, problemDecoding+err.Error())
	}
	l, _ := lock.Parse(id, js) // a malformed record comes back with its Problem set
	return l
}

// isID reports whether name is a storage ID as restic writes them: 64
// lowercase hex digits. Anything else under locks/ or keys/ (a backend's
// temporary upload, a stray file) is not restic's, and restic skips it too.
func isID(name string) bool { return reader.IsID(name) }

// matchesID reports whether data's SHA-256 is the storage ID it is stored
// under. Every file restic writes outside config is named so; a mismatch
// is a corrupt, truncated or still-uploading file.
func matchesID(id string, data []byte) bool {
	var want [sha256.Size]byte
	if len(id) != 2*sha256.Size {
		return false
	}
	if _, err := hex.Decode(want[:], []byte(id)); err != nil {
		return false
	}
	return sha256.Sum256(data) == want
}
