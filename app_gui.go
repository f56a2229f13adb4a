//go:build !nogui

package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/lockwatch/lockwatch/app"
	"github.com/lockwatch/lockwatch/app/client"
	_ "github.com/lockwatch/lockwatch/app/localeenv" // before Fyne's init: see the package
	"github.com/lockwatch/lockwatch/app/tray"
)

const guiBuild = "GUI"

// runApp starts the desktop app: the tray, or with a target (a lockwatch://
// link) the window process on it. Without a config file yet it writes an
// empty one, so that repositories can be added in Settings.
func runApp(cmd *cobra.Command, open string) error {
	path, err := configPath(cmd)
	if err != nil {
		return err
	}
	created, err := ensureConfig(path)
	if err != nil {
		return err
	}
	exe, _ := os.Executable()
	if open == "" {
		return tray.Run(tray.Options{ConfigPath: path, Executable: exe, FirstRun: created})
	}
	// A link (a click on a Windows toast): the running tray opens it in
	// its window process; without a tray, this process becomes the window.
	if client.HandOver(client.Tray, client.Open, open) {
		return nil
	}
	return app.Run(app.Options{ConfigPath: path, Executable: exe, Open: open})
}

// runWindow starts the window process on target ("" for the main window).
func runWindow(cmd *cobra.Command, target string) error {
	path, err := configPath(cmd)
	if err != nil {
		return err
	}
	exe, _ := os.Executable()
	return app.Run(app.Options{ConfigPath: path, Executable: exe, Open: target})
}
