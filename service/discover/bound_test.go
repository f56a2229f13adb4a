package discover

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileSizeBound: every reader refuses a file over 1 MiB, naming it and its size.
func TestFileSizeBound(t *testing.T) {
	dir := t.TempDir()
	// A valid file of exactly 1 MiB is read.
	ok := filepath.Join(dir, "config.json")
	pad := `{"repos": [], "pad": "` + strings.Repeat("x", MaxFileSize-len(`{"repos": [], "pad": ""}`)) + `"}`
	if err := os.WriteFile(ok, []byte(pad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadBackrest(ok); err != nil {
		t.Errorf("a file of exactly 1 MiB: %v", err)
	}

	big := bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1) // 1 MiB + 6 bytes
	want := func(file string) string {
		return fmt.Sprintf("%s: too big for a configuration file: %d bytes, and lockwatch reads at most 1 MiB (1048576 bytes)", file, len(big))
	}
	for name, read := range map[string]func(string) ([]Found, []Skipped, error){
		"config.json":     ReadBackrest,
		"profiles.yaml":   ReadResticprofile,
		".autorestic.yml": ReadAutorestic,
		"big.service":     func(p string) ([]Found, []Skipped, error) { return ReadSystemdUnit(p, "/home/alice") },
	} {
		p := filepath.Join(dir, "big", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, big, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := read(p)
		checkErr(t, err, want(p))
	}
	if _, _, err := ParseCrontab("crontab -l", big); err == nil || !strings.Contains(err.Error(), "crontab -l: too big") {
		t.Errorf("a crontab over 1 MiB: %v", err)
	}

	// An EnvironmentFile too: the unit is read, the file is named in the reason.
	envFile := filepath.Join(dir, "big", "big.env")
	if err := os.WriteFile(envFile, big, 0o600); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(dir, "restic.service")
	if err := os.WriteFile(unit, []byte("[Unit]\nDescription=restic backup\n[Service]\nEnvironmentFile="+envFile+"\nExecStart=/usr/local/bin/backup\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, skipped, _ := ReadSystemdUnit(unit, "/home/alice")
	if len(skipped) != 1 || !strings.Contains(skipped[0].Reason, envFile+" could not be read: too big") {
		t.Errorf("a unit with a huge EnvironmentFile: %v", skipped)
	}
}

// TestReadBoundedStream: a stream (a pipe, a file still growing) is cut at the bound too.
func TestReadBoundedStream(t *testing.T) {
	_, err := readBounded("crontab -l", bytes.NewReader(make([]byte, MaxFileSize+1)))
	checkErr(t, err, "crontab -l: too big for a configuration file: more than 1 MiB, which is all lockwatch reads")
	data, err := readBounded("crontab -l", bytes.NewReader(make([]byte, MaxFileSize)))
	if err != nil || len(data) != MaxFileSize {
		t.Errorf("exactly 1 MiB: %d bytes, %v", len(data), err)
	}
}

func TestReadFileRefusesSpecialFiles(t *testing.T) {
	_, _, err := ReadBackrest(t.TempDir())
	if err == nil || !strings.HasSuffix(err.Error(), ": not a regular file") {
		t.Errorf("reading a directory: %v", err)
	}
}

// TestBigFilesAreQuick: a file just under the bound, with as many values as
// fit, parses in linear time (lines are looked up, not counted each time).
func TestBigFilesAreQuick(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(`{"repos": [`)
	for i := 0; b.Len() < MaxFileSize-200; i++ {
		fmt.Fprintf(&b, "\n{\"id\": \"r%d\", \"uri\": \"/srv/r%d\", \"env\": [\"A=1\", \"B=2\"]},", i, i)
	}
	b.WriteString("\n{\"id\": \"last\", \"uri\": \"/srv/last\"}]}")
	p := filepath.Join(dir, "config.json")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	found, _, err := ReadBackrest(p)
	if err != nil || len(found) < 10000 {
		t.Fatalf("%d found, %v", len(found), err)
	}
	if last := found[len(found)-1]; last.Line != strings.Count(b.String(), "\n")+1 {
		t.Errorf("the last repository is on line %d; want %d", last.Line, strings.Count(b.String(), "\n")+1)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("reading a 1 MiB file took %v", d)
	}
}
