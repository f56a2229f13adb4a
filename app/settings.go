package app

import "fyne.io/fyne/v2/dialog"

// showSettings is a placeholder until the settings window lands.
func (ui *UI) showSettings() {
	dialog.ShowInformation("Settings", "Edit "+ui.opts.ConfigPath, ui.main)
}
