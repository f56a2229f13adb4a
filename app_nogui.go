//go:build nogui

package main

import "github.com/spf13/cobra"

const guiBuild = "no GUI"

// runApp stands in for the tray app in builds without Fyne (-tags nogui).
func runApp(cmd *cobra.Command, open string) error {
	cmd.PrintErrln("lockwatch was built without its tray app (-tags nogui); use a command:")
	cmd.PrintErrln()
	_ = cmd.Usage()
	return exitCodeError{exitError}
}

// runWindow stands in for the window process in builds without Fyne.
func runWindow(cmd *cobra.Command, _ string) error { return runApp(cmd, "") }
