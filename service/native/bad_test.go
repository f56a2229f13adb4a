package native

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/process"
	"github.com/lockwatch/lockwatch/service/lock"
)

func randomID(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestBadLockFiles: every kind of broken lock file is listed and judged
// invalid with a reason, never an error that would fail the whole check.
func TestBadLockFiles(t *testing.T) {
	ctx := context.Background()
	d, counter, r := countedLocalRepo(t)
	key := masterKey(t, r)
	host, _ := os.Hostname()
	good := seal(key, encodeLock(t, lockRecord{Time: at(time.Now(), 0), Hostname: host, PID: os.Getpid()}, true))
	otherKey, err := newCryptoKey(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16), bytes.Repeat([]byte{3}, 16))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte { b = slices.Clone(b); b[i] ^= 0x01; return b }
	zeroIV := slices.Clone(good)
	clear(zeroIV[:ivSize])

	type bad struct {
		name, id, problem, kind string
		cached                  bool // decoded from bytes that match their name: final
	}
	var cases []bad
	add := func(name, id, problem string, cached bool) {
		kind := lock.ProblemMalformed
		for _, k := range [][2]string{{problemEmpty, lock.ProblemEmpty}, {problemHash, lock.ProblemHash}, {problemMAC, lock.ProblemMAC},
			{problemDecrypt, lock.ProblemUndecodable}, {problemDecoding, lock.ProblemUndecodable}} {
			if strings.HasPrefix(problem, k[0]) {
				kind = k[1]
				break
			}
		}
		cases = append(cases, bad{name, id, problem, kind, cached})
	}

	id := randomID(t)
	writeNamed(t, d.LocksDir, id, nil)
	add("empty", id, problemEmpty, false)

	id = writeRaw(t, d.LocksDir, good)
	// Truncated in place: the name is the full file's hash.
	if err := os.Chmod(filepath.Join(d.LocksDir, id), 0o600); err != nil {
		t.Fatal(err)
	}
	writeNamed(t, d.LocksDir, id, good[:len(good)/2])
	add("truncated in place", id, problemHash, false)

	add("truncated below IV and MAC", writeRaw(t, d.LocksDir, good[:20]), problemDecrypt+"truncated (20 bytes", true)

	garbage := make([]byte, 300)
	_, _ = rand.Read(garbage)
	add("garbage", writeRaw(t, d.LocksDir, garbage), problemMAC, true)

	id = randomID(t)
	writeNamed(t, d.LocksDir, id, good)
	add("hash mismatch (renamed)", id, problemHash, false)

	add("MAC failure (one flipped ciphertext byte)", writeRaw(t, d.LocksDir, flip(good, ivSize+3)), problemMAC, true)
	add("MAC failure (flipped MAC byte)", writeRaw(t, d.LocksDir, flip(good, len(good)-1)), problemMAC, true)
	add("another repository's key", writeRaw(t, d.LocksDir, seal(otherKey, encodeLock(t, lockRecord{Time: at(time.Now(), 0), PID: 1}, true))), problemMAC, true)
	add("all-zero IV", writeRaw(t, d.LocksDir, zeroIV), problemDecrypt+"invalid IV", true)
	add("not a lock record", writeRaw(t, d.LocksDir, seal(key, []byte(`[1,2,3]`))), "not a lock record", true)
	add("no PID", writeRaw(t, d.LocksDir, seal(key, []byte(`{"time":"2026-01-02T03:04:05Z","hostname":"x"}`))), "lock record has no valid PID", true)
	add("no time", writeRaw(t, d.LocksDir, seal(key, []byte(`{"hostname":"x","pid":7}`))), "lock record has no time", true)
	add("unknown encoding byte", writeRaw(t, d.LocksDir, seal(key, []byte{7, 1, 2, 3})), problemDecoding+"unknown encoding (first byte 0x07)", true)
	add("broken zstd", writeRaw(t, d.LocksDir, seal(key, []byte{2, 1, 2, 3, 4})), problemDecoding+"zstd", true)
	// A name restic would not list: not a lock at all.
	writeNamed(t, d.LocksDir, "tmp-upload-12345", good)

	ids, err := r.ListLocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ids, "tmp-upload-12345") || len(ids) != len(cases) {
		t.Fatalf("listed %d IDs (%v), want the %d storage IDs", len(ids), ids, len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !slices.Contains(ids, c.id) {
				t.Fatalf("%.8s not listed", c.id)
			}
			l, err := r.ReadLock(ctx, c.id)
			if err != nil {
				t.Fatalf("ReadLock: %v (want a Lock with a Problem)", err)
			}
			if !strings.HasPrefix(l.Problem, c.problem) || l.ProblemKind != c.kind {
				t.Errorf("problem %q (%s), want it to start with %q (%s)", l.Problem, l.ProblemKind, c.problem, c.kind)
			}
			j := lock.Judge(l, time.Now(), host, process.Lookup)
			if j.Verdict != lock.Invalid || j.Reason != l.Problem {
				t.Errorf("judged %s (%s), want invalid with the problem as reason", j.Verdict, j.Reason)
			}
			// Bytes that match their name decode the same forever; others
			// (empty, mismatched) may be an upload in progress.
			counter.reset()
			if _, err := r.ReadLock(ctx, c.id); err != nil {
				t.Fatal(err)
			}
			reads := counter.reads.Load()
			if wantReads := map[bool]int64{true: 0, false: 1}[c.cached]; c.problem != problemEmpty && reads != wantReads {
				t.Errorf("second ReadLock made %d reads, want %d", reads, wantReads)
			}
			if c.problem == problemEmpty && reads != 0 {
				t.Errorf("an empty file listed with size 0 was read (%d reads)", reads)
			}
		})
	}

	// restic agrees that a file with a flipped byte is no lock it can read.
	macID := cases[slices.IndexFunc(cases, func(c bad) bool { return strings.HasPrefix(c.name, "MAC failure (one") })].id
	out, err := resticCmd(t, d, "cat", "lock", macID, "--no-lock").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ciphertext verification failed") {
		t.Errorf("restic cat lock on the flipped file: %v: %s", err, out)
	}
}
