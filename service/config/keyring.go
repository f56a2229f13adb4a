package config

import (
	"errors"
	"fmt"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name lockwatch's passwords are filed under
// in the OS keyring (Secret Service, Keychain, Credential Manager); the user
// name of each entry is the repository's name.
const KeyringService = "lockwatch"

// ErrNoKeyringPassword means the OS keyring holds no password for a repository.
var ErrNoKeyringPassword = errors.New("no password in the OS keyring")

// SetKeyringPassword stores a repository's password in the OS keyring,
// replacing any earlier one.
func SetKeyringPassword(repo, password string) error {
	if password == "" {
		return fmt.Errorf("repository %q: the password is empty", repo)
	}
	if err := keyring.Set(KeyringService, repo, password); err != nil {
		return keyringError("storing the password of", repo, err)
	}
	return nil
}

// KeyringPassword reads a repository's password from the OS keyring. A
// missing entry gives an error matching ErrNoKeyringPassword.
func KeyringPassword(repo string) (string, error) {
	pw, err := keyring.Get(KeyringService, repo)
	if err != nil {
		return "", keyringError("reading the password of", repo, err)
	}
	return pw, nil
}

// DeleteKeyringPassword removes a repository's password from the OS
// keyring. Removing one that is not there is not an error, so that
// deleting a repository twice, or one whose entry the user removed by
// hand, just works.
func DeleteKeyringPassword(repo string) error {
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
	return fmt.Errorf("%s repository %q in the OS keyring: %w", doing, repo, err)
}
