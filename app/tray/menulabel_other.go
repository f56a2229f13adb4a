//go:build !linux

package tray

// menuLabel is the label as it is: Windows and macOS tray menus show "_" as is.
func menuLabel(s string) string { return s }
