package main

import (
	"github.com/spf13/cobra"
)

func newWindowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "window [repo/NAME | settings]",
		Short: "Open lockwatch's window (the tray starts it on demand)",
		Long: `Open lockwatch's main window, on a repository, or the settings.

The tray app starts this when a window is wanted; it exits when its last
window closes. A second request while it runs goes to the open window.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := "" // the main window
			if len(args) == 1 {
				target = args[0]
			}
			return runWindow(cmd, target)
		},
	}
}
