package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestServiceAndPlatformStayHeadless keeps the daemon buildable without a
// display stack or a C compiler: service/ and platform/ (and everything they
// pull in) must not import Fyne nor use cgo, on any OS lockwatch ships for.
func TestServiceAndPlatformStayHeadless(t *testing.T) {
	for _, goos := range []string{"linux", "windows", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-tags", "nogui",
				"-f", `{{.ImportPath}} cgo={{len .CgoFiles}}`, "./service/...", "./platform/...")
			cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=1")
			// Only stdout is parsed: the go command reports on stderr,
			// e.g. "go: downloading …" with an empty module cache.
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
			}
			checked := 0
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				pkg, cgo, _ := strings.Cut(line, " ")
				checked++
				if strings.HasPrefix(pkg, "fyne.io/") {
					t.Errorf("service/ or platform/ depends on %s", pkg)
				}
				// The standard library's runtime/cgo and net's cgo resolver are
				// the only packages allowed C files; they are off with CGO_ENABLED=0.
				if cgo != "cgo=0" && !strings.HasPrefix(pkg, "runtime/cgo") && pkg != "net" && pkg != "os/user" && !strings.HasPrefix(pkg, "plugin") {
					t.Errorf("%s uses cgo (%s)", pkg, cgo)
				}
				if pkg == "C" {
					t.Errorf("a package imports \"C\"")
				}
			}
			if checked < 10 {
				t.Fatalf("go list printed only %d packages; the check saw nothing", checked)
			}
		})
	}
}
