package trayhost

import (
	"fmt"

	"github.com/godbus/dbus/v5"
)

func available() error {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return &Missing{What: NoBus, Err: err}
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return &Missing{What: NoBus, Err: fmt.Errorf("authenticating: %w", err)}
	}
	if err := conn.Hello(); err != nil {
		return &Missing{What: NoBus, Err: fmt.Errorf("saying hello: %w", err)}
	}
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, Watcher).Store(&owned); err != nil {
		return &Missing{What: NoBus, Err: fmt.Errorf("asking for a tray: %w", err)}
	}
	if !owned {
		return &Missing{What: NoHost}
	}
	return nil
}
