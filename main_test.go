package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestMain gives the tests, and every process they start, their own state,
// runtime and config dirs: in-process commands must not write into the real
// user's audit trail nor find the real user's service.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lockwatch-test-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, v := range []string{"XDG_STATE_HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"} {
		p := filepath.Join(dir, v)
		if err := os.MkdirAll(p, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Setenv(v, p)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// A click on a Windows toast starts "lockwatch lockwatch://repo/NAME", with
// whatever the shell made of the URL; the app must open that repository.
func TestAppTarget(t *testing.T) {
	for _, c := range []struct {
		args   []string
		target string
		ok     bool
	}{
		{nil, "", true},
		{[]string{"lockwatch://repo/nas"}, "repo/nas", true},
		{[]string{"lockwatch://repo/nas/"}, "repo/nas", true},
		{[]string{"LOCKWATCH://repo/nas"}, "repo/nas", true},
		{[]string{"lockwatch://repo/my%20nas/"}, "repo/my nas", true},
		{[]string{"chekc"}, "", false},
		{[]string{"lockwatch://"}, "", false},
		{[]string{"lockwatch://repo/a", "lockwatch://repo/b"}, "", false},
	} {
		target, ok := appTarget(c.args)
		if target != c.target || ok != c.ok {
			t.Errorf("appTarget(%q) = %q, %v; want %q, %v", c.args, target, ok, c.target, c.ok)
		}
	}
}
