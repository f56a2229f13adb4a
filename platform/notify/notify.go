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
	// Tag names what the notification is about, e.g. "repo/nas": a later
	// notification with the same tag replaces this one rather than
	// stacking, and Withdraw(tag) takes it away. Empty: neither.
	Tag string
	// Actions are buttons beside the click on the notification itself.
	Actions []Action
	// Critical asks the desktop to keep it up and show it first: for news
	// that will not fix itself, such as a failed backup.
	Critical bool
}

// Action is a button on a notification. A click on it is reported with
// its ID; on Windows it opens "lockwatch://<ID>/<Target without its kind>",
// e.g. lockwatch://unlock/nas for ID "unlock" and Target "repo/nas".
type Action struct{ ID, Label string }

// DefaultAction is the action ID of a click on the notification itself.
const DefaultAction = "default"

// Notifier posts notifications and reports clicks.
type Notifier interface {
	Post(n Notification) error
	// Withdraw takes away the notification tagged tag, if one is shown.
	Withdraw(tag string) error
	Close() error
}

// New starts a notifier. onAction is called (from another goroutine) with
// the Target of a clicked notification and the action: DefaultAction for
// the notification itself, else an Action's ID. It may be nil. Only the
// freedesktop notifier calls it; on Windows a click starts lockwatch with a
// link instead (see ActionURL), and macOS reports no clicks.
func New(appName string, onAction func(target, action string)) (Notifier, error) {
	if onAction == nil {
		onAction = func(string, string) {}
	}
	return newNotifier(appName, onAction)
}

// ActionTarget is what a link made for an action carries: the action's ID
// and the notification's target without its kind ("unlock/nas" for
// action "unlock" on "repo/nas"). The default action carries the target.
func ActionTarget(target, action string) string {
	if action == DefaultAction {
		return target
	}
	_, name, _ := strings.Cut(target, "/")
	return action + "/" + name
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
