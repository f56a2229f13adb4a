package notify

// This file is only compiled, never run, by the Linux test suite.

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// toastNotifier shows toasts through Windows PowerShell, which reaches the
// WinRT toast API without cgo or COM code of our own. A click does not come
// back to this process: Windows starts "lockwatch lockwatch://<Target>" (see
// RegisterURLScheme), and that process hands the target to the running
// instance. So onClick is never called here.
type toastNotifier struct{ appName string }

func newNotifier(appName string, _ func(string, string)) (Notifier, error) {
	return toastNotifier{appName: appName}, nil
}

// Post waits for PowerShell, about a second, so that errors are returned.
func (t toastNotifier) Post(n Notification) error {
	return runPowerShell(toastScript(n, t.appName), "show toast "+strconv.Quote(n.Title))
}

// Withdraw removes the toast tagged tag from the action center.
func (t toastNotifier) Withdraw(tag string) error {
	if tag == "" {
		return nil
	}
	return runPowerShell(withdrawScript(tag), "remove toast "+strconv.Quote(tag))
}

func runPowerShell(script, what string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The script comes on stdin, never on the command line, so user text
	// cannot be read as PowerShell arguments.
	cmd := exec.CommandContext(ctx, "powershell.exe", "-NoProfile", "-NonInteractive", "-Command", "-")
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// The tray is a GUI program: without this every toast flashes a console.
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: windows.CREATE_NO_WINDOW}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("notifications: %s with PowerShell: %w: %s", what, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func (toastNotifier) Close() error { return nil }

// registerURLScheme registers lockwatch:// for the current user
// (HKCU\Software\Classes\lockwatch), so it needs no administrator rights.
func registerURLScheme(exe string) error {
	const key = `Software\Classes\` + Scheme
	set := func(path, name, value string) error {
		k, _, err := registry.CreateKey(registry.CURRENT_USER, path, registry.SET_VALUE)
		if err != nil {
			return fmt.Errorf("register %s:// URLs: create HKCU\\%s: %w", Scheme, path, err)
		}
		defer k.Close()
		if err := k.SetStringValue(name, value); err != nil {
			return fmt.Errorf("register %s:// URLs: set HKCU\\%s %q: %w", Scheme, path, name, err)
		}
		return nil
	}
	for _, v := range []struct{ path, name, value string }{
		{key, "", "URL:" + Scheme},
		// An empty "URL Protocol" value is what marks the key as a URL scheme.
		{key, "URL Protocol", ""},
		{key + `\DefaultIcon`, "", `"` + exe + `",0`},
		// Windows paths cannot contain '"', so quoting needs no escaping.
		{key + `\shell\open\command`, "", `"` + exe + `" "%1"`},
	} {
		if err := set(v.path, v.name, v.value); err != nil {
			return err
		}
	}
	return nil
}
