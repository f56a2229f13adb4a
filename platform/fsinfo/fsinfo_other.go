//go:build !linux && !darwin && !windows

package fsinfo

// Elsewhere nothing tells; the caller's watch is best effort anyway.
func remoteFS(string) (string, bool, error) { return "", false, nil }
