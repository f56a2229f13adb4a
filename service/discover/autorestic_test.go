package discover

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadAutorestic(t *testing.T) {
	const file = "testdata/autorestic/.autorestic.yml"
	found, skipped, err := ReadAutorestic(file)
	checkErr(t, err, "")
	checkFound(t, found, []Found{{
		Source: SourceAutorestic, File: file, Line: 19, Name: "hdd",
		Repository: "/mnt/my_external_storage", Password: "CANARY-s3cr3t-autorestic",
	}, {
		// env merges an alias (<<: *b2env); autorestic upper-cases the names.
		// .autorestic.env beats the file: a rotated key and B2 account key.
		Source: SourceAutorestic, File: file, Line: 23, Name: "remote",
		Repository: "b2:myBucket:backup/home", Password: "CANARY-s3cr3t-autorestic-rotated",
		Env:   secrets("B2_ACCOUNT_ID", "0041234567890", "B2_ACCOUNT_KEY", "CANARY-s3cr3t-b2-env"),
		Notes: notes("the password comes from .autorestic.env (AUTORESTIC_REMOTE_RESTIC_PASSWORD), which autorestic prefers to the one in the file"),
	}, {
		Source: SourceAutorestic, File: file, Line: 30, Name: "rest",
		Repository: "rest:https://rest.example.org/alice", Password: "CANARY-s3cr3t-autorestic",
		Env:   secrets("RESTIC_REST_USERNAME", "alice", "RESTIC_REST_PASSWORD", "CANARY-s3cr3t-restpw"),
		Notes: notes("the REST user and password are passed as RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD (restic 0.16.1 or later), not in the URL"),
	}, {
		// No key in the file: .autorestic.env has it.
		Source: SourceAutorestic, File: file, Line: 37, Name: "nas",
		Repository: "sftp:backup@nas.lan:/srv/restic/photos", Password: "CANARY-s3cr3t-autorestic-env",
		Notes: notes("the password comes from .autorestic.env (AUTORESTIC_NAS_RESTIC_PASSWORD)"),
	}, {
		// A relative local path is relative to the configuration file.
		Source: SourceAutorestic, File: file, Line: 40, Name: "beside",
		Repository: filepath.Join("testdata/autorestic", "repos/beside"), Password: "CANARY-s3cr3t-autorestic",
		Notes: notes("the backend's options (extra restic flags) are not carried over: lockwatch's config has no place for them"),
	}})
	checkSkipped(t, skipped, []Skipped{{Source: SourceAutorestic, File: file, Line: 47, Reason: `backend "ftp" has type "ftp", which is not a backend lockwatch knows`}})
}

// TestAutoresticEnvFile: a backend's name becomes AUTORESTIC_USB_DISK_ in
// .autorestic.env, and usb does not take usb-disk's variables, which also
// start with AUTORESTIC_USB_. A missing env file is nothing; an unreadable
// one is a note.
func TestAutoresticEnvFile(t *testing.T) {
	const file = "testdata/autorestic/hyphen/.autorestic.yml"
	usb := Found{
		Source: SourceAutorestic, File: file, Line: 11, Name: "usb",
		Repository: "/media/alice/usb/restic", Password: "CANARY-s3cr3t-usb",
	}
	found, skipped, err := ReadAutorestic(file)
	checkErr(t, err, "")
	checkFound(t, found, []Found{usb, {
		Source: SourceAutorestic, File: file, Line: 15, Name: "usb-disk",
		Repository: "/media/alice/usb-disk/restic", Password: "CANARY-s3cr3t-usb-disk",
		Env:   secrets("RESTIC_CACHE_DIR", "/var/cache/restic-usb-disk"),
		Notes: notes("the password comes from .autorestic.env (AUTORESTIC_USB_DISK_RESTIC_PASSWORD)"),
	}})
	checkSkipped(t, skipped, nil)
	checkNothingPrinted(t, found)

	// The same configuration without its env file, then with one that is
	// not a file.
	dir := t.TempDir()
	yml := filepath.Join(dir, ".autorestic.yml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(yml, data, 0o600); err != nil {
		t.Fatal(err)
	}
	noKey := notes(
		"no key in the file: autorestic takes it from AUTORESTIC_USB_DISK_RESTIC_PASSWORD or .autorestic.env",
		"no password source found: type its password when importing (it goes to the OS keyring)",
	)
	usb.File = yml
	disk := Found{Source: SourceAutorestic, File: yml, Line: 15, Name: "usb-disk", Repository: "/media/alice/usb-disk/restic", Notes: noKey}
	found, _, err = ReadAutorestic(yml)
	checkErr(t, err, "")
	checkFound(t, found, []Found{usb, disk})

	envFile := filepath.Join(dir, ".autorestic.env")
	if err := os.Mkdir(envFile, 0o700); err != nil {
		t.Fatal(err)
	}
	note := envFile + " could not be read (not a regular file): autorestic may take the password or credentials from it"
	usb.Notes = notes(note)
	disk.Notes = slices.Concat(noKey, notes(note))
	found, _, err = ReadAutorestic(yml)
	checkErr(t, err, "")
	checkFound(t, found, []Found{usb, disk})
}

// checkNothingPrinted: no secret of found shows when it is printed or
// logged. secrets_test.go does this for the fixtures it globs; this is for
// the others.
func checkNothingPrinted(t *testing.T, found []Found) {
	t.Helper()
	var b strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		fmt.Fprintf(&b, verb+"\n", found)
		for _, f := range found {
			fmt.Fprintf(&b, verb+" "+verb+" "+verb+"\n", &f, f.Password, f.Env)
		}
	}
	for _, f := range found {
		b.WriteString(f.String() + f.PasswordSource() + strings.Join(noteTexts(f.Notes), "\n"))
		if err := json.NewEncoder(&b).Encode([]any{f.Password, f.Env}); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(b.String(), canary) {
		t.Errorf("a secret was printed:\n%s", b.String())
	}
}

func TestAutoresticLocations(t *testing.T) {
	// How autorestic turns a backend's type and path into restic's location.
	for _, tc := range []struct{ typ, path, want string }{
		{"local", "/srv/restic", "/srv/restic"},
		{"local", "~/restic", "~/restic"},
		{"sftp", "user@host:/srv/restic", "sftp:user@host:/srv/restic"},
		{"rest", "http://host:8000/repo", "rest:http://host:8000/repo"},
		{"s3", "s3.amazonaws.com/bucket", "s3:s3.amazonaws.com/bucket"},
		{"b2", "bucket:path", "b2:bucket:path"},
		{"azure", "container:/path", "azure:container:/path"},
		{"gs", "bucket:/path", "gs:bucket:/path"},
		{"rclone", "remote:path", "rclone:remote:path"},
	} {
		b := newMap(1)
		b.set("type", &node{text: tc.typ})
		b.set("path", &node{text: tc.path})
		f, reason := autoresticBackend("/x/.autorestic.yml", "b", b, nil)
		if reason.Text != "" || f.Repository != tc.want {
			t.Errorf("type %s path %s: %q (%s); want %q", tc.typ, tc.path, f.Repository, reason, tc.want)
		}
	}
}

func TestAutoresticBroken(t *testing.T) {
	_, _, err := ReadAutorestic("testdata/autorestic/broken.yml")
	checkErr(t, err, "testdata/autorestic/broken.yml:7: syntax error: found unexpected end of stream")
}
