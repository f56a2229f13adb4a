package native

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// memBackend is a repository in memory that lists files in the order they
// were added, so that a test decides the order keys are tried in.
type memBackend struct {
	mu    sync.Mutex
	names map[string][]string // dir → names in order
	files map[string][]byte
}

func newMemBackend() *memBackend {
	return &memBackend{names: map[string][]string{}, files: map[string][]byte{}}
}

func (m *memBackend) put(dir, name string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if dir != "" {
		m.names[dir] = append(m.names[dir], name)
		name = dir + "/" + name
	}
	m.files[name] = data
}

func (m *memBackend) List(_ context.Context, dir string) ([]FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []FileInfo
	for _, n := range m.names[dir] {
		if data, ok := m.files[dir+"/"+n]; ok {
			out = append(out, FileInfo{Name: n, Size: int64(len(data))})
		}
	}
	return out, nil
}

func (m *memBackend) Read(_ context.Context, p string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.files[p]
	if !ok {
		return nil, ErrNotExist
	}
	return data, nil
}

func (m *memBackend) Remove(_ context.Context, p string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[p]; !ok {
		return ErrNotExist
	}
	delete(m.files, p)
	return nil
}

func (m *memBackend) Location() string { return "memory" }
func (m *memBackend) Close() error     { return nil }

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// makeKeyFile encrypts master with password the way restic's AddKey does,
// with cheap scrypt parameters.
func makeKeyFile(t testing.TB, master *cryptoKey, password string) []byte {
	t.Helper()
	salt := randomBytes(t, 64)
	user, err := deriveUserKey(password, salt, 1024, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	var mk masterKeyJSON
	mk.MAC.K, mk.MAC.R, mk.Encrypt = master.macK[:], master.macR[:], master.enc[:]
	plain, err := json.Marshal(mk)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(keyFile{KDF: "scrypt", N: 1024, R: 1, P: 1, Salt: salt, Data: seal(user, plain)})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func hashName(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// memRepo is a version-2 repository with one key per password, in order.
func memRepo(t testing.TB, passwords ...string) (*memBackend, *cryptoKey) {
	t.Helper()
	master, err := newCryptoKey(randomBytes(t, 32), randomBytes(t, 16), randomBytes(t, 16))
	if err != nil {
		t.Fatal(err)
	}
	m := newMemBackend()
	m.put("", "config", seal(master, []byte(`{"version":2,"id":"x","chunker_polynomial":"3da3358b4dc173"}`)))
	for _, pw := range passwords {
		data := makeKeyFile(t, master, pw)
		m.put("keys", hashName(data), data)
	}
	return m, master
}

func password(pw string) PasswordFunc {
	return func(context.Context) (string, error) { return pw, nil }
}

// TestKeySearch: restic tries at most 20 key files; a password only the
// 21st opens does not open the repository, for restic or for us.
func TestKeySearch(t *testing.T) {
	ctx := context.Background()
	others := make([]string, 19)
	for i := range others {
		others[i] = fmt.Sprintf("other-%d", i)
	}
	m, master := memRepo(t, append(others, "right")...) // the 20th key
	r := NewRepo(m, password("right"))
	if v, err := r.Version(ctx); err != nil || v != 2 {
		t.Fatalf("20th key: version %d, %v", v, err)
	}
	if r.key.enc != master.enc || r.key.macK != master.macK || r.key.macR != master.macR {
		t.Fatal("opened a different master key")
	}

	m, _ = memRepo(t, append(others, "another", "right")...) // the 21st key
	err := NewRepo(m, password("right")).DeriveKey(ctx)
	if !errors.Is(err, ErrWrongPassword) || !strings.Contains(err.Error(), "first 20") {
		t.Fatalf("21st key: %v", err)
	}

	// Names that are not storage IDs are skipped, but counted, as by restic.
	m, _ = memRepo(t, "right")
	m.put("keys", "README", []byte("not a key"))
	if err := NewRepo(m, password("right")).DeriveKey(ctx); err != nil {
		t.Fatal(err)
	}
	// A key file that does not match its name stops the search.
	m, _ = memRepo(t)
	m.put("keys", hashName([]byte("x")), makeKeyFile(t, master, "right"))
	if err := NewRepo(m, password("right")).DeriveKey(ctx); err == nil || !strings.Contains(err.Error(), "hash mismatch") {
		t.Fatalf("renamed key file: %v", err)
	}
	// No keys at all: restic's words too.
	m, _ = memRepo(t)
	if err := NewRepo(m, password("right")).DeriveKey(ctx); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("no keys: %v", err)
	}
	// Hostile scrypt parameters are refused, not followed.
	if _, err := deriveUserKey("pw", []byte("salt"), 1<<24, 8, 1); err == nil {
		t.Fatal("accepted scrypt parameters needing 16 GiB")
	}
}
