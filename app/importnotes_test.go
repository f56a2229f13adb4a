package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/discover"
)

// The import's notes are said from their IDs and facts: in English as
// the CLI prints them, for every note the readers write about the other
// tools' real-looking configs in service/discover/testdata, and without a
// placeholder left over for any note the readers can write.
func TestImportNotesFromTheirIDs(t *testing.T) {
	testdata := filepath.Join("..", "service", "discover", "testdata")
	var found []discover.Found
	read := func(f []discover.Found, _ []discover.Skipped, _ error) { found = append(found, f...) }
	files, _ := filepath.Glob(filepath.Join(testdata, "autorestic", "*.yml"))
	more, _ := filepath.Glob(filepath.Join(testdata, "autorestic", "*", "*.yml"))
	for _, f := range append(files, more...) {
		read(discover.ReadAutorestic(f))
	}
	files, _ = filepath.Glob(filepath.Join(testdata, "backrest", "*.json"))
	for _, f := range files {
		read(discover.ReadBackrest(f))
	}
	files, _ = filepath.Glob(filepath.Join(testdata, "resticprofile", "*", "profiles.*"))
	for _, f := range files {
		read(discover.ReadResticprofile(f))
	}
	files, _ = filepath.Glob(filepath.Join(testdata, "systemd", "*", "*.service"))
	for _, f := range files {
		read(discover.ReadSystemdUnit(f, filepath.Join(testdata, "systemd", "home")))
	}
	// A unit run as another user, with an EnvironmentFile it cannot read.
	unit := filepath.Join(t.TempDir(), "restic-other.service")
	if err := os.WriteFile(unit, []byte("[Service]\nUser=backup\nEnvironment=RESTIC_REPOSITORY=/srv/restic RESTIC_PASSWORD_FILE=/etc/pw\nEnvironmentFile=/nonexistent/restic.env\nExecStart=/usr/bin/restic backup /home\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	read(discover.ReadSystemdUnit(unit, "/root"))

	seen := map[string]bool{}
	for _, f := range found {
		for _, n := range f.Notes {
			got, ok := noteText(n)
			if !ok || got != n.String() {
				t.Errorf("note %q (%s %v): the app says %q (known: %v)", n.String(), n.ID, n.Facts, got, ok)
			}
			seen[n.ID] = true
		}
	}
	var notSeen []string
	for _, id := range discover.NoteIDs {
		if !seen[id] {
			notSeen = append(notSeen, id)
		}
		facts := map[string]string{"Path": "/p", "Error": "e", "Var": "V", "Preferred": "yes", "N": "2", "Name": "N", "Flags": "-o x",
			"From": "systemd /u:1", "Kind": "file", "File": "/pw", "What": "drop-in", "User": "backup"}
		got, ok := noteText(discover.Note{ID: id, Facts: facts})
		if !ok || got == "" || strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
			t.Errorf("note %s: %q (known: %v)", id, got, ok)
		}
	}
	t.Logf("notes written by the readers: %d of %d kinds; not by these fixtures: %v", len(seen), len(discover.NoteIDs), notSeen)
	if len(seen) < 8 || slices.Contains(notSeen, discover.NoteRunsAs) || slices.Contains(notSeen, discover.NoteUnreadable) {
		t.Errorf("the fixtures gave notes of only %d kinds", len(seen))
	}
}
