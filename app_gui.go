//go:build !nogui

package main

import (
	"github.com/lockwatch/lockwatch/app"
	_ "github.com/lockwatch/lockwatch/app/localeenv" // before Fyne's init: see the package
	"github.com/spf13/cobra"
)

const guiBuild = "GUI"

// runApp starts the desktop app on the user's config.
func runApp(cmd *cobra.Command) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	return app.Run(cfg)
}
