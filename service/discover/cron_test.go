package discover

import (
	"reflect"
	"testing"
)

func TestParseCrontab(t *testing.T) {
	const file = "crontab -l"
	text, err := readFile("testdata/cron/crontab")
	if err != nil {
		t.Fatal(err)
	}
	// The crontab's settings apply to every command below them.
	pw := "/home/alice/.config/restic/password"
	aws := secrets("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY", "CANARY-s3cr3t-cron")
	found, skipped, err := ParseCrontab(file, text)
	checkErr(t, err, "")
	checkFound(t, found, []Found{{
		Source: SourceCron, File: file, Line: 7, Name: "laptop",
		Repository: "s3:s3.amazonaws.com/alice-backups/laptop", PasswordFile: pw, Env: aws,
	}, {
		// RESTIC_REPOSITORY=… in front of the command.
		Source: SourceCron, File: file, Line: 8, Name: "restic",
		Repository: "/mnt/usb/restic", PasswordFile: pw, Env: aws,
	}, {
		Source: SourceCron, File: file, Line: 9, Name: "laptop",
		Repository: "sftp:backup@nas.lan:/srv/restic/laptop/", PasswordFile: pw, Env: aws,
		Notes: notes(unsupportedNote([]string{"-o sftp.command"})),
	}, {
		// Inside sh -c '…'.
		Source: SourceCron, File: file, Line: 12, Name: "home",
		Repository: "/srv/restic/home", PasswordFile: pw, Env: aws,
	}})
	checkSkipped(t, skipped, []Skipped{
		{Source: SourceCron, File: file, Line: 10, Reason: "runs restic without a repository (-r) and sets no RESTIC_REPOSITORY (the command reads a file with . or source, which may set it)"},
		{Source: SourceCron, File: file, Line: 11, Reason: "restic's flags refer to $REPO, which is set somewhere lockwatch cannot see"},
	})
}

func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`restic -r /srv/repo backup`, []string{"restic", "-r", "/srv/repo", "backup"}},
		{`restic -r "/srv/my repo" -p '/etc/pw file'`, []string{"restic", "-r", "/srv/my repo", "-p", "/etc/pw file"}},
		{`a\ b "c\"d" 'e\f'`, []string{"a b", `c"d`, `e\f`}},
		{`x=1 restic check&&echo ok; date | tee log || true &`, []string{"x=1", "restic", "check", "&&", "echo", "ok", ";", "date", "|", "tee", "log", "||", "true", "&"}},
		{`restic backup # the rest is a comment`, []string{"restic", "backup"}},
		{`restic backup a#b`, []string{"restic", "backup", "a#b"}},
	} {
		got, err := splitWords(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitWords(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := splitWords(`restic -r "/srv/repo`); err == nil {
		t.Error("an unterminated quote is no error")
	}
	// systemd's values keep ; and # as they are.
	if got, _ := splitQuoted(`"A=x;y" B=#z`); !reflect.DeepEqual(got, []string{"A=x;y", "B=#z"}) {
		t.Errorf("splitQuoted = %q", got)
	}
}

func TestResticCommands(t *testing.T) {
	for _, tc := range []struct {
		line  string
		words []string // instead of splitting line
		want  []resticCommand
	}{
		{"restic -r /a backup", nil, []resticCommand{{repo: "/a"}}},
		{"/usr/bin/restic --repo=/a --password-file=/pw snapshots", nil, []resticCommand{{repo: "/a", passwordFile: "/pw"}}},
		{"restic -r/a -p /pw check", nil, []resticCommand{{repo: "/a", passwordFile: "/pw"}}},
		{"restic --repository-file /etc/repo --password-command 'pass show x' check", nil, []resticCommand{{repoFile: "/etc/repo", passwordCommand: "pass show x"}}},
		{"RESTIC_PASSWORD_FILE=/pw restic -r /a backup", nil, []resticCommand{{assign: [][2]string{{"RESTIC_PASSWORD_FILE", "/pw"}}, repo: "/a"}}},
		{"restic -r /a -o sftp.command='ssh x' --insecure-tls --cacert /ca backup", nil, []resticCommand{{repo: "/a", unsupported: []string{"-o sftp.command", "--insecure-tls", "--cacert"}}}},
		// Arguments after -- are files, not flags.
		{"restic -r /a backup -- -r /b", nil, []resticCommand{{repo: "/a"}}},
		{"restic -r /a unlock && restic -r /b backup", nil, []resticCommand{{repo: "/a"}, {repo: "/b"}}},
		{"sh -c 'restic -r /a backup'", nil, []resticCommand{{repo: "/a"}}},
		// Windows: backslashes are path separators, not escapes.
		{"", []string{`C:\restic\restic.exe`, "-r", `D:\repo`, "backup"}, []resticCommand{{repo: `D:\repo`}}},
		{"echo restic-is-great; resticprofile backup", nil, nil},
	} {
		words := tc.words
		if words == nil {
			var err error
			if words, err = splitWords(tc.line); err != nil {
				t.Fatal(err)
			}
		}
		if got := resticCommands(words); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n  got  %+v\n  want %+v", words, got, tc.want)
		}
	}
}
