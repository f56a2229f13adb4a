package discover

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
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
			Notes:           notes(unsupportedNote([]string{"-o s3.storage-class"})),
		}}},
	}, {
		// sh -c with ${REPO} from Environment=, twice on one repository.
		"testdata/systemd/system/restic-sh.service", want{found: []Found{{
			Source: SourceSystemd, File: "testdata/systemd/system/restic-sh.service", Line: 5, Name: "restic-sh",
			Repository: "sftp:backup@nas.lan:/srv/restic/server", PasswordFile: "/etc/restic/nas.pw",
		}}},
	}, {
		"testdata/systemd/system/restic@.service", want{skipped: []Skipped{{Source: SourceSystemd, File: "testdata/systemd/system/restic@.service", Line: 7,
			Reason: "restic's flags use the systemd specifier %i, which lockwatch does not resolve"}}},
	}, {
		"testdata/systemd/system/restic-script.service", want{skipped: []Skipped{{Source: SourceSystemd, File: "testdata/systemd/system/restic-script.service", Line: 6,
			Reason: "mentions restic, but its settings may be in a file that could not be read (EnvironmentFile /nonexistent/lockwatch-test/restic.env could not be read: no such file or directory)"}}},
	}, {
		// systemctl edit's override.conf moves the repository: the drop-in,
		// read after the unit, wins and is where the repository is named.
		"testdata/systemd/system/restic-offsite.service", want{found: []Found{{
			Source: SourceSystemd, File: "testdata/systemd/system/restic-offsite.service.d/override.conf", Line: 2, Name: "restic-offsite",
			Repository: "s3:s3.eu-central-1.wasabisys.com/offsite-backup/server", PasswordFile: "/etc/restic/offsite.pw",
			Env: secrets("AWS_ACCESS_KEY_ID", "WASABI0EXAMPLE0KEY0ID", "AWS_SECRET_ACCESS_KEY", "CANARY-s3cr3t-dropin"),
		}}},
	}, {
		// Drop-ins by file name: 50-nas.conf resets ExecStart and sets a password
		// file, override.conf (later) another; usb.conf.disabled is no drop-in.
		"testdata/systemd/user/restic-photos.service", want{found: []Found{{
			Source: SourceSystemd, File: "testdata/systemd/user/restic-photos.service.d/50-nas.conf", Line: 5, Name: "restic-photos",
			Repository: "sftp:backup@nas.lan:/srv/restic/photos", PasswordFile: home + "/.config/restic/photos.pw",
		}}},
	}, {
		// A system unit that runs as someone else.
		"testdata/systemd/system/restic-alice.service", want{found: []Found{{
			Source: SourceSystemd, File: "testdata/systemd/system/restic-alice.service", Line: 11, Name: "restic-alice",
			Repository: "/srv/restic/alice", PasswordFile: "/home/alice/.config/restic/password",
			Notes: notes("the unit runs as user alice (User=): the repository and its password source may be readable by that user only"),
		}}},
	}, {
		"testdata/systemd/system/nginx.service", want{},
	}} {
		found, skipped, err := ReadSystemdUnit(tc.file, home)
		checkErr(t, err, "")
		checkFound(t, found, tc.want.found)
		checkSkipped(t, skipped, tc.want.skipped)
	}
}

// TestSystemdDropIns: drop-ins that cannot be read are named; one linked
// to /dev/null (systemd's mask) is nothing; a drop-in may be what makes a
// unit about restic.
func TestSystemdDropIns(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// A generic backup unit that the drop-in points at a restic repository.
	unit := write("backup.service", "[Service]\nType=oneshot\nExecStart=/usr/local/bin/backup\n")
	override := write("backup.service.d/override.conf", "[Service]\nEnvironment=RESTIC_REPOSITORY=/srv/restic/backup\n")
	if err := os.Symlink("/dev/null", filepath.Join(dir, "backup.service.d", "90-masked.conf")); err != nil {
		t.Fatal(err)
	}
	found, skipped, err := ReadSystemdUnit(unit, "/root")
	checkErr(t, err, "")
	checkFound(t, found, []Found{{
		Source: SourceSystemd, File: override, Line: 2, Name: "backup", Repository: "/srv/restic/backup",
		Notes: notes("no password source found: type its password when importing (it goes to the OS keyring)"),
	}})
	checkSkipped(t, skipped, nil)

	// A drop-in over the bound is not read, and says so.
	unit = write("restic-big.service", "[Service]\nType=oneshot\nExecStart=/usr/bin/restic -r /srv/restic/big backup /srv\n")
	big := write("restic-big.service.d/override.conf", string(bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1)))
	found, _, err = ReadSystemdUnit(unit, "/root")
	checkErr(t, err, "")
	if len(found) != 1 || len(found[0].Notes) != 2 || !strings.HasPrefix(found[0].Notes[1].Text, "drop-in "+big+" could not be read: too big") {
		t.Errorf("a unit with a huge drop-in: %v", found)
	}

	// A script's settings in an unreadable drop-in: skipped, naming it.
	unit = write("restic-script.service", "[Service]\nExecStart=/usr/local/bin/restic-backup.sh\n")
	write("restic-script.service.d/override.conf", string(bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1)))
	_, skipped, _ = ReadSystemdUnit(unit, "/root")
	bigScript := filepath.Join(dir, "restic-script.service.d/override.conf")
	if len(skipped) != 1 || skipped[0].File != bigScript || !strings.Contains(skipped[0].Reason, "drop-in "+bigScript+" could not be read: too big") {
		t.Errorf("a script unit with a huge drop-in: %v", skipped)
	}
}

// TestSystemdUserDoesNotMoveHome: User= earns a note but leaves %h alone,
// since systemd resolves %h to the service manager's home, "not influenced
// by the User= setting" (systemd.unit(5)): /root for a system unit.
func TestSystemdUserDoesNotMoveHome(t *testing.T) {
	for _, tc := range []struct{ user, note string }{
		{"alice", "the unit runs as user alice (User=): the repository and its password source may be readable by that user only"},
		{"1000", "the unit runs as user 1000 (User=): the repository and its password source may be readable by that user only"},
		{"root", ""},
	} {
		p := filepath.Join(t.TempDir(), "restic.service")
		unit := "[Service]\nUser=" + tc.user + "\nEnvironment=RESTIC_PASSWORD_FILE=%h/.config/restic/pw\nExecStart=/usr/bin/restic -r /srv/restic backup /srv\n"
		if err := os.WriteFile(p, []byte(unit), 0o600); err != nil {
			t.Fatal(err)
		}
		found, _, err := ReadSystemdUnit(p, "/root")
		checkErr(t, err, "")
		want := Found{Source: SourceSystemd, File: p, Line: 4, Name: "restic", Repository: "/srv/restic", PasswordFile: "/root/.config/restic/pw"}
		if tc.note != "" {
			want.Notes = notes(tc.note)
		}
		checkFound(t, found, []Found{want})
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
