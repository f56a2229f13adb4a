package tray

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>

// beAgent keeps the tray process out of the Dock and the app switcher:
// it is a menu bar extra. The window process is a regular app.
static void beAgent(void) {
	dispatch_async(dispatch_get_main_queue(), ^{
		[NSApp setActivationPolicy:NSApplicationActivationPolicyAccessory];
	});
}
*/
import "C"

import (
	"fyne.io/systray"

	"github.com/lockwatch/lockwatch/icons"
)

// becomeAgent keeps the tray out of the Dock (see beAgent).
func becomeAgent() { C.beAgent() }

// setIcon uses a template image, which the menu bar tints for light and
// dark mode.
func setIcon(s icons.Status) { systray.SetTemplateIcon(icons.TemplatePNG(s), icons.PNG(s)) }

// setTitle does nothing: on macOS a title is text beside the icon in the
// menu bar, which lockwatch does not want.
func setTitle(string) {}
