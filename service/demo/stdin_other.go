//go:build !linux

package demo

// readingStdin cannot be told without /proc: Hold falls back to a pause.
func readingStdin(pid int) (reading, known bool) { return false, false }
