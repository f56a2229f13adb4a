package discover

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResticprofileVersion1YAML(t *testing.T) {
	const file = "testdata/resticprofile/v1/profiles.yaml"
	key := filepath.Join("testdata/resticprofile/v1", "key") // password-file is relative to the configuration
	found, skipped, err := ReadResticprofile(file)
	checkErr(t, err, "")
	checkFound(t, found, []Found{{
		// The base is a profile too; its template names itself.
		Source: SourceResticprofile, File: file, Line: 15, Name: "base",
		Repository: "local:/backup/base", PasswordFile: key,
	}, {
		// Inherited, with {{ .Profile.Name }} naming the child.
		Source: SourceResticprofile, File: file, Line: 23, Name: "documents",
		Repository: "local:/backup/documents", PasswordFile: key,
	}, {
		Source: SourceResticprofile, File: file, Line: 29, Name: "photos",
		Repository: "local:/backup/photos", PasswordFile: key,
		Env:                 secrets("TMPDIR", "/var/tmp"),
		ResticprofileStatus: "/var/lib/resticprofile/status.json", ResticprofileProfile: "photos",
	}, {
		Source: SourceResticprofile, File: file, Line: 37, Name: "cloud",
		Repository:      "s3:s3.amazonaws.com/alice-backups/laptop",
		PasswordCommand: "secret-tool lookup restic cloud",
		Env:             secrets("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY", "CANARY-s3cr3t-rp"),
	}})
	checkSkipped(t, skipped, []Skipped{
		{Source: SourceResticprofile, File: file, Line: 46, Reason: "repository uses the template {{ .Now.Weekday }}, which lockwatch does not evaluate"},
		{Source: SourceResticprofile, File: file, Line: 50, Reason: `inherits from profile "does-not-exist", which is not in the file`},
		{Source: SourceResticprofile, File: file, Line: 53, Reason: "inherit loop: loop-a → loop-b → loop-a"},
		{Source: SourceResticprofile, File: file, Line: 55, Reason: "inherit loop: loop-b → loop-a → loop-b"},
	})
}

func TestResticprofileVersion2TOML(t *testing.T) {
	const file = "testdata/resticprofile/v2/profiles.toml"
	restEnv := secrets("RESTIC_REST_USERNAME", "alice", "RESTIC_REST_PASSWORD", "CANARY-s3cr3t-rest")
	found, skipped, err := ReadResticprofile(file)
	checkErr(t, err, "")
	checkFound(t, found, []Found{{
		Source: SourceResticprofile, File: file, Line: 8, Name: "default",
		Repository: "rest:https://backup.example.org:8000/alice/", PasswordFile: "/etc/resticprofile/alice.key",
		Env:                 restEnv,
		ResticprofileStatus: "/var/lib/resticprofile/status.json", ResticprofileProfile: "default",
	}, {
		// The status file is inherited, and records this profile under its own name.
		Source: SourceResticprofile, File: file, Line: 17, Name: "documents",
		Repository: "rest:https://backup.example.org:8000/alice/", PasswordFile: "/etc/resticprofile/alice.key",
		Env:                 restEnv,
		ResticprofileStatus: "/var/lib/resticprofile/status.json", ResticprofileProfile: "documents",
	}, {
		Source: SourceResticprofile, File: file, Line: 22, Name: "server",
		Repository: "local:/srv/restic/server", PasswordFile: filepath.Join("testdata/resticprofile/v2", "server.key"),
	}})
	checkSkipped(t, skipped, []Skipped{{Source: SourceResticprofile, File: file, Line: 31, Reason: "uses mixins (use), which lockwatch does not apply"}})
}

func TestResticprofileJSON(t *testing.T) {
	const file = "testdata/resticprofile/json/profiles.json"
	found, skipped, err := ReadResticprofile(file)
	checkErr(t, err, "")
	checkFound(t, found, []Found{{
		Source: SourceResticprofile, File: file, Line: 6, Name: "default",
		Repository: "b2:alice-backups:laptop", PasswordFile: "~/.config/resticprofile/b2.key",
		Env:   secrets("B2_ACCOUNT_ID", "0041234567890", "B2_ACCOUNT_KEY", "CANARY-s3cr3t-json"),
		Notes: notes("the status-file is relative to the directory resticprofile runs in: not wired up"),
	}})
	checkSkipped(t, skipped, nil)
}

func TestResticprofileRelativePaths(t *testing.T) {
	const file = "testdata/resticprofile/relative/profiles.conf"
	found, skipped, err := ReadResticprofile(file)
	checkErr(t, err, "")
	checkFound(t, found, []Found{{
		// base-dir says where the repository and the status file are.
		Source: SourceResticprofile, File: file, Line: 8, Name: "based",
		Repository: "local:/srv/backup/repo", PasswordFile: filepath.Join("testdata/resticprofile/relative", "password.txt"),
		ResticprofileStatus: "/srv/backup/status.json", ResticprofileProfile: "based",
	}})
	checkSkipped(t, skipped, []Skipped{{Source: SourceResticprofile, File: file, Line: 3,
		Reason: "the repository is a relative path, resolved from the directory resticprofile is started in"}})
}

// TestResticprofileSkipsWholeFiles: what would make every profile a guess.
func TestResticprofileSkipsWholeFiles(t *testing.T) {
	for _, tc := range []struct {
		file   string
		line   int
		reason string
	}{
		{"testdata/resticprofile/includes/profiles.conf", 4, "includes other files, which may change any profile: not read"},
		{"testdata/resticprofile/hcl/profiles.hcl", 0, "HCL configurations are not read; a TOML, YAML or JSON one would be"},
		{"testdata/resticprofile/rawtemplate/profiles.toml", 6, "uses templates ({{ … }}) that lockwatch does not evaluate, and cannot be read without them"},
	} {
		found, skipped, err := ReadResticprofile(tc.file)
		checkErr(t, err, "")
		checkFound(t, found, nil)
		checkSkipped(t, skipped, []Skipped{{Source: SourceResticprofile, File: tc.file, Line: tc.line, Reason: tc.reason}})
	}
}

func TestResticprofileBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Decoders quote the offending value; these values are secrets.
	bare := write("bare.toml", "version = \"1\"\n[default]\nrepository = \"/srv/r\"\npassword-command = CANARY-s3cr3t\n")
	open := write("open.toml", "[default]\nenv = { RESTIC_PASSWORD = \"CANARY-s3cr3t\nrepository = \"/srv/r\"\n")
	escape := write("escape.yaml", "default:\n  env:\n    RESTIC_PASSWORD: \"CANARY-s3cr3t\\q\"\n")
	for _, tc := range []struct{ file, want string }{
		{"testdata/resticprofile/broken/profiles.yaml", "testdata/resticprofile/broken/profiles.yaml:6: syntax error: mapping values are not allowed in this context"},
		{bare, bare + `:4: syntax error: expected value but found "…" instead`},
		{open, open + ":2: syntax error: strings cannot contain newlines"},
		{escape, escape + ":3: syntax error: found unknown escape character"},
		{write("profiles.ini", "[default]\n"), filepath.Join(dir, "profiles.ini") + `: unknown extension ".ini" for a resticprofile configuration`},
	} {
		_, _, err := ReadResticprofile(tc.file)
		checkErr(t, err, tc.want)
	}
}
