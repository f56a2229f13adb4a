//go:build !linux

package demotest

import "testing"

// SlowSource is a directory whose one file reads at a trickle; see slowsource_linux.go.
type SlowSource struct {
	Dir     string
	reading chan struct{}
}

// Reading is closed once something has read from the slow file.
func (s *SlowSource) Reading() <-chan struct{} { return s.reading }

// NewSlowSource is a FUSE filesystem served by the test: Linux only.
func NewSlowSource(t testing.TB) *SlowSource {
	t.Skip("a slow source is a Linux FUSE filesystem")
	return nil
}

// Mirror is a FUSE file system served by the test: Linux only.
func Mirror(t testing.TB) string {
	t.Skip("a mirror is a Linux FUSE filesystem")
	return ""
}
