//go:build !nogui

package main

import (
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/app/traytest"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/store"
)

// These run the app with the programs a real desktop has, from Debian:
// xfce4-panel as the tray host (it draws the icon and the menu) and dunst
// as the notification daemon. The stand-ins in app/traytest serve the
// finer-grained tests.

// waitRemovalBy waits until the store of the app in stateDir has recorded the
// removal of lockID by by.
func waitRemovalBy(t *testing.T, stateDir, lockID, by string) {
	t.Helper()
	st, err := store.Open(daemon.StorePath(stateDir))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the audit trail says "+by, func() bool {
		h, _ := st.History(store.Query{Repo: "nas", Kinds: []string{store.KindRemoval}})
		return len(h) == 1 && h[0].By == by && h[0].Lock.ID == lockID
	})
}

// The icon is in the panel; a click on it opens the menu the panel draws;
// choosing "Unlock stale locks" there removes the real orphaned lock.
func TestRealPanelMenuUnlocks(t *testing.T) {
	var panel *traytest.Panel
	s, p, stateDir, repo := appSession(t, func(s *traytest.Session) { panel = s.StartPanel(t) })
	menu := panel.WaitItem(t, p.Cmd.Process.Pid, 30*time.Second).Menu(t)
	menu.WaitLabel(t, "nas — stale lock (", 60*time.Second)
	menu.WaitLabel(t, "Quit", 10*time.Second) // drawn whole
	panel.WaitIcon(t, 15*time.Second)

	before := s.TopWindows(t)
	panel.ClickIcon(t, 1)
	popup := s.WaitPopup(t, before, 10*time.Second)
	if dir := os.Getenv("LOCKWATCH_SCREENSHOTS"); dir != "" {
		// The panel's left end, with the icon and the menu it opened.
		area := image.Rect(0, 0, popup.X+popup.W, popup.Y+popup.H).Inset(-12).Intersect(image.Rect(0, 0, 1280, 800))
		s.ScreenshotArea(t, area, filepath.Join(dir, "tray-menu.png"))
	}
	if popup.H < 200 {
		t.Errorf("the menu the panel drew is %dx%d, too small for lockwatch's", popup.W, popup.H)
	}
	// As a user can with the keyboard: the in-app note is disabled, so the
	// first Down selects the repository's header, the second its Unlock.
	s.Keys(t, "Down", "Down", "Return")
	waitFor(t, 30*time.Second, "the panel's Unlock stale locks removes the lock", func() bool { return !repo.hasLock() })
	waitRemovalBy(t, stateDir, repo.lockID, "tray")
	menu.WaitLabel(t, "nas — ok", 30*time.Second)
}

// dunst receives the stale-lock notification with its Unlock action; the
// default action opens the window on the repository; Unlock removes the
// lock and the notification is withdrawn; a repository's next trouble
// replaces its notification rather than stacking.
func TestRealNotificationDaemon(t *testing.T) {
	var dunst *traytest.Dunst
	s, p, stateDir, repo := appSession(t, func(s *traytest.Session) {
		s.StartWatcher(t)
		dunst = s.StartDunst(t)
	})
	stale := dunst.WaitShown(t, func(n traytest.DunstNotification) bool {
		return strings.Contains(n.Summary, "nas has a stale lock")
	}, 60*time.Second)
	if stale.AppName != "lockwatch" || stale.Urgency != "NORMAL" || stale.IconPath == "" {
		t.Errorf("stale-lock notification: app %q, urgency %q, icon %q", stale.AppName, stale.Urgency, stale.IconPath)
	}
	keys := map[string]bool{}
	for _, a := range dunst.Actions(t) {
		keys[a.Key] = true
	}
	if !keys["default"] || !keys["unlock"] {
		t.Fatalf("the notification offers %v, want default and unlock", keys)
	}

	dunst.ActionDefault(t)
	waitFor(t, 15*time.Second, "the default action opens the window on nas", func() bool { return windowTitled(t, s, "lockwatch — nas") })

	dunst.InvokeAction(t, "unlock")
	waitFor(t, 30*time.Second, "Unlock in the notification removes the lock", func() bool { return !repo.hasLock() })
	waitRemovalBy(t, stateDir, repo.lockID, "notification")
	waitFor(t, 15*time.Second, "the notification is withdrawn once nas is fine", func() bool { return dunst.CountDisplayed(t) == 0 })

	// Next trouble: nas cannot be read, then a backup of it fails. One
	// notification for nas, the newest; the failed backup is critical.
	repoDir := filepath.Dir(repo.locksDir)
	if err := os.Rename(repoDir, repoDir+".away"); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) {
		cmd := exec.Command(p.Cmd.Path, append([]string{"--config", p.Cmd.Args[2]}, args...)...)
		cmd.Env = p.Cmd.Env
		out, _ := cmd.CombinedOutput()
		t.Logf("lockwatch %s: %s", strings.Join(args, " "), out)
	}
	cli("check", "nas")
	dunst.WaitShown(t, func(n traytest.DunstNotification) bool { return strings.Contains(n.Summary, "nas cannot be checked") }, 30*time.Second)
	cli("run", "nas", "--", "false")
	failed := dunst.WaitShown(t, func(n traytest.DunstNotification) bool { return strings.Contains(n.Summary, "A backup of nas failed") }, 30*time.Second)
	if failed.Urgency != "CRITICAL" {
		t.Errorf("failed backup notification urgency %q, want CRITICAL", failed.Urgency)
	}
	if n := dunst.CountDisplayed(t); n != 1 {
		t.Errorf("%d notifications displayed, want 1: the newest of nas replaces the last", n)
	}
}
