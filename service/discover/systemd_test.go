package discover

import (
	"testing"
)

func TestReadSystemdUnit(t *testing.T) {
	home := abs(t, "testdata/systemd/home") // what %h stands for
	type want struct {
		found   []Found
		skipped []Skipped
	}
	for _, tc := range []struct {
		file string
		want want
	}{{
		// Environment= with quotes; ExecStart runs restic without -r.
		"testdata/systemd/user/restic-backup.service", want{found: []Found{{
			Source: SourceSystemd, File: "testdata/systemd/user/restic-backup.service", Line: 10, Name: "restic-backup",
			Repository: "/srv/restic/home", PasswordFile: home + "/.config/restic/password",
		}}},
	}, {
		// EnvironmentFile= (a missing optional one is fine); --password-command beats RESTIC_PASSWORD.
		"testdata/systemd/user/restic-b2.service", want{found: []Found{{
			Source: SourceSystemd, File: "testdata/systemd/user/restic-b2.service", Line: 9, Name: "restic-b2",
			Repository:      "s3:s3.us-west-004.backblazeb2.com/my-bucket/server",
			PasswordCommand: "pass show restic/b2",
			Env:             secrets("AWS_ACCESS_KEY_ID", "004a1b2c3d4e5f60000000002", "AWS_SECRET_ACCESS_KEY", "CANARY-s3cr3t-envfile"),
			Notes:           []string{unsupportedNote([]string{"-o s3.storage-class"})},
		}}},
	}, {
		// sh -c with ${REPO} from Environment=, twice on one repository.
		"testdata/systemd/system/restic-sh.service", want{found: []Found{{
			Source: SourceSystemd, File: "testdata/systemd/system/restic-sh.service", Line: 5, Name: "restic-sh",
			Repository: "sftp:backup@nas.lan:/srv/restic/server", PasswordFile: "/etc/restic/nas.pw",
		}}},
	}, {
		"testdata/systemd/system/restic@.service", want{skipped: []Skipped{{SourceSystemd, "testdata/systemd/system/restic@.service", 7,
			"restic's flags use the systemd specifier %i, which lockwatch does not resolve"}}},
	}, {
		"testdata/systemd/system/restic-script.service", want{skipped: []Skipped{{SourceSystemd, "testdata/systemd/system/restic-script.service", 6,
			"mentions restic, but its settings may be in a file that could not be read (EnvironmentFile /nonexistent/lockwatch-test/restic.env could not be read: no such file or directory)"}}},
	}, {
		"testdata/systemd/system/nginx.service", want{},
	}} {
		found, skipped, err := ReadSystemdUnit(tc.file, home)
		checkErr(t, err, "")
		checkFound(t, found, tc.want.found)
		checkSkipped(t, skipped, tc.want.skipped)
	}
}

func TestExpandSpecifiers(t *testing.T) {
	for _, tc := range []struct{ in, out, bad string }{
		{"/srv/restic", "/srv/restic", ""},
		{"%h/.config/restic/pw", "/home/alice/.config/restic/pw", ""},
		{"100%%", "100%", ""},
		{"/srv/restic/%i", "/srv/restic/", "%i"},
		{"%u-%h", "-/home/alice", "%u"},
	} {
		out, bad := expandSpecifiers(tc.in, "/home/alice")
		if bad != tc.bad || (bad == "" && out != tc.out) {
			t.Errorf("expandSpecifiers(%q) = %q, %q; want %q, %q", tc.in, out, bad, tc.out, tc.bad)
		}
	}
}

func TestParseEnvFile(t *testing.T) {
	got := parseEnvFile([]byte("# comment\n; also a comment\nA=1\nexport B=\"two words\"\nC='x y'\nnot an assignment\n D = spaced \n"))
	want := []envLine{{3, "A", "1"}, {4, "B", "two words"}, {5, "C", "x y"}, {7, "D", "spaced"}}
	if len(got) != len(want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %v; want %v", i, got[i], want[i])
		}
	}
}
