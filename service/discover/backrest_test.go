package discover

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lockwatch/lockwatch/service/config"
)

func TestReadBackrest(t *testing.T) {
	const file = "testdata/backrest/config.json"
	found, skipped, err := ReadBackrest(file)
	checkErr(t, err, "")
	checkFound(t, found, []Found{{
		Source: SourceBackrest, File: file, Line: 7, Name: "local-disk",
		Repository: "/mnt/backup/restic",
		Password:   "CANARY-s3cr3t-backrest",
		AutoUnlock: config.AutoUnlockStale,
		Notes:      notes(`Backrest's autoUnlock becomes auto_unlock = "stale": lockwatch removes only locks whose process is gone, where Backrest removed every lock before its own runs`),
	}, {
		Source: SourceBackrest, File: file, Line: 23, Name: "b2-offsite", // "b2/offsite": no '/' in a name
		Repository: "s3:s3.us-west-004.backblazeb2.com/my-bucket/laptop",
		Password:   "CANARY-s3cr3t-backrest",
		// The quotes Backrest strips are stripped; ${…} is Backrest's to fill in.
		Env: secrets("AWS_ACCESS_KEY_ID", "004a1b2c3d4e5f60000000001", "AWS_SECRET_ACCESS_KEY", "CANARY-s3cr3t-aws"),
		Notes: notes(
			"env AWS_DEFAULT_REGION refers to a variable in Backrest's own environment: left out, set it yourself",
			unsupportedNote([]string{"-o s3.bucket-lookup", "--limit-upload"}),
		),
	}, {
		Source: SourceBackrest, File: file, Line: 35, Name: "nas",
		Repository:      "sftp:backup@nas.lan:/srv/restic/laptop",
		PasswordCommand: "pass show restic/CANARY-s3cr3t-token", // from env RESTIC_PASSWORD_COMMAND
		Notes:           notes(unsupportedNote([]string{"-o sftp.command"})),
	}, {
		Source: SourceBackrest, File: file, Line: 47, Name: "home",
		Repository: "/srv/restic/home/",
		Password:   "CANARY-s3cr3t-backrest",
	}})
	checkSkipped(t, skipped, []Skipped{{Source: SourceBackrest, File: file, Line: 42,
		Reason: `repo "from-env"'s uri refers to an environment variable (${…}) that Backrest fills in from its own environment`}})
}

func TestReadBackrestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missingComma := write("comma.json", "{\n  \"repos\": [\n    {\"id\": \"a\", \"uri\": \"/srv/a\" \"password\": \"CANARY-s3cr3t\"}\n  ]\n}\n")
	bareSecret := write("bare.json", "{\"repos\": [\n{\"id\": \"a\",\n\"password\": CANARY-s3cr3t}]}")
	for _, tc := range []struct{ file, want string }{
		{"testdata/backrest/half-written.json", "testdata/backrest/half-written.json:25: unexpected end of the file (is it half-written?)"},
		{"testdata/backrest/no-repos.json", "testdata/backrest/no-repos.json:1: repos must be a list, not a map"},
		{missingComma, missingComma + ":3: syntax error: invalid character '\"' after object key:value pair"},
		{bareSecret, bareSecret + ":3: syntax error: invalid character 'C' looking for beginning of value"},
	} {
		found, _, err := ReadBackrest(tc.file)
		checkErr(t, err, tc.want)
		if len(found) > 0 {
			t.Errorf("%s: found %v in a broken file", tc.file, found)
		}
	}
}
