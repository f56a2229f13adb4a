package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name lockwatch's passwords are filed under
// in the OS keyring (Secret Service, Keychain, Credential Manager); the user
// name of each entry is the repository's name.
const KeyringService = "lockwatch"

// ErrNoKeyringPassword means the OS keyring holds no password for a repository.
var ErrNoKeyringPassword = errors.New("no password in the OS keyring")

// mocked is set by MockKeyring: the mock needs no session bus.
var mocked atomic.Bool

// MockKeyring replaces the OS keyring by go-keyring's in-memory mock for
// the rest of the process. For tests only: they must neither depend on a
// Secret Service nor write into the keyring of whoever runs them.
func MockKeyring() {
	keyring.MockInit()
	mocked.Store(true)
}

// errNoSessionBus is returned on Linux and the BSDs when there is no D-Bus
// session bus, so no Secret Service to ask. Without this check godbus would
// start a session bus itself (dbus-launch), which outlives lockwatch: as
// restic asks for the password at every check, each check from cron or an
// ssh login would leave one more dbus-daemon behind.
var errNoSessionBus = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service to ask")

func checkSessionBus() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return nil // Keychain, Credential Manager: no D-Bus involved
	}
	if mocked.Load() {
		return nil
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	// Where godbus finds a session bus when the variable is not set.
	dir := fmt.Sprintf("/run/user/%d", os.Getuid())
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return nil
		}
	}
	return errNoSessionBus
}

// SetKeyringPassword stores a repository's password in the OS keyring,
// replacing any earlier one.
func SetKeyringPassword(repo, password string) error {
	if password == "" {
		return fmt.Errorf("repository %q: the password is empty", repo)
	}
	if err := checkSessionBus(); err != nil {
		return keyringError("storing the password of", repo, err)
	}
	if err := keyring.Set(KeyringService, repo, password); err != nil {
		return keyringError("storing the password of", repo, err)
	}
	return nil
}

// KeyringPassword reads a repository's password from the OS keyring. A
// missing entry gives an error matching ErrNoKeyringPassword.
func KeyringPassword(repo string) (string, error) {
	if err := checkSessionBus(); err != nil {
		return "", keyringError("reading the password of", repo, err)
	}
	pw, err := keyring.Get(KeyringService, repo)
	if err != nil {
		return "", keyringError("reading the password of", repo, err)
	}
	return pw, nil
}

// KeyringAvailable reports whether the OS keyring answers, by looking up
// an entry nobody stores (nothing is written; a locked Secret Service
// collection may ask its user to unlock it, as storing a password would):
// nil, or why passwords cannot go there (no session bus, no Secret
// Service). Call it off any UI thread.
func KeyringAvailable() error {
	if err := checkSessionBus(); err != nil {
		return keyringError("storing passwords of", "(any)", err)
	}
	_, err := keyring.Get(KeyringService, "lockwatch keyring probe")
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return keyringError("storing passwords of", "(any)", err)
}

// DeleteKeyringPassword removes a repository's password from the OS
// keyring. Removing one that is not there is not an error, so that
// deleting a repository twice, or one whose entry the user removed by
// hand, just works.
func DeleteKeyringPassword(repo string) error {
	if err := checkSessionBus(); err != nil {
		return keyringError("removing the password of", repo, err)
	}
	err := keyring.Delete(KeyringService, repo)
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return keyringError("removing the password of", repo, err)
}

// keyringError says what failed in words. The underlying errors come from
// D-Bus, the security tool or the Windows API and never contain the
// password; they are kept for the details (no keyring daemon, locked
// collection).
func keyringError(doing, repo string, err error) error {
	if errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("repository %q: %w (service %q); set it in lockwatch's settings or with `lockwatch keyring set %s`",
			repo, ErrNoKeyringPassword, KeyringService, quoteArg(repo))
	}
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return fmt.Errorf("%s repository %q: the OS keyring refuses a password this long", doing, repo)
	}
	if msg := err.Error(); strings.Contains(msg, "org.freedesktop.secrets") || errors.Is(err, errNoSessionBus) {
		// Linux without a Secret Service (or a bus to reach one): D-Bus's
		// own words name a service file, which tells a person nothing.
		return fmt.Errorf("%s repository %q: no OS keyring is running (a Secret Service such as GNOME Keyring or KeePassXC): %w", doing, repo, err)
	}
	return fmt.Errorf("%s repository %q in the OS keyring: %w", doing, repo, err)
}
