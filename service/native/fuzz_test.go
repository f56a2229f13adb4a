package native

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// FuzzDecodeLock feeds the decrypt → decompress → parse path, which sees
// whatever bytes a repository (or whoever can write to it) hands us. It
// must never panic, and whatever it accepts must be a lock worth judging.
// The input is taken either as a whole lock file or, so that the fuzzer
// gets past the MAC, as a plaintext sealed with the repository's key.
// Seeds are real lock files: restic's own (compressed) and the test
// writer's (compressed and plain).
func FuzzDecodeLock(f *testing.F) {
	d := demotest.LocalRepo(f)
	be, err := OpenLocal(d.Location)
	if err != nil {
		f.Fatal(err)
	}
	r := NewRepo(be, fixedPassword(f, d.PasswordFile))
	key := masterKey(f, r)
	orphanLock(f, d)
	writeLock(f, r, d.LocksDir, lockRecord{Time: at(time.Now().Add(-time.Hour), 345), Hostname: "nas", PID: 7, GID: 100}, true)
	writeLock(f, r, d.LocksDir, lockRecord{Time: at(time.Now(), -210), Exclusive: true, Hostname: "vm", Username: "u", PID: 8, UID: 1000}, false)
	files, err := be.List(context.Background(), "locks")
	if err != nil {
		f.Fatal(err)
	}
	for _, fi := range files {
		data, err := os.ReadFile(d.LocksDir + "/" + fi.Name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
		plain, err := key.open(data)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(plain, true)
	}
	f.Add([]byte{}, false)
	f.Add([]byte{2}, true)
	f.Add([]byte{2, 0x28, 0xb5, 0x2f, 0xfd}, true) // a zstd magic number and nothing else

	const id = "0000000000000000000000000000000000000000000000000000000000000000"
	f.Fuzz(func(t *testing.T, data []byte, sealed bool) {
		file := data
		if sealed {
			file = seal(key, data)
		}
		for _, version := range []uint{1, 2} {
			l := decodeLock(key, version, id, file)
			if l.ID != id {
				t.Fatalf("ID %q", l.ID)
			}
			if l.Problem == "" && (l.Time.IsZero() || l.PID <= 0) {
				t.Fatalf("accepted a lock without time or PID: %+v", l)
			}
		}
	})
}
