package paths

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestXDGOverrides(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("XDG applies to Linux and BSDs")
	}
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("XDG_STATE_HOME", "relative/ignored")
	for name, f := range map[string]func() (string, error){"data": DataDir, "state": StateDir} {
		got, err := f()
		want := map[string]string{"data": "/home/u/.local/share/lockwatch", "state": "/home/u/.local/state/lockwatch"}[name]
		if err != nil || got != want {
			t.Errorf("%s dir = %q, %v; want %q", name, got, err, want)
		}
	}
	t.Setenv("XDG_DATA_HOME", "/data")
	if got, _ := DataDir(); got != filepath.Join("/data", "lockwatch") {
		t.Errorf("DataDir with XDG_DATA_HOME = %q", got)
	}
}
