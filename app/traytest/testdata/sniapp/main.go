// Command sniapp is the smallest tray app the panel tests need: a
// StatusNotifierItem (fyne.io/systray, no Fyne app and no cgo) with a 24x24
// orange icon and a two-entry menu. It prints "ready" once the item is
// exported, "clicked <label>" for every menu click and "quit" before it exits.
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"

	"fyne.io/systray"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("sniapp: ")
	systray.Run(onReady, func() { fmt.Println("quit") })
}

func onReady() {
	systray.SetIcon(iconPNG())
	systray.SetTitle("sniapp")
	systray.SetTooltip("sniapp tooltip")
	hello := systray.AddMenuItem("Hello", "say hello")
	quit := systray.AddMenuItem("Quit", "quit sniapp")
	go func() {
		for {
			select {
			case <-hello.ClickedCh:
				fmt.Println("clicked Hello")
			case <-quit.ClickedCh:
				fmt.Println("clicked Quit")
				systray.Quit()
				return
			}
		}
	}()
	fmt.Println("ready")
}

// iconPNG draws a 24x24 opaque orange square with a dark border.
func iconPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 24, 24))
	for y := 0; y < 24; y++ {
		for x := 0; x < 24; x++ {
			c := color.NRGBA{R: 0xf0, G: 0x80, B: 0x10, A: 0xff}
			if x < 2 || y < 2 || x > 21 || y > 21 {
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
