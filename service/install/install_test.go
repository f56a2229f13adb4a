//go:build linux

package install

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as "lockwatch service run": Start
// launches the installed command line, which here is this binary.
const helperEnv = "LOCKWATCH_INSTALL_TEST_SERVICE"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		err := RunManaged(ServiceName, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// sandbox points HOME and XDG_CONFIG_HOME at fresh temporary directories
// and makes sure systemctl --user cannot reach a user manager, whatever
// machine the test runs on: without XDG_RUNTIME_DIR and a session bus it
// has nothing to connect to. (This container has no user manager anyway.)
func sandbox(t *testing.T) (home, xdg string) {
	t.Helper()
	home, xdg = t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", xdg)
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	return home, xdg
}

func selfExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestNoSystemdUserManagerHere(t *testing.T) {
	sandbox(t)
	if userManagerRunning() {
		t.Fatal("systemctl --user is-system-running found a user manager without XDG_RUNTIME_DIR or a session bus")
	}
}

// TestXDGAutostartFallback runs the real thing: with no systemd user manager
// (as in this container) Install writes an XDG autostart entry.
func TestXDGAutostartFallback(t *testing.T) {
	home, xdg := sandbox(t)
	exe := selfExe(t)
	cfg := filepath.Join(home, "my configs", "lockwatch.toml")
	desktop := filepath.Join(xdg, "autostart", "lockwatch-service.desktop")

	res, err := Install(Options{ConfigPath: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	for _, want := range []string{"no systemd user manager", "XDG autostart", desktop, "next login"} {
		if !strings.Contains(res, want) {
			t.Errorf("Install result %q does not mention %q", res, want)
		}
	}
	data, err := os.ReadFile(desktop)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	t.Logf("%s:\n%s", desktop, text)
	for _, want := range []string{
		"[Desktop Entry]\n", "\nType=Application\n", "\nName=lockwatch service\n",
		"\nX-GNOME-Autostart-enabled=true\n", "\nNoDisplay=true\n", "\nExec=" + exe + " ",
		` service run` + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("desktop entry lacks %q", want)
		}
	}
	exec, _ := desktopValue(text, "Exec")
	argv, err := parseDesktopExec(exec)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{exe, "--config", cfg, "service", "run"}; !reflect.DeepEqual(argv, want) {
		t.Errorf("Exec= reads back as %q, want %q", argv, want)
	}
	if _, err := os.Stat(filepath.Join(home, ".config")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Install wrote under ~/.config although XDG_CONFIG_HOME is set (%v)", err)
	}

	st, err := Status()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st, "installed") || !strings.Contains(st, "XDG autostart") {
		t.Errorf("Status after Install = %q", st)
	}

	// Installing again (without --config) replaces the entry.
	if _, err := Install(Options{}); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(desktop)
	if exec, _ := desktopValue(string(data), "Exec"); exec != exe+" service run" {
		t.Errorf("after reinstall Exec=%s, want %s service run", exec, exe)
	}

	res, err = Uninstall()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if !strings.Contains(res, "removed XDG autostart entry") {
		t.Errorf("Uninstall result %q", res)
	}
	if _, err := os.Stat(desktop); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still there after Uninstall (%v)", desktop, err)
	}
	if _, err := Uninstall(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("second Uninstall: %v, want ErrNotInstalled", err)
	}
	if st, err := Status(); err != nil || st != "not installed" {
		t.Errorf("Status after Uninstall = %q, %v", st, err)
	}
	if err := Start(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Start when not installed: %v", err)
	}
	if err := Stop(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Stop when not installed: %v", err)
	}
}

// TestXDGAutostartStartStop: without a service manager Start runs the
// entry's command itself, and Stop and Status find it by its command line.
// The command is this test binary, acting as the service (see TestMain).
func TestXDGAutostartStartStop(t *testing.T) {
	sandbox(t)
	t.Setenv(helperEnv, "1") // inherited by the started "service"
	if _, err := Install(Options{}); err != nil {
		t.Fatal(err)
	}
	argv := []string{selfExe(t), "service", "run"}
	t.Cleanup(func() {
		for _, pid := range findProcesses(argv) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	if st, _ := Status(); !strings.HasPrefix(st, "installed, stopped") {
		t.Errorf("Status before Start = %q", st)
	}
	if err := Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the service to run", func() bool { return len(findProcesses(argv)) == 1 })
	st, err := Status()
	if err != nil || !strings.HasPrefix(st, "installed, running (XDG autostart entry") {
		t.Errorf("Status after Start = %q, %v", st, err)
	}
	if err := Start(); err != nil { // already running: no second copy
		t.Fatal(err)
	}
	// No wait needed: Start returns only once a copy it starts has been
	// exec'd (exec.Cmd.Start), so a second copy would be listed already.
	if n := len(findProcesses(argv)); n != 1 {
		t.Errorf("%d copies run after a second Start, want 1", n)
	}

	if err := Stop(); err != nil {
		t.Fatal(err)
	}
	if pids := findProcesses(argv); len(pids) != 0 {
		t.Errorf("still running after Stop: %v", pids)
	}
	if st, _ := Status(); !strings.HasPrefix(st, "installed, stopped") {
		t.Errorf("Status after Stop = %q", st)
	}

	// Uninstall stops a running copy first.
	if err := Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the service to run again", func() bool { return len(findProcesses(argv)) == 1 })
	res, err := Uninstall()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if !strings.Contains(res, "stopped the running copy") {
		t.Errorf("Uninstall result %q does not say it stopped the service", res)
	}
	if pids := findProcesses(argv); len(pids) != 0 {
		t.Errorf("still running after Uninstall: %v", pids)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	unit := systemdUnit(Options{Executable: "/usr/local/bin/lockwatch"})
	t.Logf("unit:\n%s", unit)
	for _, want := range []string{
		"[Unit]\nDescription=lockwatch — watches restic repositories for stale locks\n",
		"\n[Service]\nExecStart=/usr/local/bin/lockwatch service run\n",
		"\nRestart=on-failure\n",
		"\n[Install]\nWantedBy=default.target\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if strings.Contains(unit, "multi-user.target") {
		t.Error("unit mentions multi-user.target, which a user manager never reaches")
	}

	unit = systemdUnit(Options{
		Executable: "/opt/lock watch/lockwatch",
		ConfigPath: "/home/me/my cfg/100%$HOME\\x.toml",
		Args:       []string{"service", "run"},
	})
	want := `ExecStart="/opt/lock watch/lockwatch" --config "/home/me/my cfg/100%%$$HOME\\x.toml" service run` + "\n"
	if !strings.Contains(unit, want) {
		t.Errorf("unit:\n%s\nlacks %q", unit, want)
	}
}

// fakeSystemdUserManager stands in for systemctl: there is no real systemd
// user manager in this container. It records the systemctl --user calls and
// answers as a running user manager would.
type fakeSystemdUserManager struct {
	t        *testing.T
	unitPath string
	calls    []string
	// unitExisted records, per call, whether the unit file was on disk.
	unitExisted []bool
	active      bool
}

func (f *fakeSystemdUserManager) run(name string, args ...string) (string, error) {
	if name != "systemctl" || len(args) == 0 || args[0] != "--user" {
		f.t.Errorf("unexpected command %s %q", name, args)
		return "", errors.New("unexpected command")
	}
	call := strings.Join(args[1:], " ")
	f.calls = append(f.calls, call)
	_, err := os.Stat(f.unitPath)
	f.unitExisted = append(f.unitExisted, err == nil)
	switch call {
	case "is-system-running":
		return "running\n", nil
	case "enable --now lockwatch.service", "start lockwatch.service":
		f.active = true
	case "disable --now lockwatch.service", "stop lockwatch.service":
		f.active = false
	case "is-active lockwatch.service":
		if f.active {
			return "active\n", nil
		}
		return "inactive\n", errors.New("exit status 3")
	}
	return "", nil
}

// index is the position of call among the recorded calls, or -1.
func (f *fakeSystemdUserManager) index(call string) int { return slices.Index(f.calls, call) }

func TestSystemdUserUnitWithFakeManager(t *testing.T) {
	home, _ := sandbox(t)
	t.Setenv("XDG_CONFIG_HOME", "") // unset: the default ~/.config applies
	unit := filepath.Join(home, ".config", "systemd", "user", "lockwatch.service")
	desktop := filepath.Join(home, ".config", "autostart", "lockwatch-service.desktop")
	fake := &fakeSystemdUserManager{t: t, unitPath: unit}
	real := runCommand
	runCommand = fake.run
	t.Cleanup(func() { runCommand = real })

	// An autostart entry from an earlier install without a user manager
	// must give way to the unit.
	if err := os.MkdirAll(filepath.Dir(desktop), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(desktop, []byte(desktopEntry(Options{Executable: "/nonexistent/lockwatch"})), 0o644); err != nil {
		t.Fatal(err)
	}

	exe := selfExe(t)
	res, err := Install(Options{Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if !strings.Contains(res, "installed systemd user unit ~/.config/systemd/user/lockwatch.service") {
		t.Errorf("Install result %q", res)
	}
	data, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nExecStart="+exe+" service run\n") || !strings.Contains(string(data), "WantedBy=default.target") {
		t.Errorf("unit file:\n%s", data)
	}
	if _, err := os.Stat(desktop); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old autostart entry still there: %v", err)
	}
	reload, enable := fake.index("daemon-reload"), fake.index("enable --now lockwatch.service")
	if reload < 0 || enable < 0 || reload > enable {
		t.Errorf("systemctl --user calls %q: want daemon-reload, then enable --now lockwatch.service", fake.calls)
	} else if !fake.unitExisted[reload] {
		t.Error("daemon-reload ran before the unit file was written")
	}

	if st, err := Status(); err != nil || st != "installed, running (systemd user unit ~/.config/systemd/user/lockwatch.service)" {
		t.Errorf("Status = %q, %v", st, err)
	}
	if err := Stop(); err != nil {
		t.Fatal(err)
	}
	if st, _ := Status(); !strings.HasPrefix(st, "installed, stopped (systemd user unit") {
		t.Errorf("Status after Stop = %q", st)
	}
	if err := Start(); err != nil {
		t.Fatal(err)
	}

	fake.calls, fake.unitExisted = nil, nil
	res, err = Uninstall()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	disable := fake.index("disable --now lockwatch.service")
	if disable < 0 {
		t.Fatalf("Uninstall did not run disable --now: %q", fake.calls)
	}
	if !fake.unitExisted[disable] {
		t.Error("the unit file was removed before disable --now")
	}
	if r := slices.Index(fake.calls[disable:], "daemon-reload"); r < 0 || fake.unitExisted[disable+r] {
		t.Errorf("no daemon-reload after removing the unit: %q", fake.calls)
	}
	if _, err := os.Stat(unit); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unit file still there after Uninstall: %v", err)
	}
	if _, err := Uninstall(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("second Uninstall: %v, want ErrNotInstalled", err)
	}
}

// plistNode is a generic XML element, enough to walk a property list.
type plistNode struct {
	XMLName xml.Name
	Text    string      `xml:",chardata"`
	Nodes   []plistNode `xml:",any"`
}

// dict maps a <dict>'s keys to their value elements.
func (n plistNode) dict(t *testing.T) map[string]plistNode {
	t.Helper()
	if n.XMLName.Local != "dict" || len(n.Nodes)%2 != 0 {
		t.Fatalf("not a well-formed <dict>: %+v", n)
	}
	m := map[string]plistNode{}
	for i := 0; i < len(n.Nodes); i += 2 {
		if n.Nodes[i].XMLName.Local != "key" {
			t.Fatalf("<dict> entry %d is <%s>, not <key>", i, n.Nodes[i].XMLName.Local)
		}
		m[n.Nodes[i].Text] = n.Nodes[i+1]
	}
	return m
}

func TestLaunchdPlist(t *testing.T) {
	o := Options{Executable: "/Applications/Lock & Watch.app/Contents/MacOS/lockwatch", ConfigPath: "/Users/me/<cfg>.toml"}
	log := "/Users/me/Library/Logs/lockwatch/stderr.log"
	text := launchdPlist(o, log)
	t.Logf("plist:\n%s", text)

	var root plistNode
	if err := xml.Unmarshal([]byte(text), &root); err != nil {
		t.Fatalf("plist is not well-formed XML: %v", err)
	}
	if root.XMLName.Local != "plist" || len(root.Nodes) != 1 {
		t.Fatalf("root is <%s> with %d children", root.XMLName.Local, len(root.Nodes))
	}
	d := root.Nodes[0].dict(t)
	if got := d["Label"].Text; got != "io.github.lockwatch" {
		t.Errorf("Label = %q", got)
	}
	var args []string
	for _, n := range d["ProgramArguments"].Nodes {
		args = append(args, n.Text)
	}
	if want := []string{o.Executable, "--config", o.ConfigPath, "service", "run"}; !reflect.DeepEqual(args, want) {
		t.Errorf("ProgramArguments = %q, want %q", args, want)
	}
	if got := d["RunAtLoad"].XMLName.Local; got != "true" {
		t.Errorf("RunAtLoad = <%s/>, want <true/>", got)
	}
	if got := d["KeepAlive"].dict(t)["SuccessfulExit"].XMLName.Local; got != "false" {
		t.Errorf("KeepAlive.SuccessfulExit = <%s/>, want <false/>", got)
	}
	for _, k := range []string{"StandardOutPath", "StandardErrorPath"} {
		if got := d[k].Text; got != log {
			t.Errorf("%s = %q, want %q", k, got, log)
		}
	}
}

func TestDesktopExecRoundTrip(t *testing.T) {
	for _, argv := range [][]string{
		{"/usr/bin/lockwatch", "service", "run"},
		{"/opt/lock watch/lockwatch", "--config", "/home/me/my cfg.toml", "service", "run"},
		{`/weird/"quoted" $dollar` + " `tick` \\back\\slash", "100%", "%f", "", "tab\there", "new\nline", "a;b", "~", "#x"},
	} {
		exec := desktopExec(argv)
		got, err := parseDesktopExec(exec)
		if err != nil || !reflect.DeepEqual(got, argv) {
			t.Errorf("Exec=%s reads back as %q (%v), want %q", exec, got, err, argv)
		}
		if strings.ContainsAny(exec, "\n\t") {
			t.Errorf("Exec=%s has a raw newline or tab", exec)
		}
	}
	if got := desktopExec([]string{"/opt/lock watch/lockwatch", "service", "run"}); got != `"/opt/lock watch/lockwatch" service run` {
		t.Errorf("desktopExec = %s", got)
	}
}

// On Linux the service's log rotates in the state dir (macOS: ~/Library/Logs).
func TestLogFile(t *testing.T) {
	if got, want := LogFile("/state"), filepath.Join("/state", "service.log"); got != want {
		t.Errorf("LogFile = %q, want %q", got, want)
	}
}
