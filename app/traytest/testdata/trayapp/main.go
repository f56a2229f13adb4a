// Command trayapp is a tiny real Fyne tray app that the traytest self-test
// drives: a tray icon, a menu {"Hello — 1", "Count", ---, "Quit"} where Count
// increments the number in the first entry, and one desktop notification with
// actions whose ActionInvoked it reports on stdout ("clicked <id> <action>").
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("trayapp: ")

	a := app.NewWithID("io.github.lockwatch.traytest")
	desk, ok := a.(desktop.App)
	if !ok {
		log.Fatal("not a desktop app")
	}

	count := 1
	hello := fyne.NewMenuItem(fmt.Sprintf("Hello — %d", count), nil)
	menu := fyne.NewMenu("traytest")
	countItem := fyne.NewMenuItem("Count", func() {
		fyne.Do(func() {
			count++
			hello.Label = fmt.Sprintf("Hello — %d", count)
			menu.Refresh()
			fmt.Printf("count %d\n", count)
		})
	})
	quit := fyne.NewMenuItem("Quit", func() {
		fmt.Println("quit")
		a.Quit()
	})
	menu.Items = []*fyne.MenuItem{hello, countItem, fyne.NewMenuItemSeparator(), quit}

	desk.SetSystemTrayIcon(fyne.NewStaticResource("traytest.png", iconPNG()))
	desk.SetSystemTrayMenu(menu)

	// A small window so that screenshots show something.
	w := a.NewWindow("traytest")
	w.SetContent(widget.NewLabel("traytest window"))
	w.Resize(fyne.NewSize(240, 80))

	a.Lifecycle().SetOnStarted(func() {
		// Fyne sets the tray's Title on a goroutine that races fyne.io/systray's
		// export of the properties, and can lose it; by OnStarted the item is
		// exported, so a title set here sticks (lockwatch's app does the same).
		systray.SetTitle("traytest")
		fmt.Println("started")
		go notify()
	})
	w.Show()
	a.Run()
	fmt.Println("exited")
}

// iconPNG draws a 32x32 icon: an orange square with a dark border.
func iconPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			c := color.NRGBA{R: 0xf0, G: 0x80, B: 0x10, A: 0xff}
			if x < 2 || y < 2 || x > 29 || y > 29 {
				c = color.NRGBA{R: 0x20, G: 0x20, B: 0x20, A: 0xff}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// notify sends one notification with godbus and reports its actions.
func notify() {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		log.Printf("session bus: %v", err)
		return
	}
	if err := conn.AddMatchSignal(
		dbus.WithMatchObjectPath("/org/freedesktop/Notifications"),
		dbus.WithMatchInterface("org.freedesktop.Notifications"),
	); err != nil {
		log.Printf("add match: %v", err)
		return
	}
	sigs := make(chan *dbus.Signal, 16)
	conn.Signal(sigs)

	var id uint32
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	err = obj.Call("org.freedesktop.Notifications.Notify", 0,
		"traytest", uint32(0), "", "traytest", "hello from the tray app",
		[]string{"default", "Open"}, map[string]dbus.Variant{}, int32(-1)).Store(&id)
	if err != nil {
		log.Printf("notify: %v", err)
		return
	}
	fmt.Printf("notified %d\n", id)

	for sig := range sigs {
		if len(sig.Body) < 2 {
			continue
		}
		got, _ := sig.Body[0].(uint32)
		if got != id {
			continue
		}
		switch sig.Name {
		case "org.freedesktop.Notifications.ActionInvoked":
			fmt.Printf("clicked %d %v\n", id, sig.Body[1])
		case "org.freedesktop.Notifications.NotificationClosed":
			fmt.Printf("closed %d %v\n", id, sig.Body[1])
		}
	}
}
