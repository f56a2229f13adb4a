package notify

import (
	"fmt"
	"strings"
)

// This file builds the Windows toast script. It has no build tag so its
// escaping is tested on every OS; only notify_windows.go runs it.

// powershellAUMID is the AppUserModelID the toast is shown under. Windows
// only shows toasts for an ID registered by a Start-menu shortcut; lockwatch
// has no installer to make one, and Windows PowerShell's is always there. The
// cost is that the toast's header says "Windows PowerShell", so toastScript
// adds the app's name as attribution text.
const powershellAUMID = `{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\WindowsPowerShell\v1.0\powershell.exe`

// toastScript returns the PowerShell that shows n as a toast. A click on a
// toast with a Target starts "lockwatch://<Target>" by protocol activation.
//
// The script is one line because "powershell -Command -" runs stdin line by
// line, and a statement split over lines would run half-parsed. It is pure
// ASCII (xmlEscape writes everything else as character references) so the
// console code page PowerShell decodes stdin with cannot garble it, and user
// text only ever appears XML-escaped inside one single-quoted string.
func toastScript(n Notification, appName string) string {
	var x strings.Builder
	x.WriteString("<toast")
	if n.Target != "" {
		fmt.Fprintf(&x, ` activationType="protocol" launch="%s"`, xmlEscape(targetURL(n.Target)))
	}
	if n.Critical {
		x.WriteString(` scenario="urgent"`) // shown until dismissed, Windows 11 22H2+; older ones ignore it
	}
	x.WriteString(`><visual><binding template="ToastGeneric">`)
	fmt.Fprintf(&x, "<text>%s</text><text>%s</text>", xmlEscape(n.Title), xmlEscape(n.Body))
	if appName != "" {
		fmt.Fprintf(&x, `<text placement="attribution">%s</text>`, xmlEscape(appName))
	}
	if n.Icon != "" {
		// A file URI wants forward slashes: C:\a\b.png → file:///C:/a/b.png.
		src := "file:///" + strings.ReplaceAll(n.Icon, `\`, "/")
		fmt.Fprintf(&x, `<image placement="appLogoOverride" src="%s"/>`, xmlEscape(src))
	}
	x.WriteString("</binding></visual>")
	if n.Target != "" && len(n.Actions) > 0 {
		// A button opens lockwatch://<action>/<name>, as a click on the
		// toast opens lockwatch://<Target>.
		x.WriteString("<actions>")
		for _, a := range n.Actions {
			fmt.Fprintf(&x, `<action content="%s" activationType="protocol" arguments="%s"/>`,
				xmlEscape(a.Label), xmlEscape(targetURL(ActionTarget(n.Target, a.ID))))
		}
		x.WriteString("</actions>")
	}
	x.WriteString("</toast>")

	// The WinRT type literals load the toast API; they work in Windows
	// PowerShell 5.1 (powershell.exe), which every Windows 10/11 has, but not
	// in PowerShell 7 (pwsh).
	return "$ErrorActionPreference = 'Stop'; try { " +
		"$null = [Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime]; " +
		"$null = [Windows.Data.Xml.Dom.XmlDocument, Windows.Data.Xml.Dom, ContentType = WindowsRuntime]; " +
		"$x = New-Object Windows.Data.Xml.Dom.XmlDocument; " +
		"$x.LoadXml(" + psQuote(x.String()) + "); " +
		"$t = [Windows.UI.Notifications.ToastNotification]::new($x); " +
		tagging(n.Tag) +
		"[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier(" + psQuote(powershellAUMID) + ").Show($t) " +
		"} catch { [Console]::Error.WriteLine($_); exit 1 }\n"
}

// toastGroup is the group of every lockwatch toast: with the tag, it
// names the toast to replace or remove.
const toastGroup = "lockwatch"

// tagging sets the toast's tag, so that a new toast with the same tag
// replaces it and withdrawScript can remove it. Windows allows 64
// characters; a longer tag is cut (the repository names a tag carries are
// short, and a cut one still replaces its own).
func tagging(tag string) string {
	if tag == "" {
		return ""
	}
	return "$t.Tag = " + psQuote(toastTag(tag)) + "; $t.Group = " + psQuote(toastGroup) + "; "
}

func toastTag(tag string) string {
	if r := []rune(tag); len(r) > 64 {
		return string(r[:64])
	}
	return tag
}

// withdrawScript removes the toast tagged tag from the action center.
func withdrawScript(tag string) string {
	return "$ErrorActionPreference = 'Stop'; try { " +
		"$null = [Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime]; " +
		"[Windows.UI.Notifications.ToastNotificationManager]::History.Remove(" + psQuote(toastTag(tag)) + ", " + psQuote(toastGroup) + ", " + psQuote(powershellAUMID) + ") " +
		"} catch { [Console]::Error.WriteLine($_); exit 1 }\n"
}

// xmlEscape escapes s for XML text and attribute values and returns pure
// ASCII: markup characters become entities, line breaks and non-ASCII become
// character references, and characters XML cannot carry at all are dropped.
func xmlEscape(s string) string {
	var b strings.Builder
	// A byte that is not UTF-8 comes out of range as U+FFFD and is written
	// as that.
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r >= 0x20 && r < 0x7F:
			b.WriteRune(r)
		case xmlChar(r):
			fmt.Fprintf(&b, "&#x%X;", r)
		}
	}
	return b.String()
}

// xmlChar reports whether XML 1.0 allows r in a document (its Char production).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// psQuote makes s a PowerShell single-quoted string, in which nothing is
// expanded. PowerShell also ends such strings at the typographic quotes
// ‘ ’ ‚ ‛, so those are doubled like ' is.
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if strings.ContainsRune("'‘’‚‛", r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}
