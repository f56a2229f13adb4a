//go:build !windows

package i18n

// osLanguages is nil where Fyne itself asks for the user's languages:
// LANGUAGE, LC_ALL, LC_MESSAGES and LANG on Linux and the BSDs, and the
// preferred languages (AppleLanguages) on macOS.
func osLanguages() []string { return nil }
