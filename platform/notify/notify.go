// Package notify shows OS notifications and tells the app which one the user clicked.
//
// Fyne's own App.SendNotification cannot report a click, so the tray could not
// open the window a notification is about; this package exists for that.
// How a click comes back differs per OS:
//   - Linux and other freedesktop systems: the notification server sends
//     ActionInvoked over D-Bus and New's onClick is called.
//   - Windows: a click launches "lockwatch lockwatch://<Target>" as a new
//     process (see RegisterURLScheme and ParseURL), which hands the target to
//     the running instance; onClick is never called.
//   - macOS: clicks are not reported at all (see notify_darwin.go).
package notify

import (
	"net/url"
	"strings"
)

// Notification is one message to the user.
type Notification struct {
	Title, Body string
	// Target is what a click opens, e.g. "repo/nas" (the tray maps it to a
	// window). Empty: clicking does nothing special.
	Target string
	Icon   string // absolute path of a PNG (optional)
}

// Notifier posts notifications and reports clicks.
type Notifier interface {
	Post(n Notification) error
	Close() error
}

// New starts a notifier. onClick is called (from another goroutine) with the
// Target of a clicked notification; it may be nil. Only the freedesktop
// notifier calls it; on Windows and macOS clicks do not come back this way.
func New(appName string, onClick func(target string)) (Notifier, error) {
	if onClick == nil {
		onClick = func(string) {}
	}
	return newNotifier(appName, onClick)
}

// RegisterURLScheme makes Windows start `exe "lockwatch://..."` when a
// notification is clicked. It writes only to the current user's registry
// hive, so it needs no administrator rights; call it at every start so the
// path stays right when the program moves. It does nothing (and returns nil)
// on other OSes.
func RegisterURLScheme(exe string) error { return registerURLScheme(exe) }

// Scheme is the URL scheme that carries a notification's Target back to the
// app on Windows: a click runs "lockwatch lockwatch://repo/nas".
const Scheme = "lockwatch"

// ParseURL returns the Target in a "lockwatch://repo/nas" URL ("repo/nas").
// ok is false for anything else, so main can tell such an argument from a
// command name.
func ParseURL(s string) (target string, ok bool) {
	prefix := Scheme + "://"
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	// Windows' URL handling may add a trailing slash ("lockwatch://repo/nas/").
	rest := strings.TrimSuffix(s[len(prefix):], "/")
	target, err := url.PathUnescape(rest)
	if err != nil || target == "" {
		return "", false
	}
	return target, true
}

// targetURL is ParseURL's inverse. Each path segment is escaped so a target
// with spaces or '%' survives the trip through the shell's URL handling.
func targetURL(target string) string {
	segs := strings.Split(target, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return Scheme + "://" + strings.Join(segs, "/")
}
