package notify

// This file is only compiled, never run, by the Linux test suite.

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// scriptNotifier shows notifications with AppleScript's "display
// notification". That cannot report clicks (a click opens Script Editor),
// nor show n.Icon: both need UNUserNotificationCenter with a delegate, which
// takes cgo and a signed app bundle, so it would belong in the app package,
// not here. onClick is never called.
type scriptNotifier struct{}

func newNotifier(string, func(string, string)) (Notifier, error) { return scriptNotifier{}, nil }

func (scriptNotifier) Post(n Notification) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// "-" makes osascript read the script from stdin, so user text is never
	// on the command line; appleScript quotes it as string literals.
	cmd := exec.CommandContext(ctx, "osascript", "-")
	cmd.Stdin = strings.NewReader(appleScript(n))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("notifications: show %q with osascript: %w: %s", n.Title, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Withdraw does nothing: "display notification" gives no handle to one.
func (scriptNotifier) Withdraw(string) error { return nil }

func (scriptNotifier) Close() error { return nil }

func registerURLScheme(string) error { return nil }
