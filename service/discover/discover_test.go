package discover

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/config"
)

// fixtureMachine lays the fixtures out where the tools keep them, under a
// temporary home and a temporary root for /etc, and returns Options that
// look there. The crontab comes from a stand-in for `crontab -l`.
func fixtureMachine(t *testing.T) Options {
	t.Helper()
	home, root := t.TempDir(), t.TempDir()
	put := func(fixture, dst string) {
		data, err := os.ReadFile(filepath.Join("testdata", fixture))
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
	put("resticprofile/v2/profiles.toml", filepath.Join(root, "etc/resticprofile/profiles.toml"))
	put("autorestic/broken.yml", filepath.Join(home, ".autorestic.yml")) // a broken file does not stop the rest
	put("autorestic/.autorestic.yml", filepath.Join(home, ".config/autorestic/.autorestic.yml"))
	put("systemd/user/restic-backup.service", filepath.Join(home, ".config/systemd/user/restic-backup.service"))
	put("systemd/user/restic-b2.service", filepath.Join(home, ".config/systemd/user/restic-b2.service"))
	put("systemd/home/.config/restic/b2.env", filepath.Join(home, ".config/restic/b2.env"))
	put("systemd/system/restic-sh.service", filepath.Join(root, "etc/systemd/system/restic-sh.service"))
	put("systemd/system/restic@.service", filepath.Join(root, "etc/systemd/system/restic@.service"))
	put("systemd/system/nginx.service", filepath.Join(root, "etc/systemd/system/nginx.service"))
	crontab, err := os.ReadFile("testdata/cron/crontab")
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Home: home, Root: root, GOOS: "linux",
		Environ: []string{"HOME=" + home, "RESTIC_REPOSITORY=/srv/restic/home", "RESTIC_PASSWORD_FILE=/etc/restic/home.pw"},
		// A stand-in for `crontab -l`.
		Crontab: func(context.Context) (string, error) { return string(crontab), nil },
	}
}

func TestDiscover(t *testing.T) {
	o := fixtureMachine(t)
	found, skipped, errs := Discover(context.Background(), o)

	// Every repository once, under a name config accepts and no other has.
	var got []string
	for _, f := range found {
		got = append(got, fmt.Sprintf("%s %s %s", f.Source, f.Name, f.Location()))
	}
	want := []string{
		"backrest local-disk /mnt/backup/restic",
		"backrest b2-offsite s3:s3.us-west-004.backblazeb2.com/my-bucket/laptop",
		"backrest nas sftp:backup@nas.lan:/srv/restic/laptop",
		"backrest home /srv/restic/home/",
		"resticprofile base local:/backup/base",
		"resticprofile documents local:/backup/documents",
		"resticprofile photos local:/backup/photos",
		"resticprofile cloud s3:s3.amazonaws.com/alice-backups/laptop",
		"resticprofile default rest:https://backup.example.org:8000/alice/",
		"resticprofile server local:/srv/restic/server",
		"autorestic hdd /mnt/my_external_storage",
		"autorestic remote b2:myBucket:backup/home",
		"autorestic rest rest:https://rest.example.org/alice",
		"autorestic nas-2 sftp:backup@nas.lan:/srv/restic/photos",
		"autorestic beside " + filepath.Join(o.Home, ".config/autorestic/repos/beside"),
		"systemd restic-b2 s3:s3.us-west-004.backblazeb2.com/my-bucket/server",
		"systemd restic-sh sftp:backup@nas.lan:/srv/restic/server",
		"cron restic /mnt/usb/restic",
		// The crontab's s3:…/laptop is resticprofile's cloud, its
		// sftp:…/laptop/ Backrest's nas: merged.
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("found:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// /srv/restic/home is in Backrest, a user unit, the crontab and the
	// environment: one entry that says so.
	var home Found
	for _, f := range found {
		if f.Name == "home" {
			home = f
		}
	}
	wantAlso := []Origin{
		{SourceSystemd, filepath.Join(o.Home, ".config/systemd/user/restic-backup.service"), 10},
		{SourceCron, "crontab -l", 12},
		{SourceEnv, "", 0},
	}
	if !reflect.DeepEqual(home.Also, wantAlso) {
		t.Errorf("home also found in %v; want %v", home.Also, wantAlso)
	}
	if home.Password != "CANARY-s3cr3t-backrest" || home.PasswordFile != "" {
		t.Errorf("home's password source is %s; want Backrest's (the first)", home.PasswordSource())
	}
	wantNotes := []string{
		"systemd " + wantAlso[0].File + ":10 gives another password source (file " + o.Home + "/.config/restic/password); this one is kept",
		"cron crontab -l:12 gives another password source (file /home/alice/.config/restic/password); this one is kept",
		"the environment gives another password source (file /etc/restic/home.pw); this one is kept",
	}
	if !reflect.DeepEqual(noteTexts(home.Notes), wantNotes) {
		t.Errorf("home's notes:\n  %q\nwant\n  %q", noteTexts(home.Notes), wantNotes)
	}

	// The broken autorestic file is reported with its line; the other
	// autorestic file was read all the same.
	brokenFile := filepath.Join(o.Home, ".autorestic.yml")
	if len(errs) != 1 || errs[0].Error() != "autorestic: "+brokenFile+":7: syntax error: found unexpected end of stream" {
		t.Errorf("errors: %v", errs)
	}
	var ce *config.Error
	if len(errs) == 1 && (!errors.As(errs[0], &ce) || ce.File != brokenFile || ce.Line != 7) {
		t.Errorf("the error is no *config.Error naming file and line: %#v", errs[0])
	}

	var reasons []string
	for _, s := range skipped {
		reasons = append(reasons, fmt.Sprintf("%s %s:%d", s.Source, filepath.Base(s.File), s.Line))
	}
	wantSkipped := []string{
		"backrest config.json:42",
		"resticprofile profiles.yaml:46", "resticprofile profiles.yaml:50", "resticprofile profiles.yaml:53", "resticprofile profiles.yaml:55",
		"resticprofile profiles.toml:31",
		"autorestic .autorestic.yml:47",
		"systemd restic@.service:7",
		"cron crontab -l:10", "cron crontab -l:11",
	}
	if !reflect.DeepEqual(reasons, wantSkipped) {
		t.Errorf("skipped:\n  %s\nwant\n  %s", strings.Join(reasons, "\n  "), strings.Join(wantSkipped, "\n  "))
	}
}

func TestDiscoverSourcesAreIndependent(t *testing.T) {
	o := fixtureMachine(t)
	o.Crontab = func(context.Context) (string, error) { return "", errors.New("crontab -l: exit status 2") }
	o.Sources = []string{SourceCron, SourceEnv}
	found, _, errs := Discover(context.Background(), o)
	if len(errs) != 1 || errs[0].Error() != "cron: crontab -l: exit status 2" {
		t.Errorf("errors: %v", errs)
	}
	if len(found) != 1 || found[0].Source != SourceEnv {
		t.Errorf("with the crontab failing, found %v; want the environment's repository", found)
	}
}

func TestDefaultLocations(t *testing.T) {
	env := lookupIn([]string{"XDG_CONFIG_HOME=/xdg", "APPDATA=C:\\Users\\alice\\AppData\\Roaming"})
	o := Options{Home: "/home/alice", GOOS: "linux"}
	if got := o.backrestPaths(env); !reflect.DeepEqual(got, []string{"/xdg/backrest/config.json"}) {
		t.Errorf("backrest on Linux: %v", got)
	}
	if got := o.backrestPaths(lookupIn([]string{"XDG_CONFIG_HOME=relative"})); !reflect.DeepEqual(got, []string{"/home/alice/.config/backrest/config.json"}) {
		t.Errorf("backrest with a relative XDG_CONFIG_HOME: %v", got)
	}
	if got := o.backrestPaths(lookupIn([]string{"BACKREST_CONFIG=/srv/backrest.json"})); !reflect.DeepEqual(got, []string{"/srv/backrest.json"}) {
		t.Errorf("backrest with BACKREST_CONFIG: %v", got)
	}
	o.GOOS = "windows"
	if got := o.backrestPaths(env); !reflect.DeepEqual(got, []string{filepath.Join(`C:\Users\alice\AppData\Roaming`, "backrest", "config.json")}) {
		t.Errorf("backrest on Windows: %v", got)
	}
	o.GOOS = "linux"

	// resticprofile: the first profiles.* of each directory it searches, in its order.
	root, work := t.TempDir(), t.TempDir()
	touch := func(p string) string {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inWork := touch(filepath.Join(work, "profiles.yaml"))
	etcConf := touch(filepath.Join(root, "etc/resticprofile/profiles.conf"))
	touch(filepath.Join(root, "etc/resticprofile/profiles.yaml")) // resticprofile loads .conf first
	usrLocal := touch(filepath.Join(root, "usr/local/etc/profiles.toml"))
	custom := touch(filepath.Join(work, "custom", "backup.json"))
	rp := Options{Home: "/home/alice", GOOS: "linux", Root: root, WorkDir: work}
	got := rp.resticprofilePaths(lookupIn([]string{"RESTICPROFILE_CONFIG=" + filepath.Join(work, "custom", "backup")}))
	if want := []string{custom, inWork, usrLocal, etcConf}; !reflect.DeepEqual(got, want) {
		t.Errorf("resticprofile:\n  got  %q\n  want %q", got, want)
	}

	if got := o.autoresticPaths(env); !reflect.DeepEqual(got, []string{
		"/home/alice/.autorestic.yml", "/home/alice/.autorestic.yaml", "/xdg/autorestic/.autorestic.yml", "/xdg/autorestic/.autorestic.yaml",
	}) {
		t.Errorf("autorestic: %v", got)
	}
}
