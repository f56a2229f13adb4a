package restic

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestOutputBounded: what lockwatch reads of restic's output is bounded,
// so a repository holding a huge "lock" or snapshot list costs no more
// than the bound. The restic here is a deliberate fake, a script printing
// 200 MB: a real restic prints that much only for a repository crafted
// with its key, which this package cannot write.
func TestOutputBounded(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "restic")
	script := "#!/bin/sh\nprintf '[{\"time\":\"'\nhead -c 200000000 /dev/zero | tr '\\0' 'x'\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := &CLI{Binary: fake, Timeout: time.Minute}
	ctx := context.Background()
	id := strings.Repeat("ab", 32)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	l, err := c.ReadLock(ctx, id)
	_, _, snapErr := c.LatestSnapshot(ctx, "", nil, nil)
	runtime.ReadMemStats(&after)

	if err != nil || l.Problem != "restic cat lock printed more than the 64 KiB a lock can be" {
		t.Errorf("huge cat lock output: %+v, %v", l, err)
	}
	if snapErr == nil || !strings.Contains(snapErr.Error(), "restic snapshots: output larger than lockwatch reads (4.0 MiB)") {
		t.Errorf("huge snapshots output: %v", snapErr)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("reading 2 × 200 MB of output allocated %d bytes; want under 32 MiB", alloc)
	}
}
