package autostart

// This file is only compiled, never run, by the Linux test suite.

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/windows/registry"
)

// Windows starts the command lines under the current user's Run key at
// login. Task Manager's Startup tab does not delete a disabled entry; it
// marks it in StartupApproved\Run, so that is read and cleared as well.
const (
	runKey      = `Software\Microsoft\Windows\CurrentVersion\Run`
	approvedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
	valueName   = "lockwatch"
)

func enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start at login: open HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if _, _, err := k.GetStringValue(valueName); errors.Is(err, registry.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("start at login: read HKCU\\%s %q: %w", runKey, valueName, err)
	}
	// Task Manager writes an odd first byte (0x03) for "Disabled".
	if a, err := registry.OpenKey(registry.CURRENT_USER, approvedKey, registry.QUERY_VALUE); err == nil {
		defer a.Close()
		if v, _, err := a.GetBinaryValue(valueName); err == nil && len(v) > 0 && v[0]&1 == 1 {
			return false, nil
		}
	}
	return true, nil
}

func enable(exe string, args []string) error {
	// Always quoted: an unquoted path with spaces is run as its first word.
	// Windows paths cannot contain '"', so no escaping is needed.
	cmd := `"` + exe + `"`
	for _, a := range args {
		cmd += " " + syscall.EscapeArg(a)
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("start at login: open HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if err := k.SetStringValue(valueName, cmd); err != nil {
		return fmt.Errorf("start at login: set HKCU\\%s %q: %w", runKey, valueName, err)
	}
	// Otherwise a "Disabled" left by Task Manager would keep it from starting.
	return clearApproval()
}

func disable() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start at login: open HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if err := k.DeleteValue(valueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("start at login: delete HKCU\\%s %q: %w", runKey, valueName, err)
	}
	return clearApproval()
}

func clearApproval() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, approvedKey, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start at login: open HKCU\\%s: %w", approvedKey, err)
	}
	defer k.Close()
	if err := k.DeleteValue(valueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("start at login: delete HKCU\\%s %q: %w", approvedKey, valueName, err)
	}
	return nil
}
