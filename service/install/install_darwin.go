package install

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
)

// macOS: a LaunchAgent in ~/Library/LaunchAgents, loaded into the user's
// gui/$UID domain with "launchctl bootstrap" (removed with "bootout"), with
// the older "load"/"unload" as a fallback.
//
// Only compiled on this project's machines (cross-vetted with GOOS=darwin),
// never run: there is no macOS here. launchdPlist, the file's content, is
// tested on every OS.

func plistPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locating the home directory: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", launchdLabel+".plist"), nil
}

// osLogDir is where Console.app finds the service's log.
func osLogDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, "Library", "Logs", "lockwatch")
}

// logPath takes what the service writes to stdout and stderr outside its
// log (a panic, say); the log itself, LogFile, rotates beside it.
func logPath() (string, error) {
	dir := osLogDir()
	if dir == "" {
		return "", errors.New("locating the home directory for ~/Library/Logs")
	}
	return filepath.Join(dir, "stderr.log"), nil
}

// domain is the per-user GUI launchd domain; target the agent in it.
func domain() string { return "gui/" + strconv.Itoa(os.Getuid()) }
func target() string { return domain() + "/" + launchdLabel }

// loaded reports whether launchd has the agent loaded, and its state text.
func loaded() (bool, string) {
	out, err := runCommand("launchctl", "print", target())
	return err == nil, out
}

// load loads the agent, which starts it (RunAtLoad).
func load(plist string) error {
	err := runChecked("launchctl", "bootstrap", domain(), plist)
	if err == nil {
		return nil
	}
	// bootstrap needs macOS 10.10+ and a GUI session; load is the old way.
	if err2 := runChecked("launchctl", "load", "-w", plist); err2 != nil {
		return fmt.Errorf("%w; %w", err, err2)
	}
	return nil
}

// unload stops the agent and unloads it; the plist stays, so it starts
// again at the next login.
func unload(plist string) error {
	if ok, _ := loaded(); !ok {
		return nil
	}
	err := runChecked("launchctl", "bootout", target())
	if err != nil {
		if err2 := runChecked("launchctl", "unload", plist); err2 != nil {
			return fmt.Errorf("%w; %w", err, err2)
		}
	}
	// bootout can return before launchd has let go of the label, and a
	// bootstrap right after then fails; wait a little for that.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok, _ := loaded(); !ok {
			break
		}
	}
	return nil
}

func install(o Options) (string, error) {
	if o.System {
		return "", errSystemOnlyWindows
	}
	plist, err := plistPath()
	if err != nil {
		return "", err
	}
	log, err := logPath()
	if err != nil {
		return "", err
	}
	// launchd opens the log file but does not create its directory.
	if err := os.MkdirAll(filepath.Dir(log), 0o700); err != nil {
		return "", err
	}
	// A loaded older version keeps its old arguments until it is unloaded.
	if err := unload(plist); err != nil {
		return "", err
	}
	if err := atomicfile.Write(plist, []byte(launchdPlist(o, log)), 0o644); err != nil {
		return "", err
	}
	if err := load(plist); err != nil {
		return "", fmt.Errorf("wrote %s, but %w", plist, err)
	}
	return fmt.Sprintf("installed LaunchAgent %s (loaded, started now, starts at login; logs in %s)", tildify(plist), tildify(filepath.Dir(log))), nil
}

func uninstall() (string, error) {
	plist, err := installedPlist()
	if err != nil {
		return "", err
	}
	what := "removed LaunchAgent " + tildify(plist)
	if ok, _ := loaded(); ok {
		if err := unload(plist); err != nil {
			return "", err
		}
		what = "stopped and unloaded " + launchdLabel + "; " + what
	}
	if _, err := removeIfExists(plist); err != nil {
		return "", err
	}
	return what + " (logs kept in ~/Library/Logs/lockwatch)", nil
}

func start() error {
	plist, err := installedPlist()
	if err != nil {
		return err
	}
	if ok, _ := loaded(); ok {
		// Loaded but not running (it exited cleanly): start it.
		return runChecked("launchctl", "kickstart", target())
	}
	return load(plist)
}

// stop unloads the agent: with KeepAlive {SuccessfulExit: false} a merely
// killed agent could be restarted, an unloaded one is not. RunAtLoad loads
// it again at the next login.
func stop() error {
	plist, err := installedPlist()
	if err != nil {
		return err
	}
	return unload(plist)
}

var pidLine = regexp.MustCompile(`(?m)^\s*pid = (\d+)`)

func status() (string, error) {
	plist, err := installedPlist()
	if errors.Is(err, ErrNotInstalled) {
		return "not installed", nil
	}
	if err != nil {
		return "", err
	}
	what := "LaunchAgent " + tildify(plist)
	isLoaded, out := loaded()
	if !isLoaded {
		return "installed, stopped (" + what + ", not loaded; starts at login)", nil
	}
	if m := pidLine.FindStringSubmatch(out); m != nil {
		return "installed, running (" + what + ", pid " + m[1] + ")", nil
	}
	return "installed, stopped (" + what + ", loaded)", nil
}

func installedPlist() (string, error) {
	plist, err := plistPath()
	if err != nil {
		return "", err
	}
	ok, err := exists(plist)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%w (no %s)", ErrNotInstalled, tildify(plist))
	}
	return plist, nil
}
