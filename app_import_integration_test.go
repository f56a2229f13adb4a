//go:build !nogui

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/app/traytest"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// The first run, as a new user meets it: no lockwatch config yet, Backrest and
// resticprofile set up on real repositories. The app writes an empty config, its tray
// says there is nothing to watch yet, and its window opens by itself on
// what discovery found instead of an empty list (docs/import.png).
func TestFirstRunOffersWhatOtherToolsKnow(t *testing.T) {
	s := traytest.Start(t)
	w := s.StartWatcher(t)
	// Short paths read better in the picture than t.TempDir's.
	base, err := os.MkdirTemp("", "backups-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	laptop, err := demo.Init(context.Background(), demotest.Restic(t), filepath.Join(base, "laptop"), 0)
	if err != nil {
		t.Fatal(err)
	}
	photos, err := demo.Init(context.Background(), demotest.Restic(t), filepath.Join(base, "photos"), 0)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	put := func(rel, text string) {
		p := filepath.Join(home, rel)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Backrest knows the laptop's repository and a USB disk not plugged in.
	put(".config/backrest/config.json", fmt.Sprintf(`{"modno": 1, "version": 4, "instance": "desk", "repos": [
  {"id": "laptop", "uri": %q, "password": %q, "autoUnlock": true},
  {"id": "usb", "uri": "/media/usb/restic", "password": "usb-pw"}
]}`, laptop.Location, readTrimmed(t, laptop.PasswordFile)))
	// resticprofile knows the photos' repository.
	put(".config/resticprofile/profiles.yaml", fmt.Sprintf("version: \"1\"\nphotos:\n  repository: %q\n  password-file: %q\n",
		"local:"+photos.Location, photos.PasswordFile))
	os.MkdirAll(filepath.Join(home, "run"), 0o700)
	env := append(append([]string{}, s.Env...), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_RUNTIME_DIR="+filepath.Join(home, "run"), "LANG=en_US.UTF-8")
	cfgPath := filepath.Join(home, ".config", "lockwatch", "config.toml")

	app := exec.Command(lockwatchGUI(t), "--config", cfgPath)
	app.Env = env
	p := s.StartProcess(t, app)
	menu := w.WaitItem(t, 30*time.Second).Menu(t)
	menu.WaitLabel(t, "No repositories yet — find them…", 30*time.Second)
	const title = "lockwatch — import"
	waitFor(t, 60*time.Second, "the window opens on the offer", func() bool { return windowTitled(t, s, title) })
	if data, err := os.ReadFile(cfgPath); err != nil || strings.Contains(string(data), "[[repo]]") {
		t.Errorf("the first run's config: %v\n%s", err, data)
	}
	s.WaitWindowStill(t, title, 15*time.Second)
	path := filepath.Join(t.TempDir(), "import.png")
	if dir := os.Getenv("LOCKWATCH_SCREENSHOTS"); dir != "" {
		path = filepath.Join(dir, "import.png")
	}
	s.ScreenshotWindow(t, title, path)
	if colours := distinctColours(t, path); colours < 50 {
		t.Errorf("the offer's window has %d colours: blank, not the offer (%s)", colours, path)
	}
	menu.ClickLabel(t, "Quit")
	p.WaitExit(t, 10*time.Second)
}
