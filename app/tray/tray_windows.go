package tray

import (
	"bytes"
	"image/png"

	"fyne.io/systray"
	"github.com/fyne-io/image/ico"

	"github.com/lockwatch/lockwatch/icons"
)

// becomeAgent does nothing: a program built with -H windowsgui has no
// console and no taskbar button without a window.
func becomeAgent() {}

// setIcon converts the icon to .ico, the only format the Windows tray takes.
func setIcon(s icons.Status) {
	img, err := png.Decode(bytes.NewReader(icons.PNG(s)))
	if err != nil {
		return
	}
	var b bytes.Buffer
	if ico.Encode(&b, img) == nil {
		systray.SetIcon(b.Bytes())
	}
}

// setTitle does nothing: Windows shows no title for a tray icon.
func setTitle(string) {}
