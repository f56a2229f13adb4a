//go:build !nogui

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIQuietUnderCLocale: every command of the GUI build links Fyne, whose
// init used to log a locale error under LANG=C.UTF-8 (see app/localeenv).
func TestCLIQuietUnderCLocale(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "lockwatch")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, lang := range []string{"C.UTF-8", "POSIX.UTF-8", "C", "en_US.UTF-8"} {
		cmd := exec.Command(bin, "version")
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "LANG") && !strings.HasPrefix(kv, "LC_") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "LANG="+lang)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "GUI") || stderr.Len() > 0 {
			t.Errorf("LANG=%s lockwatch version: %v, stdout %q, stderr %q", lang, err, out, stderr.String())
		}
	}
}
