package config

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// These tests use go-keyring's in-memory mock as a stand-in for the OS
// keyring: a test must never touch the keyring of the developer running it.
// The real thing (gnome-keyring-daemon on a private bus) is exercised end to
// end by TestKeyringWithARealSecretService in the root package.

func TestKeyringPasswords(t *testing.T) {
	// A stand-in keyring (go-keyring's in-memory mock): in-process tests must not
	// reach the developer's keyring; TestKeyringWithARealSecretService runs a real one.
	MockKeyring()
	if err := SetKeyringPassword("nas", "pw-s3cr3t"); err != nil {
		t.Fatal(err)
	}
	if pw, err := KeyringPassword("nas"); err != nil || pw != "pw-s3cr3t" {
		t.Fatalf("KeyringPassword = %q, %v", pw, err)
	}
	if got, _ := keyring.Get(KeyringService, "nas"); got != "pw-s3cr3t" {
		t.Errorf("stored under service %q, user nas: %q", KeyringService, got)
	}
	if err := DeleteKeyringPassword("nas"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteKeyringPassword("nas"); err != nil {
		t.Errorf("deleting a missing entry: %v", err)
	}
	_, err := KeyringPassword("nas")
	if !errors.Is(err, ErrNoKeyringPassword) || !strings.Contains(err.Error(), "lockwatch keyring set nas") {
		t.Errorf("missing entry: %v", err)
	}
	if err := SetKeyringPassword("nas", ""); err == nil {
		t.Error("an empty password was stored")
	}
}

func TestKeyringErrorsNeverShowThePassword(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.DBus.Error.ServiceUnknown"))
	defer MockKeyring()
	err := SetKeyringPassword("nas", "pw-s3cr3t")
	if err == nil || strings.Contains(err.Error(), "pw-s3cr3t") || !strings.Contains(err.Error(), "ServiceUnknown") {
		t.Errorf("error = %v", err)
	}
	if _, err := KeyringPassword("my repo"); err == nil || !strings.Contains(err.Error(), `"my repo" in the OS keyring`) {
		t.Errorf("error = %v", err)
	}
}

func TestNoSessionBusStartsNone(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("D-Bus is the keyring's way in on Linux only")
	}
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		t.Skip("this session has a bus at /run/user/UID/bus")
	}
	// A stand-in keyring (go-keyring's in-memory mock): in-process tests must not
	// reach the developer's keyring; TestKeyringWithARealSecretService runs a real one.
	MockKeyring()
	mocked.Store(false) // check as if the real keyring were in use
	defer mocked.Store(true)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	_, err := KeyringPassword("nas")
	if !errors.Is(err, errNoSessionBus) || !strings.Contains(err.Error(), "no OS keyring is running") {
		t.Errorf("without a session bus: %v", err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	if err := checkSessionBus(); err != nil {
		t.Errorf("with a session bus address: %v", err)
	}
}
