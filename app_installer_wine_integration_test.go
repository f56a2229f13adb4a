//go:build !nogui

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/winetest"
)

// windowsInstaller builds the NSIS installer (packaging/windows) around exe.
func windowsInstaller(t *testing.T, exe, version string) string {
	t.Helper()
	if _, err := exec.LookPath("makensis"); err != nil {
		t.Fatalf("makensis is not installed (run make deps, or apt-get install --no-install-recommends nsis): %v", err)
	}
	dir := t.TempDir()
	icon := filepath.Join(dir, "lockwatch.ico")
	if out, err := exec.Command("convert", "icons/app.png", "-define", "icon:auto-resize=256,64,48,32,16", icon).CombinedOutput(); err != nil {
		t.Fatalf("making the icon: %v\n%s", err, out)
	}
	setup := filepath.Join(dir, "lockwatch-setup.exe")
	cmd := exec.Command("makensis", "-V2", "-DVERSION="+version, "-DEXE="+exe, "-DICON="+icon, "-DOUT="+setup, "packaging/windows/lockwatch.nsi")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("makensis: %v\n%s", err, out)
	}
	return setup
}

// The Windows installer as a user runs it, under Wine: a silent install
// puts lockwatch.exe in %LocalAppData%\Programs\lockwatch without
// administrator rights, with its Start menu shortcut, lockwatch:// links,
// the Start-at-login entry and an entry under the user's Apps; the
// installed lockwatch.exe runs; the uninstaller (as Apps runs it, silently)
// removes all of that and leaves the user's config and history.
func TestWindowsInstallerUnderWine(t *testing.T) {
	setup := os.Getenv("LOCKWATCH_SETUP") // make package-test's; else built here
	if setup == "" {
		setup = windowsInstaller(t, windowsGUIBinary(t), "0.0.0-test")
	}
	w := winetest.Start(t)
	w.KillAll(t)
	t.Cleanup(func() { w.KillAll(t) })
	// Output goes through a file, not a pipe: a process Wine starts in the
	// background (a service, wineboot's helpers) inherits the pipe and
	// would hold it open after the program ended.
	wine := func(program string, args ...string) (string, error) {
		f, err := os.CreateTemp(t.TempDir(), "out")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := w.Command(program, args...)
		cmd.Stdout, cmd.Stderr = f, f
		err = cmd.Run()
		out, _ := os.ReadFile(f.Name())
		return string(out), err
	}
	users, _ := filepath.Glob(filepath.Join(w.Prefix, "drive_c", "users", "*", "AppData", "Local"))
	var home string
	for _, u := range users {
		if !strings.Contains(u, "Public") {
			home = filepath.Dir(filepath.Dir(u))
		}
	}
	if home == "" {
		t.Fatalf("no user profile in the Wine prefix (%v)", users)
	}
	installDir := filepath.Join(home, "AppData", "Local", "Programs", "lockwatch")
	shortcut := filepath.Join(home, "AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs", "lockwatch.lnk")
	regKeys := map[string]string{
		`HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\lockwatch`: "UninstallString",
		`HKCU\Software\Classes\lockwatch\shell\open\command`:                 `lockwatch.exe" "%1"`,
		`HKCU\Software\Microsoft\Windows\CurrentVersion\Run`:                 `lockwatch.exe"`,
	}

	if out, err := wine(setup, "/S"); err != nil {
		t.Fatalf("the silent install: %v\n%s", err, out)
	}
	for _, f := range []string{filepath.Join(installDir, "lockwatch.exe"), filepath.Join(installDir, "uninstall.exe"), shortcut} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("after the install: %v", err)
		}
	}
	for key, want := range regKeys {
		out, err := wine("reg", "query", key)
		if err != nil || !strings.Contains(out, want) || (!strings.Contains(out, `Programs\lockwatch`) && !strings.HasSuffix(key, "Run") && !strings.HasSuffix(key, "command")) {
			t.Errorf("reg query %s: %v\n%s", key, err, out)
		}
	}
	if out, _ := wine("reg", "query", `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "/v", "lockwatch"); !strings.Contains(out, `AppData\Local\Programs\lockwatch\lockwatch.exe`) {
		t.Errorf("Start at login runs something else:\n%s", out)
	}
	exe := winetest.Path(filepath.Join(installDir, "lockwatch.exe"))
	if out, err := wine(exe, "version"); err != nil || !strings.Contains(out, "lockwatch") {
		t.Errorf("the installed lockwatch.exe version: %v\n%s", err, out)
	}

	// An upgrade over the running lockwatch (it starts at login): the
	// installer ends it and replaces the .exe.
	cfg := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(cfg, []byte("[defaults]\ncheck_interval = \"1h\"\n"), 0o600)
	running := w.Command(exe, "--config", winetest.Path(cfg), "service", "run")
	if err := running.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { running.Process.Kill(); running.Wait() })
	waitFor(t, 60*time.Second, "the installed lockwatch.exe runs the service", func() bool {
		out, _ := wine(exe, "--config", winetest.Path(cfg), "status", "--json")
		return strings.Contains(out, `"source": "service"`)
	})
	if out, err := wine(setup, "/S"); err != nil {
		t.Fatalf("the install over a running lockwatch: %v\n%s", err, out)
	}
	if out, err := wine(exe, "version"); err != nil || !strings.Contains(out, "lockwatch") {
		t.Errorf("lockwatch.exe version after the upgrade: %v\n%s", err, out)
	}

	// The user's data, which the uninstall must leave.
	userData := []string{
		filepath.Join(home, "AppData", "Roaming", "lockwatch", "config.toml"),
		filepath.Join(home, "AppData", "Local", "lockwatch", "state.db"),
	}
	for _, f := range userData {
		os.MkdirAll(filepath.Dir(f), 0o755)
		if err := os.WriteFile(f, []byte("the user's\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// NSIS's uninstaller copies itself away and returns at once: what it
	// removes is waited for.
	if out, err := wine(winetest.Path(filepath.Join(installDir, "uninstall.exe")), "/S"); err != nil {
		t.Fatalf("the silent uninstall: %v\n%s", err, out)
	}
	waitFor(t, 60*time.Second, "the uninstaller removes the install folder", func() bool {
		_, err := os.Stat(installDir)
		return os.IsNotExist(err)
	})
	waitFor(t, 30*time.Second, "the uninstaller removes its Apps entry", func() bool {
		_, err := wine("reg", "query", `HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\lockwatch`)
		return err != nil
	})
	if _, err := os.Stat(shortcut); !os.IsNotExist(err) {
		t.Errorf("the Start menu shortcut stayed: %v", err)
	}
	if _, err := wine("reg", "query", `HKCU\Software\Classes\lockwatch`); err == nil {
		t.Error("lockwatch:// stayed registered")
	}
	if _, err := wine("reg", "query", `HKCU\Software\lockwatch`); err == nil {
		t.Error("the installer's own key stayed")
	}
	if out, err := wine("reg", "query", `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "/v", "lockwatch"); err == nil {
		t.Errorf("the Start-at-login entry stayed:\n%s", out)
	}
	for _, f := range userData {
		if data, err := os.ReadFile(f); err != nil || string(data) != "the user's\n" {
			t.Errorf("the uninstall touched the user's %s: %v", f, err)
		}
	}
}
