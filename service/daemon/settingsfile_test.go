package daemon

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lockwatch/lockwatch/service/config"
)

const commentedSettingsConfig = `# my lockwatch config
[defaults]
check_interval = "5m"   # not too often

# the NAS in the cellar
[[repo]]
name = "nas"   # short
repository = "/srv/restic"
password_file = "/etc/restic/pw"
env = { AWS_SECRET_ACCESS_KEY = "env-s3cr3t" }

# the USB disk
[[repo]]
  name = "usb"
  repository = "/mnt/usb"
  password_file = "/etc/restic/usb"
`

// The settings window adds, edits, renames and removes repositories; the
// file keeps the user's comments and layout, and only the table concerned
// changes.
func TestSettingsEditKeepTheUsersFile(t *testing.T) {
	d, path := newSettingsDaemon(t, commentedSettingsConfig)
	put := func(old string, in config.RepoInput) {
		t.Helper()
		if _, fields, err := d.PutRepo(old, in); err != nil || fields != nil {
			t.Fatalf("PutRepo(%q): %v %v", old, fields, err)
		}
	}
	check := func(step, want string) {
		t.Helper()
		if got := readFile(t, path); got != want {
			t.Errorf("after %s the file is:\n%s\nwant:\n%s", step, got, want)
		}
	}

	put("", config.RepoInput{Name: "cloud", Repository: "/srv/cloud", PasswordFile: "/p"})
	added := commentedSettingsConfig + "\n[[repo]]\nname = \"cloud\"\nrepository = \"/srv/cloud\"\npassword_file = \"/p\"\n"
	check("adding cloud", added)

	put("nas", config.RepoInput{Name: "nas", Repository: "/srv/restic2", PasswordFile: "/etc/restic/pw",
		Env: map[string]string{"AWS_SECRET_ACCESS_KEY": config.MaskedValue}})
	edited := strings.Replace(added, `repository = "/srv/restic"`, `repository = "/srv/restic2"`, 1)
	check("editing nas", edited)

	put("usb", config.RepoInput{Name: "usb disk", Repository: "/mnt/usb", PasswordFile: "/etc/restic/usb"})
	renamed := strings.Replace(edited, `  name = "usb"`, `  name = "usb disk"`, 1)
	check("renaming usb", renamed)

	if err := d.DeleteRepo("cloud"); err != nil {
		t.Fatal(err)
	}
	check("removing cloud", strings.Replace(renamed, "\n[[repo]]\nname = \"cloud\"\nrepository = \"/srv/cloud\"\npassword_file = \"/p\"\n", "", 1))

	if st := d.Status(); len(st.Repos) != 2 || st.Repos[1].Name != "usb disk" {
		t.Errorf("the daemon runs %+v", st.Repos)
	}
}

// 50 settings edits at once, of every kind, through the daemon: the file
// loads afterwards, holds every edit, and still has the user's comments.
func TestFiftyConcurrentSettingsEditsKeepTheFile(t *testing.T) {
	const repos = 25
	var text strings.Builder
	text.WriteString("# my lockwatch config\n[defaults]\nnotifications = true\n")
	for i := range repos {
		fmt.Fprintf(&text, "\n# repo r%d\n[[repo]]\nname = \"r%d\"\nrepository = \"/srv/restic/r%d\"\npassword_file = \"/etc/restic/pw\"\n", i, i, i)
	}
	d, path := newSettingsDaemon(t, text.String())
	// A hostile name among the added ones: it must come back as typed.
	const hostile = `new "]` + ` [[repo]] name = "evil`

	var wg sync.WaitGroup
	errs := make(chan error, 50)
	putRepo := func(old string, in config.RepoInput) {
		_, fields, err := d.PutRepo(old, in)
		if err == nil && len(fields) > 0 {
			err = fmt.Errorf("%s: %v", in.Name, fields)
		}
		errs <- err
	}
	for i := range 10 { // r0…r9: auto-unlock from the tray
		wg.Go(func() {
			_, err := d.SetAutoUnlock(fmt.Sprintf("r%d", i), config.AutoUnlockStale)
			errs <- err
		})
	}
	for i := 10; i < 15; i++ { // r10…r14: a new repository path
		wg.Go(func() {
			putRepo(fmt.Sprintf("r%d", i), config.RepoInput{Name: fmt.Sprintf("r%d", i), Repository: fmt.Sprintf("/srv/moved/r%d", i), PasswordFile: "/etc/restic/pw"})
		})
	}
	for i := 15; i < 20; i++ { // r15…r19: renamed
		wg.Go(func() {
			putRepo(fmt.Sprintf("r%d", i), config.RepoInput{Name: fmt.Sprintf("renamed%d", i), Repository: fmt.Sprintf("/srv/restic/r%d", i), PasswordFile: "/etc/restic/pw"})
		})
	}
	for i := 20; i < 25; i++ { // r20…r24: removed
		wg.Go(func() { errs <- d.DeleteRepo(fmt.Sprintf("r%d", i)) })
	}
	for i := range 20 { // added
		name := fmt.Sprintf("new%d", i)
		if i == 0 {
			name = hostile
		}
		wg.Go(func() {
			putRepo("", config.RepoInput{Name: name, Repository: fmt.Sprintf("/srv/new/%d", i), PasswordFile: "/etc/restic/pw"})
		})
	}
	for i := range 5 {
		wg.Go(func() { errs <- d.SetNotifications(i%2 == 0) })
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		n++
		if err != nil {
			t.Error(err)
		}
	}
	if n != 50 {
		t.Fatalf("%d edits, want 50", n)
	}
	if err := d.SetNotifications(false); err != nil {
		t.Fatal(err)
	}

	data := readFile(t, path)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the config no longer loads: %v\n%s", err, data)
	}
	for i := range 10 {
		if r, ok := cfg.Repo(fmt.Sprintf("r%d", i)); !ok || r.AutoUnlock != config.AutoUnlockStale {
			t.Errorf("r%d lost its auto_unlock = \"stale\" (%v)", i, ok)
		}
	}
	for i := 10; i < 15; i++ {
		if r, ok := cfg.Repo(fmt.Sprintf("r%d", i)); !ok || r.Repository != fmt.Sprintf("/srv/moved/r%d", i) {
			t.Errorf("r%d lost its new path (%v)", i, ok)
		}
	}
	for i := 15; i < 20; i++ {
		if _, ok := cfg.Repo(fmt.Sprintf("renamed%d", i)); !ok {
			t.Errorf("r%d was not renamed", i)
		}
		if _, ok := cfg.Repo(fmt.Sprintf("r%d", i)); ok {
			t.Errorf("r%d is still there under its old name", i)
		}
	}
	for i := 20; i < 25; i++ {
		if _, ok := cfg.Repo(fmt.Sprintf("r%d", i)); ok {
			t.Errorf("r%d, removed, is still there", i)
		}
		if strings.Contains(data, fmt.Sprintf("# repo r%d\n", i)) {
			t.Errorf("the comment of the removed r%d stayed", i)
		}
	}
	for i := range 20 {
		name := fmt.Sprintf("new%d", i)
		if i == 0 {
			name = hostile
		}
		if r, ok := cfg.Repo(name); !ok || r.Repository != fmt.Sprintf("/srv/new/%d", i) {
			t.Errorf("%q, added in the settings, is gone or wrong (%v)", name, ok)
		}
	}
	if len(cfg.Repos) != 40 {
		t.Errorf("%d repos, want 40", len(cfg.Repos))
	}
	if cfg.Defaults.Notifications {
		t.Error("notifications are on after the last edit turned them off")
	}
	for i := range 20 {
		if !strings.Contains(data, fmt.Sprintf("# repo r%d\n", i)) {
			t.Errorf("the comment above r%d is gone", i)
		}
	}
	if !strings.HasPrefix(data, "# my lockwatch config\n[defaults]\n") {
		t.Errorf("the file's own comment is gone:\n%s", data)
	}
}
