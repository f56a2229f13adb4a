package install

import (
	"encoding/xml"
	"strings"
)

// launchdLabel names the LaunchAgent (and its plist file).
const launchdLabel = "io.github.lockwatch"

// launchdPlist is the LaunchAgent property list: a pure function of resolved
// Options so tests can check it on any machine (it lives outside
// install_darwin.go for that reason).
//
// RunAtLoad starts it when the agent is loaded, i.e. at login. KeepAlive is
// {SuccessfulExit: false}: launchd restarts it after a crash or a failing
// exit, but not after a clean exit, so a deliberate stop is not fought.
// ProcessType Background lets macOS treat it as the background job it is.
func launchdPlist(o Options, logPath string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + plistEscape(launchdLabel) + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, a := range o.argv() {
		b.WriteString("\t\t<string>" + plistEscape(a) + "</string>\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ProcessType</key>
	<string>Background</string>
	<key>StandardOutPath</key>
	<string>` + plistEscape(logPath) + `</string>
	<key>StandardErrorPath</key>
	<string>` + plistEscape(logPath) + `</string>
</dict>
</plist>
`)
	return b.String()
}

// plistEscape escapes text for an XML element.
func plistEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // writing to a strings.Builder cannot fail
	return b.String()
}
