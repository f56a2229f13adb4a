package autostart

import (
	"bytes"
	"encoding/xml"
)

// This file builds the macOS LaunchAgent. It has no build tag so it is
// tested on every OS; only autostart_darwin.go writes it.

// launchAgentLabel names the LaunchAgent; its file is <label>.plist.
const launchAgentLabel = "io.github.lockwatch.tray"

// launchAgentPlist is a LaunchAgent that starts exe with args once at login.
// There is deliberately no KeepAlive: quitting the tray must stick, not make
// launchd start it again. LimitLoadToSessionType Aqua starts it only in
// graphical logins (not ssh sessions), and ProcessType Interactive tells
// launchd it is an app the user sees, which it must not throttle.
func launchAgentPlist(exe string, args []string) []byte {
	var b bytes.Buffer
	str := func(s string) {
		b.WriteString("<string>")
		xml.EscapeText(&b, []byte(s)) // never fails on a bytes.Buffer
		b.WriteString("</string>")
	}
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	`)
	str(launchAgentLabel)
	b.WriteString("\n\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range append([]string{exe}, args...) {
		b.WriteString("\t\t")
		str(a)
		b.WriteString("\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.Bytes()
}
