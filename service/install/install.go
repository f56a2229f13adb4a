// Package install makes the lockwatch service ("lockwatch service run")
// start at login, as a per-user service, and runs it under a service manager.
//
// One API, one mechanism per OS:
//
//   - Linux: a systemd user unit in $XDG_CONFIG_HOME/systemd/user, enabled
//     and started with "systemctl --user". Where no systemd user manager
//     runs (containers, minimal systems) an XDG autostart entry in
//     $XDG_CONFIG_HOME/autostart instead, which desktop sessions start at
//     login.
//   - macOS: a LaunchAgent in ~/Library/LaunchAgents, loaded into the
//     gui/$UID domain with launchctl.
//   - Windows: a value under HKCU\Software\Microsoft\Windows\CurrentVersion\Run
//     (per-user, no admin needed), or with Options.System a real service in
//     the Service Control Manager (needs admin).
//
// github.com/kardianos/service is used where it does the job as wanted:
// running under a service manager (RunManaged, Interactive) and the Windows
// SCM service. Its Linux user unit and macOS agent are not used: the unit
// template says WantedBy=multi-user.target, a target the systemd user
// manager never reaches (so the unit would never start at login), it ignores
// $XDG_CONFIG_HOME, and both take the home directory from the user database
// rather than $HOME, which would make them untestable. Those files are
// written here instead, from the pure functions systemdUnit, desktopEntry
// and launchdPlist.
//
// All directories are read from the environment (HOME, XDG_CONFIG_HOME) at
// call time, and every external command (systemctl, launchctl) goes through
// runCommand, so tests can point the package at temporary directories and a
// fake service manager.
package install

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ServiceName is the service's name: the systemd unit is ServiceName +
// ".service", the Windows SCM service is called ServiceName, and RunManaged
// should be given it (Stop finds a per-user Windows instance by it).
const ServiceName = "lockwatch"

// description is what service managers show next to the name.
const description = "lockwatch — watches restic repositories for stale locks"

// ErrNotInstalled is returned (wrapped) by Uninstall, Start and Stop when
// nothing that Install writes is there.
var ErrNotInstalled = errors.New("lockwatch service is not installed")

// errSystemOnlyWindows is Options.System outside Windows: elsewhere the
// per-user service is the only kind, since the daemon watches the user's own
// repositories with the user's own credentials.
var errSystemOnlyWindows = fmt.Errorf("a system-wide service (System) is only offered on Windows; on %s lockwatch installs a per-user service", runtime.GOOS)

// Options describe the service to install.
type Options struct {
	Executable string   // absolute path of the lockwatch binary (default: os.Executable(), symlinks resolved)
	Args       []string // default []string{"service", "run"}
	ConfigPath string   // when set, passed as --config FILE before the args
	System     bool     // Windows only: a real SCM service (needs admin) instead of per-user autostart; elsewhere an error
}

// defaultArgs make the binary run the service.
var defaultArgs = []string{"service", "run"}

// Install makes the service start at login (and, where the mechanism allows,
// starts it now). Installing again replaces what an earlier Install wrote.
// The Result says in words what was done, e.g. "installed systemd user unit
// ~/.config/systemd/user/lockwatch.service (enabled, started now, starts at
// login)".
func Install(opts Options) (string, error) {
	o, err := opts.resolve()
	if err != nil {
		return "", err
	}
	return install(o)
}

// Uninstall stops the service, then removes what Install wrote, whichever
// variant that was. With nothing installed the error matches ErrNotInstalled.
func Uninstall() (string, error) { return uninstall() }

// Start starts the installed service now.
func Start() error { return start() }

// Stop stops the running service; it still starts at the next login.
func Stop() error { return stop() }

// Status says in words whether the service is installed and running, and by
// which mechanism: "installed, running (...)", "installed, stopped (...)" or
// "not installed".
func Status() (string, error) { return status() }

// resolve fills in the defaults and makes every path absolute, since a
// service manager starts the binary from another working directory.
func (o Options) resolve() (Options, error) {
	if o.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return o, fmt.Errorf("finding the lockwatch binary: %w", err)
		}
		// A service file that names a symlink breaks when the link is
		// repointed or removed; name the file itself.
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		o.Executable = exe
	}
	exe, err := filepath.Abs(o.Executable)
	if err != nil {
		return o, fmt.Errorf("lockwatch binary %s: %w", o.Executable, err)
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return o, fmt.Errorf("lockwatch binary: %w", err)
	}
	if fi.IsDir() {
		return o, fmt.Errorf("lockwatch binary %s is a directory", exe)
	}
	o.Executable = exe
	if o.Args == nil {
		o.Args = append([]string(nil), defaultArgs...)
	}
	if o.ConfigPath != "" {
		if o.ConfigPath, err = filepath.Abs(o.ConfigPath); err != nil {
			return o, fmt.Errorf("config file: %w", err)
		}
	}
	return o, nil
}

// argv is the service's full command line: binary, [--config FILE], args.
func (o Options) argv() []string {
	args := o.Args
	if args == nil {
		args = defaultArgs
	}
	argv := []string{o.Executable}
	if o.ConfigPath != "" {
		argv = append(argv, "--config", o.ConfigPath)
	}
	return append(argv, args...)
}

// runCommand runs an external program (systemctl, launchctl) and returns
// what it printed, stdout and stderr together. Tests replace it with a fake
// service manager.
var runCommand = func(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// runChecked runs a command through runCommand and turns a failure into an
// error that shows the command and what it said.
func runChecked(name string, args ...string) error {
	out, err := runCommand(name, args...)
	if err == nil {
		return nil
	}
	cmd := strings.Join(append([]string{name}, args...), " ")
	if msg := strings.TrimSpace(out); msg != "" {
		return fmt.Errorf("%s: %w: %s", cmd, err, msg)
	}
	return fmt.Errorf("%s: %w", cmd, err)
}

// firstLine is the first line of a command's output, trimmed.
func firstLine(out string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(line)
}

// exists reports whether path exists; errors other than "does not exist"
// are returned, so a permission problem is not mistaken for "not installed".
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// removeIfExists removes path and reports whether it was there.
func removeIfExists(path string) (bool, error) {
	err := os.Remove(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// tildify shows a path under the home directory as ~/..., for messages.
func tildify(path string) string {
	if runtime.GOOS == "windows" {
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return path
	}
	if rel, err := filepath.Rel(home, path); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
		if rel == "." {
			return "~"
		}
		return "~/" + rel
	}
	return path
}

// LogFile is the rotated log of a service that the OS runs: in the state
// dir, except on macOS, where Console.app looks in ~/Library/Logs/lockwatch.
func LogFile(stateDir string) string {
	if dir := osLogDir(); dir != "" {
		// Not service.log: LaunchAgents installed by earlier versions send
		// launchd's stdout and stderr there, and two writers cannot rotate.
		return filepath.Join(dir, "lockwatch.log")
	}
	return filepath.Join(stateDir, "service.log")
}
