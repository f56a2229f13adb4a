package notify

import "strings"

// This file builds the macOS notification script. It has no build tag so its
// escaping is tested on every OS; only notify_darwin.go runs it.

// appleScript returns the AppleScript that shows n. osascript reads it from
// stdin, so no user text is ever on a command line; inside the script the
// text only appears as string literals made by appleString.
func appleScript(n Notification) string {
	return "display notification " + appleString(n.Body) + " with title " + appleString(n.Title) + "\n"
}

// appleString makes s an AppleScript string literal. Backslash and double
// quote are the only characters special inside one; line breaks and tabs
// are escaped so the script stays one line, and other control characters,
// which a notification cannot show anyway, are dropped.
func appleString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7F:
		default:
			b.WriteRune(r) // osascript reads script text as UTF-8
		}
	}
	b.WriteByte('"')
	return b.String()
}
