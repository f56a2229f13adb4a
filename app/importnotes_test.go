package app

import (
	"context"
	"fmt"
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
	var skips []discover.Skipped
	read := func(f []discover.Found, s []discover.Skipped, _ error) {
		found = append(found, f...)
		skips = append(skips, s...)
	}
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
	// One that sets what restic refuses to have twice.
	twice := filepath.Join(t.TempDir(), "restic-twice.service")
	if err := os.WriteFile(twice, []byte("[Service]\nEnvironment=RESTIC_REPOSITORY=/srv/r RESTIC_REPOSITORY_FILE=/etc/repo RESTIC_PASSWORD_FILE=/etc/pw \"RESTIC_PASSWORD_COMMAND=pass x\"\nExecStart=/usr/bin/restic backup /home\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	read(discover.ReadSystemdUnit(twice, "/root"))
	// A Backrest env entry that is no KEY=VALUE.
	backrest := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(backrest, []byte(`{"repos": [{"id": "x", "uri": "/srv/x", "password": "CANARY-pw", "env": ["NOT AN ENTRY"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	read(discover.ReadBackrest(backrest))
	// Each kind of thing the readers skip, in files made for it.
	odd := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(odd, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read(discover.ReadAutorestic(write("autorestic/.autorestic.yml", "version: 2\nbackends:\n  a: 5\n  b:\n    type: local\n"+
		"  c:\n    type: rest\n    path: not-a-url\n    rest:\n      user: u\n      password: CANARY-rest\n  d:\n    path: /x\n  e:\n    type: ftp\n    path: /x\n")))
	read(discover.ReadBackrest(write("backrest.json", `{"repos": [5, {"id": "n"}, {}, {"id": "v", "uri": "${X}/r"}]}`)))
	read(discover.ReadResticprofile(write("resticprofile/profiles.toml", "version = \"2\"\n[profiles.b]\nrepository = \"s3:host/$BUCKET\"\npassword-file = \"/pw\"\n")))
	for name, text := range map[string]string{
		"restic-exec.service":    "[Service]\nExecStart=/usr/bin/restic -r \"/x backup\n",
		"restic-env.service":     "[Service]\nEnvironment=\"RESTIC_REPOSITORY=/x\nExecStart=/usr/bin/restic backup\n",
		"restic-spec.service":    "[Service]\nEnvironment=RESTIC_REPOSITORY=/srv/%i\nExecStart=/usr/bin/restic backup\n",
		"restic-envfile.service": "[Service]\nEnvironmentFile=/etc/%i.env\nExecStart=/usr/bin/restic backup\n",
	} {
		read(discover.ReadSystemdUnit(write(name, text), "/root"))
	}
	// A whole machine: the same repositories found in several tools give
	// the notes of merging them.
	home, root := t.TempDir(), t.TempDir()
	put := func(fixture, dst string) {
		data, err := os.ReadFile(filepath.Join(testdata, fixture))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	put("backrest/config.json", filepath.Join(home, ".config/backrest/config.json"))
	put("resticprofile/v1/profiles.yaml", filepath.Join(home, ".config/resticprofile/profiles.yaml"))
	put("systemd/user/restic-backup.service", filepath.Join(home, ".config/systemd/user/restic-backup.service"))
	crontab, err := os.ReadFile(filepath.Join(testdata, "cron", "crontab"))
	if err != nil {
		t.Fatal(err)
	}
	machine, machineSkips, _ := discover.Discover(context.Background(), discover.Options{Home: home, Root: root, GOOS: "linux",
		Environ: []string{"HOME=" + home, "RESTIC_REPOSITORY=/srv/restic/home", "RESTIC_PASSWORD_FILE=/etc/restic/home.pw", "RESTIC_PASSWORD=CANARY-plain"},
		Crontab: func(context.Context) (string, error) {
			return string(crontab) + "0 * * * * restic -r \"/x backup\n", nil
		}})
	found = append(found, machine...)
	skips = append(skips, machineSkips...)

	// The facts each note has (discover/notes.go says the same).
	factsOf := map[string][]string{
		discover.NoteEnvFileUnreadable: {"Path", "Error"}, discover.NoteEnvFilePassword: {"Var", "Preferred"},
		discover.NoteNoKey: {"Var"}, discover.NoteEnvEntry: {"N"}, discover.NoteEnvRef: {"Name"}, discover.NoteFlags: {"Flags"},
		discover.NotePasswordFrom: {"From"}, discover.NoteOtherPassword: {"From", "Kind", "File"}, discover.NoteOtherEnv: {"Name", "From"},
		discover.NoteUnreadable: {"What", "Path", "Error"}, discover.NoteRunsAs: {"User"},
	}
	seen := map[string]bool{}
	for _, f := range found {
		for _, n := range f.Notes {
			got, ok := noteText(n)
			if !ok || got != n.String() {
				t.Errorf("note %q (%s %v): the app says %q (known: %v)", n.String(), n.ID, n.Facts, got, ok)
			}
			var names []string
			for k := range n.Facts {
				names = append(names, k)
			}
			slices.Sort(names)
			want := slices.Sorted(slices.Values(factsOf[n.ID]))
			if !slices.Equal(names, want) {
				t.Errorf("note %s has facts %v; want %v", n.ID, names, want)
			}
			if strings.Contains(fmt.Sprint(n.Facts), "CANARY") {
				t.Errorf("note %s carries a secret: %v", n.ID, n.Facts)
			}
			seen[n.ID] = true
		}
	}
	// Notes these fixtures do not make; the discover package's tests make
	// each of them, in English (autorestic_test.go, dedup_test.go).
	notMade := []string{discover.NoteEnvFileUnreadable, discover.NoteNoKey, discover.NoteNoPassword, discover.NotePasswordFrom}
	for _, id := range discover.NoteIDs {
		if !seen[id] && !slices.Contains(notMade, id) {
			t.Errorf("no fixture made a note %s", id)
		}
		facts := map[string]string{}
		for _, k := range factsOf[id] {
			facts[k] = "x"
		}
		got, ok := noteText(discover.Note{ID: id, Facts: facts})
		if !ok || got == "" || strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
			t.Errorf("note %s: %q (known: %v)", id, got, ok)
		}
	}

	// Why the readers skipped what they skipped, the same way.
	skipSeen := map[string]bool{}
	for _, k := range skips {
		got, ok := skipReason(k)
		if !ok || got != k.Reason {
			t.Errorf("skipped for %q (%s %v): the app says %q (known: %v)", k.Reason, k.ID, k.Facts, got, ok)
		}
		if strings.Contains(fmt.Sprint(k.Facts)+k.Reason, "CANARY") {
			t.Errorf("skipped for %s carries a secret: %v", k.ID, k.Facts)
		}
		skipSeen[k.ID] = true
	}
	for _, id := range discover.SkipIDs {
		facts := map[string]string{"Backend": `"b"`, "Type": `"ftp"`, "Index": "0", "Repo": `"r"`, "Vars": "$REPO", "Specifier": "%i",
			"Name": "RESTIC_REPOSITORY", "Chain": "a → b → a", "Profile": `"p"`, "What": "repository", "Template": "{{ .Now }}"}
		got, ok := skipReason(discover.Skipped{ID: id, Facts: facts})
		if !ok || got == "" || strings.Contains(got, "<no value>") {
			t.Errorf("skip reason %s: %q (known: %v)", id, got, ok)
		}
	}
	for _, id := range discover.SkipIDs {
		if !skipSeen[id] {
			t.Errorf("no fixture was skipped for %s", id)
		}
	}
}
