package tray

import (
	"bytes"
	"image/png"
	"syscall"

	"fyne.io/systray"
	"github.com/fyne-io/image/ico"

	"github.com/lockwatch/lockwatch/icons"
)

// runLoop shows the tray until quit closes; stop runs before it goes.
func runLoop(ready func(), quit <-chan struct{}, stop func()) {
	go func() {
		<-quit
		stop()
		systray.Quit()
	}()
	systray.Run(ready, nil)
}

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

// windowProcAttr: the tray asks the window process to quit when it does.
func windowProcAttr() *syscall.SysProcAttr { return nil }
