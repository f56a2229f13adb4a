package tray

import "strings"

// menuLabel escapes underscores: the Linux tray menu protocol (dbusmenu)
// reads "_" as a keyboard-shortcut marker and would drop it from "my_repo".
func menuLabel(s string) string { return strings.ReplaceAll(s, "_", "__") }
