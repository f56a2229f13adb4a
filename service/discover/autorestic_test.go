package discover

import (
	"path/filepath"
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
		Source: SourceAutorestic, File: file, Line: 23, Name: "remote",
		Repository: "b2:myBucket:backup/home", Password: "CANARY-s3cr3t-autorestic",
		Env: secrets("B2_ACCOUNT_ID", "0041234567890", "B2_ACCOUNT_KEY", "CANARY-s3cr3t-b2"),
	}, {
		Source: SourceAutorestic, File: file, Line: 30, Name: "rest",
		Repository: "rest:https://rest.example.org/alice", Password: "CANARY-s3cr3t-autorestic",
		Env:   secrets("RESTIC_REST_USERNAME", "alice", "RESTIC_REST_PASSWORD", "CANARY-s3cr3t-restpw"),
		Notes: []string{"the REST user and password are passed as RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD (restic 0.16.1 or later), not in the URL"},
	}, {
		Source: SourceAutorestic, File: file, Line: 37, Name: "nas",
		Repository: "sftp:backup@nas.lan:/srv/restic/photos",
		Notes: []string{
			"no key in the file: autorestic takes it from AUTORESTIC_NAS_RESTIC_PASSWORD or .autorestic.env",
			"no password source found: type its password when importing (it goes to the OS keyring)",
		},
	}, {
		// A relative local path is relative to the configuration file.
		Source: SourceAutorestic, File: file, Line: 40, Name: "beside",
		Repository: filepath.Join("testdata/autorestic", "repos/beside"), Password: "CANARY-s3cr3t-autorestic",
		Notes: []string{"the backend's options (extra restic flags) are not carried over: lockwatch's config has no place for them"},
	}})
	checkSkipped(t, skipped, []Skipped{{SourceAutorestic, file, 47, `backend "ftp" has type "ftp", which is not a backend lockwatch knows`}})
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
		f, reason := autoresticBackend("/x/.autorestic.yml", "b", b)
		if reason != "" || f.Repository != tc.want {
			t.Errorf("type %s path %s: %q (%s); want %q", tc.typ, tc.path, f.Repository, reason, tc.want)
		}
	}
}

func TestAutoresticBroken(t *testing.T) {
	_, _, err := ReadAutorestic("testdata/autorestic/broken.yml")
	checkErr(t, err, "testdata/autorestic/broken.yml:7: syntax error: found unexpected end of stream")
}
