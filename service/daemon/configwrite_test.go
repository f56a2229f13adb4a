package daemon

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lockwatch/lockwatch/service/config"
)

// Every edit of the config file reads it, changes it and writes it back:
// edits at once from the tray (auto-unlock), the settings window (a repo,
// notifications) must each keep what the others wrote.
func TestConcurrentConfigEditsLoseNothing(t *testing.T) {
	const n = 12
	var text strings.Builder
	text.WriteString("# my lockwatch config\n[defaults]\nnotifications = true\n")
	for i := range n {
		fmt.Fprintf(&text, "\n[[repo]]\nname = \"r%d\"\nrepository = \"/srv/restic/r%d\"\npassword_file = \"/etc/restic/pw\"\nauto_unlock = \"off\"\n", i, i)
	}
	d, path := newSettingsDaemon(t, text.String())

	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Go(func() {
			_, err := d.SetAutoUnlock(fmt.Sprintf("r%d", i), config.AutoUnlockStale)
			errs <- err
		})
		wg.Go(func() {
			// Toggle notifications; the last one below decides.
			errs <- d.SetNotifications(i%2 == 0)
		})
		wg.Go(func() {
			_, fields, err := d.PutRepo("", config.RepoInput{Name: fmt.Sprintf("new%d", i), Repository: fmt.Sprintf("/srv/restic/new%d", i), PasswordFile: "/etc/restic/pw"})
			if err == nil && len(fields) > 0 {
				err = fmt.Errorf("new%d: %v", i, fields)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := d.SetNotifications(false); err != nil {
		t.Fatal(err)
	}

	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the config no longer loads: %v\n%s", err, readFile(t, path))
	}
	for i := range n {
		if r, ok := cfg.Repo(fmt.Sprintf("r%d", i)); !ok || r.AutoUnlock != config.AutoUnlockStale {
			t.Errorf("r%d lost its auto_unlock = \"stale\" (%v)", i, ok)
		}
		if _, ok := cfg.Repo(fmt.Sprintf("new%d", i)); !ok {
			t.Errorf("new%d, added in the settings, is gone", i)
		}
	}
	if cfg.Defaults.Notifications {
		t.Error("notifications are on after the last edit turned them off")
	}
}
