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

	"github.com/lockwatch/lockwatch/app/client"
	"github.com/lockwatch/lockwatch/app/traytest"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/store"
)

// These tests run the real lockwatch app (GUI build) under Xvfb on a private
// D-Bus session bus. The test plays the desktop: traytest's watcher stands
// in for a panel, its notification server for a notification daemon.

var guiBin string

func lockwatchGUI(t testing.TB) string {
	t.Helper()
	if guiBin == "" {
		dir, err := os.MkdirTemp("", "lockwatch-gui")
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "lockwatch")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		guiBin = bin
	}
	return guiBin
}

// appSession starts a desktop session and the app on a repository with a
// real orphaned lock; the app runs its checks in-process (no service).
func appSession(t *testing.T, desktop func(*traytest.Session)) (*traytest.Session, *traytest.Process, string, *demotestRepo) {
	s := traytest.Start(t)
	desktop(s) // the panel and notification daemon run before the app starts, as at login
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	cfgPath := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = \"1h\"\n", demotest.Restic(t))+repoTOML("nas", repo, ""))
	home := t.TempDir()
	runtime := filepath.Join(home, "run")
	os.MkdirAll(runtime, 0o700)
	t.Setenv("XDG_RUNTIME_DIR", runtime) // the test's own hand-overs reach the app's sockets
	env := append(append([]string{}, s.Env...), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_RUNTIME_DIR="+runtime, "LANG=en_US.UTF-8")
	cmd := exec.Command(lockwatchGUI(t), "--config", cfgPath)
	cmd.Env = env
	p := s.StartProcess(t, cmd)
	return s, p, filepath.Join(home, "state", "lockwatch"), &demotestRepo{locksDir: repo.LocksDir, lockID: dead.LockID}
}

type demotestRepo struct{ locksDir, lockID string }

func (r *demotestRepo) hasLock() bool {
	_, err := os.Stat(filepath.Join(r.locksDir, r.lockID))
	return err == nil
}

func TestTrayUnlocksWithOneClick(t *testing.T) {
	var w *traytest.Watcher
	_, p, stateDir, repo := appSession(t, func(s *traytest.Session) { w = s.StartWatcher(t) })
	item := w.WaitItem(t, 30*time.Second)
	menu := item.Menu(t)

	header := menu.WaitLabel(t, "nas — stale lock (", 60*time.Second)
	if !strings.Contains(header.Label, "on ") {
		t.Errorf("repo item: %q", header.Label)
	}
	waitFor(t, 10*time.Second, "the tooltip names the stale lock", func() bool {
		return strings.Contains(item.ToolTip(t), "nas has a stale lock")
	})
	if title := item.Title(t); title == "" {
		t.Error("empty tray Title")
	}
	if px := item.IconPixmap(t); len(px) == 0 {
		t.Error("no tray icon")
	}
	// No service runs: the app checks in-process and its menu says so first.
	if note := menu.Layout(t).Children[0]; !strings.HasPrefix(note.Label, "Checks run inside this app") || note.Enabled {
		t.Errorf("first menu item %q (enabled %v), want the in-app note", note.Label, note.Enabled)
	}
	// The menu is drawn item by item when it first appears: wait for each.
	for _, want := range []string{"Check all now", "Open lockwatch", "Settings…", "Start at login", "Quit"} {
		menu.WaitLabel(t, want, 10*time.Second)
	}
	// The repo section's "Unlock stale locks" is the item after its header.
	id := itemAfter(t, menu.Layout(t), "nas — ", "Unlock stale locks")
	menu.Click(t, id)
	waitFor(t, 30*time.Second, "the tray's unlock removes the lock file", func() bool { return !repo.hasLock() })
	menu.WaitLabel(t, "nas — ok", 30*time.Second)
	waitFor(t, 5*time.Second, "every tray refresh titles the item lockwatch", func() bool { return item.Title(t) == "lockwatch" })
	waitFor(t, 10*time.Second, "Unlock stale locks is disabled with nothing stale", func() bool {
		layout := menu.Layout(t)
		for i, it := range layout.Children {
			if strings.HasPrefix(it.Label, "nas — ok") && i+1 < len(layout.Children) {
				next := layout.Children[i+1]
				return next.Label == "Unlock stale locks" && !next.Enabled
			}
		}
		return false
	})

	st, err := store.Open(daemon.StorePath(stateDir))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the audit trail says tray", func() bool {
		h, _ := st.History(store.Query{Repo: "nas", Kinds: []string{store.KindRemoval}})
		return len(h) == 1 && h[0].By == "tray" && h[0].Verdict == "orphaned" && h[0].Lock.ID == repo.lockID
	})
	menu.ClickLabel(t, "Quit")
	p.WaitExit(t, 10*time.Second)
}

// itemAfter finds the first item labelled want that follows the item whose
// label starts with header.
func itemAfter(t *testing.T, root traytest.MenuItem, header, want string) int32 {
	t.Helper()
	seen := false
	for _, it := range root.Children {
		if strings.HasPrefix(it.Label, header) {
			seen = true
		}
		if seen && it.Label == want {
			if !it.Enabled {
				t.Fatalf("%q is disabled", want)
			}
			return it.ID
		}
	}
	t.Fatalf("no %q after %q in %v", want, header, root)
	return 0
}

func TestNotificationClickOpensTheRepo(t *testing.T) {
	var notes *traytest.NotificationServer
	s, p, _, _ := appSession(t, func(s *traytest.Session) {
		s.StartWatcher(t)
		notes = s.StartNotificationServer(t)
	})
	n := notes.Wait(t, func(n traytest.Notified) bool { return strings.Contains(n.Summary, "nas has a stale lock") }, 60*time.Second)
	if !n.HasAction("default") {
		t.Fatalf("notification without a default action: %+v", n)
	}
	// Nothing shows the window before the click: the app lives in the tray.
	if windowTitled(t, s, "lockwatch — nas") {
		t.Fatal("the main window is open before the click")
	}
	notes.Invoke(t, n.ID, "default")
	waitFor(t, 15*time.Second, "the main window opens on nas", func() bool { return windowTitled(t, s, "lockwatch — nas") })
	_ = p
}

// windowTitled reports whether a mapped X window has this title. A window
// destroyed while xwininfo walks the tree makes it fail (BadWindow): that
// is "not yet", for the caller's wait to ask again.
func windowTitled(t testing.TB, s *traytest.Session, title string) bool {
	if _, err := exec.LookPath("xwininfo"); err != nil {
		t.Fatalf("xwininfo (apt-get install x11-utils): %v", err)
	}
	cmd := exec.CommandContext(context.Background(), "xwininfo", "-root", "-tree")
	cmd.Env = s.Env
	out, err := cmd.Output()
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, `"`+title+`"`) {
			id := strings.Fields(line)[0]
			info := exec.Command("xwininfo", "-id", id)
			info.Env = s.Env
			if state, err := info.Output(); err == nil && strings.Contains(string(state), "IsViewable") {
				return true
			}
		}
	}
	return false
}

func TestNoTrayHostOpensTheWindowAndSaysWhy(t *testing.T) {
	s, _, _, _ := appSession(t, func(*traytest.Session) {}) // no watcher on this bus: nothing shows tray icons
	waitFor(t, 30*time.Second, "the main window opens by itself", func() bool { return windowTitled(t, s, "lockwatch — nas") })
}

// Settings… opens the settings window in a window process; Details… then
// goes to that same process (one window process, never two), and when its
// last window closes the process ends while the tray stays.
func TestTraySettingsOpensTheSettingsWindow(t *testing.T) {
	var w *traytest.Watcher
	s, p, _, _ := appSession(t, func(s *traytest.Session) { w = s.StartWatcher(t) })
	menu := w.WaitItem(t, 30*time.Second).Menu(t)
	menu.WaitLabel(t, "nas — ", 60*time.Second)
	tray := p.Cmd.Process.Pid
	if n := len(processTree(t, tray)); n != 1 {
		t.Fatalf("the tray runs %d processes before any window is asked for, want itself alone", n)
	}
	menu.ClickLabel(t, "Settings…")
	waitFor(t, 15*time.Second, "the settings window opens", func() bool { return windowTitled(t, s, "lockwatch settings") })
	menu.Click(t, itemAfter(t, menu.Layout(t), "nas — ", "Details…"))
	waitFor(t, 15*time.Second, "Details… opens the main window on nas", func() bool { return windowTitled(t, s, "lockwatch — nas") })
	if n := len(processTree(t, tray)); n != 2 {
		t.Errorf("the tray and %d window processes run, want one window process", n-1)
	}
	if !client.HandOver(client.Window, client.Quit, "") {
		t.Fatal("the window process did not take the request to close") // as its windows' close buttons do
	}
	waitFor(t, 15*time.Second, "the window process ends", func() bool { return len(processTree(t, tray)) == 1 })
	if p.Exited() {
		t.Error("the tray ended with its windows")
	}
}

// TestScreenshots saves the README's pictures (make screenshots): the app on
// three real repositories — nas with a real orphaned lock next to a running
// backup, usb backed up through `lockwatch run`, offsite without a recent
// snapshot — then its main window and its settings.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("LOCKWATCH_SCREENSHOTS")
	if dir == "" {
		t.Skip("set LOCKWATCH_SCREENSHOTS=DIR (make screenshots) to save the README's pictures")
	}
	s := traytest.Start(t)
	w := s.StartWatcher(t)
	ctx := context.Background()
	// Short paths read better in the settings picture than t.TempDir's.
	base, err := os.MkdirTemp("", "backups-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	repos := map[string]*demo.Repo{}
	for _, name := range []string{"nas", "usb", "offsite"} {
		r, err := demo.Init(ctx, demotest.Restic(t), filepath.Join(base, name), 0)
		if err != nil {
			t.Fatal(err)
		}
		repos[name] = r
	}
	demotest.Orphan(t, repos["nas"])
	demotest.Hold(t, repos["nas"], demo.Options{})
	cfgPath := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = \"15m\"\n", demotest.Restic(t))+
		repoTOML("nas", repos["nas"], "")+
		repoTOML("usb", repos["usb"], "auto_unlock = \"stale\"\nmax_snapshot_age = \"26h\"\n")+
		repoTOML("offsite", repos["offsite"], "max_snapshot_age = \"26h\"\n"))
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "run"), 0o700)
	env := append(append([]string{}, s.Env...), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_RUNTIME_DIR="+filepath.Join(home, "run"), "LANG=en_US.UTF-8")
	backup := exec.Command(lockwatchGUI(t), "--config", cfgPath, "run", "usb", "--", demotest.Restic(t), "backup", "--stdin", "--stdin-filename", "notes.txt")
	backup.Env = env
	backup.Stdin = strings.NewReader("lockwatch screenshot\n")
	if out, err := backup.CombinedOutput(); err != nil {
		t.Fatalf("lockwatch run usb: %v\n%s", err, out)
	}

	app := exec.Command(lockwatchGUI(t), "--config", cfgPath)
	app.Env = env
	p := s.StartProcess(t, app)
	menu := w.WaitItem(t, 30*time.Second).Menu(t)
	menu.WaitLabel(t, "offsite — failed", 60*time.Second)
	menu.WaitLabel(t, "nas — stale lock", 60*time.Second)
	// The main window in Simplified Chinese and Japanese, as the OS's
	// language asks: the window process of the running app, started in
	// that language, shows what the app's checks found.
	for _, language := range []struct{ code, locale string }{{"zh-Hans", "zh_CN.UTF-8"}, {"ja", "ja_JP.UTF-8"}} {
		win := exec.Command(lockwatchGUI(t), "--config", cfgPath, "window", "repo/nas")
		win.Env = append(append([]string{}, env...), "LANGUAGE="+strings.ReplaceAll(language.code, "-", "_"), "LANG="+language.locale)
		wp := s.StartProcess(t, win)
		waitFor(t, 30*time.Second, "the "+language.code+" window opens", func() bool { return windowTitled(t, s, "lockwatch — nas") })
		s.WaitWindowStill(t, "lockwatch — nas", 20*time.Second)
		s.ScreenshotWindow(t, "lockwatch — nas", filepath.Join(dir, "main-window-"+language.code+".png"))
		_ = wp.Cmd.Process.Kill()
		wp.WaitExit(t, 10*time.Second)
	}
	menu.ClickLabel(t, "Open lockwatch")
	waitFor(t, 15*time.Second, "the main window opens", func() bool { return windowTitled(t, s, "lockwatch — nas") })
	s.WaitWindowStill(t, "lockwatch — nas", 15*time.Second) // the history loads, the window settles
	s.ScreenshotWindow(t, "lockwatch — nas", filepath.Join(dir, "main-window.png"))

	menu.ClickLabel(t, "Settings…")
	waitFor(t, 15*time.Second, "the settings window opens", func() bool { return windowTitled(t, s, "lockwatch settings") })
	s.WaitWindowStill(t, "lockwatch settings", 15*time.Second)
	s.ScreenshotWindow(t, "lockwatch settings", filepath.Join(dir, "settings.png"))
	menu.ClickLabel(t, "Quit")
	p.WaitExit(t, 10*time.Second)
}

// What a click on a Windows toast does: a second start with the link, the
// way the shell passes it, hands it to the running app and exits; the
// running app opens its window on that repository.
func TestLinkHandedToTheRunningApp(t *testing.T) {
	var w *traytest.Watcher
	s, p, _, _ := appSession(t, func(s *traytest.Session) { w = s.StartWatcher(t) })
	w.WaitItem(t, 30*time.Second).Menu(t).WaitLabel(t, "nas — ", 60*time.Second)
	if windowTitled(t, s, "lockwatch — nas") {
		t.Fatal("the main window is open before the link")
	}
	second := exec.Command(p.Cmd.Path, append(p.Cmd.Args[1:], "lockwatch://repo/nas/")...)
	second.Env = p.Cmd.Env
	done := make(chan error, 1)
	go func() { out, err := second.CombinedOutput(); t.Logf("second start: %s", out); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("second start: %v", err)
		}
	case <-time.After(15 * time.Second):
		second.Process.Kill()
		t.Fatal("the second start did not hand over and exit")
	}
	waitFor(t, 15*time.Second, "the running app opens its window on nas", func() bool { return windowTitled(t, s, "lockwatch — nas") })
}

// With a service running, the tray is its face: no checks in the app, the
// menu follows the service's event stream, and the tray's unlock is done
// (and audited) by the service.
func TestTrayFollowsTheService(t *testing.T) {
	s := traytest.Start(t)
	w := s.StartWatcher(t)
	repo := demotest.LocalRepo(t)
	cfgPath := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = \"1h\"\n", demotest.Restic(t))+repoTOML("nas", repo, ""))
	env := serviceEnv(t)
	svc := startService(t, cfgPath, env)

	home := t.TempDir()
	app := exec.Command(lockwatchGUI(t), "--config", cfgPath)
	app.Env = append(append([]string{}, s.Env...), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+envValue(env, "XDG_STATE_HOME"), "XDG_RUNTIME_DIR="+envValue(env, "XDG_RUNTIME_DIR"), "LANG=en_US.UTF-8")
	p := s.StartProcess(t, app)
	menu := w.WaitItem(t, 30*time.Second).Menu(t)
	menu.WaitLabel(t, "nas — ok", 60*time.Second)
	if _, ok := menu.Find(t, "Checks run inside this app"); ok {
		t.Error("the menu says checks run in the app, but the service runs them")
	}

	// A backup dies; the service's next check (asked for by the CLI, which
	// goes through the service) reaches the tray over the event stream.
	dead := demotest.Orphan(t, repo)
	check := exec.Command(lockwatchBinary(t), "--config", cfgPath, "check", "nas")
	check.Env = env
	if out, _ := check.CombinedOutput(); check.ProcessState.ExitCode() != 1 {
		t.Fatalf("lockwatch check: exit %d\n%s", check.ProcessState.ExitCode(), out)
	}
	menu.WaitLabel(t, "nas — stale lock (", 30*time.Second)

	menu.Click(t, itemAfter(t, menu.Layout(t), "nas — ", "Unlock stale locks"))
	waitFor(t, 30*time.Second, "the service removes the lock", func() bool { return !lockFile(repo, dead.LockID) })
	menu.WaitLabel(t, "nas — ok", 30*time.Second)
	h, err := svc.client.History(context.Background(), "nas", 0)
	if err != nil {
		t.Fatal(err)
	}
	removals := 0
	for _, e := range h {
		if e.Kind == store.KindRemoval {
			removals++
			if e.By != "tray" || e.Lock == nil || e.Lock.ID != dead.LockID {
				t.Errorf("removal %+v", e)
			}
		}
	}
	if removals != 1 {
		t.Errorf("%d removals in the service's history, want 1", removals)
	}
	menu.ClickLabel(t, "Quit")
	p.WaitExit(t, 10*time.Second)
}
