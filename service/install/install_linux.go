package install

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
)

// Linux: a systemd user unit when a systemd user manager runs, else an XDG
// autostart entry. The fallback is the real behaviour in containers and on
// minimal systems, and is what the tests exercise for real.

const (
	unitName    = ServiceName + ".service"
	desktopName = "lockwatch-service.desktop"
)

// configHome is $XDG_CONFIG_HOME, or ~/.config when it is unset or relative
// (the XDG spec says relative values are to be ignored). Read at call time.
func configHome() (string, error) {
	if dir := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locating the home directory: %w", err)
	}
	return filepath.Join(home, ".config"), nil
}

func unitPath() (string, error) {
	dir, err := configHome()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "systemd", "user", unitName), nil
}

func autostartPath() (string, error) {
	dir, err := configHome()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "autostart", desktopName), nil
}

// systemctl runs "systemctl --user args...".
func systemctl(args ...string) (string, error) {
	return runCommand("systemctl", append([]string{"--user"}, args...)...)
}

func systemctlChecked(args ...string) error {
	return runChecked("systemctl", append([]string{"--user"}, args...)...)
}

// userManagerRunning asks systemctl whether a systemd user manager answers.
// "is-system-running" prints the manager's state; it exits non-zero for
// "degraded" too, so the printed state decides, not the exit status. With
// no manager it prints "offline" (or fails to connect to the bus), and with
// no systemctl binary nothing at all.
func userManagerRunning() bool {
	out, _ := systemctl("is-system-running")
	switch firstLine(out) {
	case "running", "degraded", "starting", "initializing", "maintenance", "stopping":
		return true
	}
	return false
}

// variants says which of the two files are present.
type variants struct {
	unit, desktop       string
	hasUnit, hasDesktop bool
}

func installed() (variants, error) {
	var v variants
	var err error
	if v.unit, err = unitPath(); err != nil {
		return v, err
	}
	if v.desktop, err = autostartPath(); err != nil {
		return v, err
	}
	if v.hasUnit, err = exists(v.unit); err != nil {
		return v, err
	}
	if v.hasDesktop, err = exists(v.desktop); err != nil {
		return v, err
	}
	return v, nil
}

func install(o Options) (string, error) {
	if o.System {
		return "", errSystemOnlyWindows
	}
	v, err := installed()
	if err != nil {
		return "", err
	}
	if !userManagerRunning() {
		if err := atomicfile.Write(v.desktop, []byte(desktopEntry(o)), 0o644); err != nil {
			return "", err
		}
		return fmt.Sprintf("no systemd user manager here; installed XDG autostart entry %s (starts at next login)", tildify(v.desktop)), nil
	}

	// An older autostart entry would start a second copy at login: retire
	// it (and its running copy) before the unit starts one, since both run
	// the same command line and could not be told apart afterwards.
	var retired string
	if v.hasDesktop {
		if _, err := stopAutostarted(v.desktop); err != nil {
			return "", fmt.Errorf("stopping the copy started from the XDG autostart entry: %w", err)
		}
		if _, err := removeIfExists(v.desktop); err != nil {
			return "", err
		}
		retired = "; removed the older XDG autostart entry " + tildify(v.desktop)
	}
	if err := atomicfile.Write(v.unit, []byte(systemdUnit(o)), 0o644); err != nil {
		return "", err
	}
	if err := systemctlChecked("daemon-reload"); err != nil {
		return "", fmt.Errorf("wrote %s, but %w", v.unit, err)
	}
	if err := systemctlChecked("enable", "--now", unitName); err != nil {
		return "", fmt.Errorf("wrote %s, but %w", v.unit, err)
	}
	if v.hasUnit {
		// Reinstall: enable --now leaves a running copy alone, so restart
		// it to pick up the new command line.
		if err := systemctlChecked("try-restart", unitName); err != nil {
			return "", fmt.Errorf("updated %s, but %w", v.unit, err)
		}
	}
	return fmt.Sprintf("installed systemd user unit %s (enabled, started now, starts at login)", tildify(v.unit)) + retired, nil
}

func uninstall() (string, error) {
	v, err := installed()
	if err != nil {
		return "", err
	}
	if !v.hasUnit && !v.hasDesktop {
		return "", fmt.Errorf("%w (neither %s nor %s exists)", ErrNotInstalled, tildify(v.unit), tildify(v.desktop))
	}
	var did []string
	if v.hasUnit {
		manager := userManagerRunning()
		if manager {
			if err := systemctlChecked("disable", "--now", unitName); err != nil {
				return "", err
			}
		}
		if _, err := removeIfExists(v.unit); err != nil {
			return "", err
		}
		if manager {
			if err := systemctlChecked("daemon-reload"); err != nil {
				return "", fmt.Errorf("removed %s, but %w", v.unit, err)
			}
			did = append(did, "stopped, disabled and removed systemd user unit "+tildify(v.unit))
		} else {
			did = append(did, "removed systemd user unit "+tildify(v.unit)+" (no systemd user manager runs here to stop it)")
		}
	}
	if v.hasDesktop {
		pids, err := stopAutostarted(v.desktop)
		if err != nil {
			return "", err
		}
		if _, err := removeIfExists(v.desktop); err != nil {
			return "", err
		}
		msg := "removed XDG autostart entry " + tildify(v.desktop)
		if len(pids) > 0 {
			msg = "stopped the running copy (pid " + joinInts(pids) + ") and " + msg
		}
		did = append(did, msg)
	}
	return strings.Join(did, "; "), nil
}

func start() error {
	v, err := installed()
	if err != nil {
		return err
	}
	switch {
	case v.hasUnit && userManagerRunning():
		return systemctlChecked("start", unitName)
	case v.hasDesktop:
		return startAutostarted(v.desktop)
	case v.hasUnit:
		return fmt.Errorf("%s is installed, but no systemd user manager runs here to start it", v.unit)
	}
	return ErrNotInstalled
}

func stop() error {
	v, err := installed()
	if err != nil {
		return err
	}
	switch {
	case v.hasUnit && userManagerRunning():
		return systemctlChecked("stop", unitName)
	case v.hasDesktop:
		_, err := stopAutostarted(v.desktop)
		return err
	case v.hasUnit:
		return fmt.Errorf("%s is installed, but no systemd user manager runs here to stop it", v.unit)
	}
	return ErrNotInstalled
}

func status() (string, error) {
	v, err := installed()
	if err != nil {
		return "", err
	}
	var parts []string
	if v.hasUnit {
		what := "systemd user unit " + tildify(v.unit)
		if !userManagerRunning() {
			parts = append(parts, "installed ("+what+"; no systemd user manager runs here, so it is not started)")
		} else {
			// is-active exits non-zero unless active; the printed state decides.
			out, _ := systemctl("is-active", unitName)
			switch state := firstLine(out); state {
			case "active", "activating", "reloading", "refreshing":
				parts = append(parts, "installed, running ("+what+")")
			case "inactive", "":
				parts = append(parts, "installed, stopped ("+what+")")
			default:
				parts = append(parts, "installed, stopped ("+what+"; "+state+")")
			}
		}
	}
	if v.hasDesktop {
		what := "XDG autostart entry " + tildify(v.desktop)
		argv, err := autostartArgv(v.desktop)
		if err != nil {
			return "", err
		}
		if pids := findProcesses(argv); len(pids) > 0 {
			parts = append(parts, "installed, running ("+what+", pid "+joinInts(pids)+"; starts at login)")
		} else {
			parts = append(parts, "installed, stopped ("+what+"; starts at login)")
		}
	}
	if len(parts) == 0 {
		return "not installed", nil
	}
	return strings.Join(parts, "; "), nil
}

// The XDG autostart variant has no manager to ask, so Start runs the entry's
// command itself and Stop and Status find the processes whose command line
// is exactly the entry's (the tray app and CLI run the same binary with
// other arguments, so the binary alone would not do).

// autostartArgv reads the command line back from an autostart entry.
func autostartArgv(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	exec, ok := desktopValue(string(data), "Exec")
	if !ok {
		return nil, fmt.Errorf("%s has no Exec= line", path)
	}
	argv, err := parseDesktopExec(exec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return argv, nil
}

// startAutostarted starts the entry's command detached (own session, no
// terminal, output discarded) unless a copy already runs.
func startAutostarted(desktop string) error {
	argv, err := autostartArgv(desktop)
	if err != nil {
		return err
	}
	if len(findProcesses(argv)) > 0 {
		return nil
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if home, err := os.UserHomeDir(); err == nil {
		cmd.Dir = home
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the lockwatch service: %w", err)
	}
	// Reap it if it exits while this process still runs (the tray app);
	// otherwise init inherits it.
	go cmd.Wait()
	return nil
}

// stopAutostarted sends SIGTERM to the running copies of the entry's command
// and waits for them to exit. It returns their PIDs.
func stopAutostarted(desktop string) ([]int, error) {
	argv, err := autostartArgv(desktop)
	if err != nil {
		return nil, err
	}
	pids := findProcesses(argv)
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return nil, fmt.Errorf("stopping lockwatch service (pid %d): %w", pid, err)
		}
	}
	deadline := time.Now().Add(stopTimeout)
	for len(pids) > 0 {
		var left []int
		for _, pid := range pids {
			if sameCommand(pid, argv) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lockwatch service (pid %s) did not stop within %s", joinInts(left), stopTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return pids, nil
}

// findProcesses lists this user's processes, other than this one, whose
// command line is exactly argv.
func findProcesses(argv []string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if sameCommand(pid, argv) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// sameCommand reports whether pid belongs to this user and runs argv. An
// exited process (gone, or a zombie with an empty command line) does not.
func sameCommand(pid int, argv []string) bool {
	dir := "/proc/" + strconv.Itoa(pid)
	fi, err := os.Stat(dir)
	if err != nil {
		return false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
		return false
	}
	data, err := os.ReadFile(dir + "/cmdline")
	if err != nil || len(data) == 0 {
		return false
	}
	got := strings.Split(string(bytes.TrimSuffix(data, []byte{0})), "\x00")
	if len(got) != len(argv) {
		return false
	}
	for i := range got {
		if got[i] != argv[i] {
			return false
		}
	}
	return true
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// osLogDir is "": the service logs under the state dir.
func osLogDir() string { return "" }
