package main

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
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
				if cgo != "cgo=0" && !strings.HasPrefix(pkg, "runtime/cgo") && pkg != "net" && pkg != "os/user" && !strings.HasPrefix(pkg, "plugin") && !optionalCgo[goos+" "+pkg] {
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

// TestReadersAreIndependent keeps the two readers apart: what they share
// (the contract and its errors) lives in service/reader, so neither the
// native reader nor the restic driver needs the other.
func TestReadersAreIndependent(t *testing.T) {
	for pkg, never := range map[string]string{
		"./service/native": "github.com/lockwatch/lockwatch/service/restic",
		"./service/restic": "github.com/lockwatch/lockwatch/service/native",
	} {
		var stderr bytes.Buffer
		cmd := exec.Command("go", "list", "-deps", pkg)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, stderr.Bytes())
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, "github.com/lockwatch/lockwatch/service/reader") {
			t.Errorf("%s does not depend on service/reader; the check saw %d packages", pkg, len(deps))
		}
		if slices.Contains(deps, never) {
			t.Errorf("%s depends on %s", pkg, never)
		}
	}
}

// optionalCgo are packages outside the standard library that, like net
// and os/user, use C only when cgo is on and have a pure-Go path with
// CGO_ENABLED=0 (which the daemon's builds use; make cross proves it):
// Prometheus's client reads a process's memory through C on macOS.
var optionalCgo = map[string]bool{"darwin github.com/prometheus/client_golang/prometheus": true}

// TestTrayStaysOffFyne keeps the tray process light: it draws with
// fyne.io/systray alone, and must not pull in Fyne's driver, which ticks
// 60 times a second while it runs (the windows are another process). Only
// Fyne's translation package (and the API package it names its locales
// with) is allowed: the tray says its menu from the app's one catalogue.
func TestTrayStaysOffFyne(t *testing.T) {
	for _, goos := range []string{"linux", "windows"} {
		cmd := exec.Command("go", "list", "-deps", "./app/tray")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list ./app/tray (%s): %v\n%s", goos, err, stderr.Bytes())
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, "fyne.io/systray") {
			t.Errorf("%s: the tray does not use fyne.io/systray; the check saw %d packages", goos, len(deps))
		}
		for _, pkg := range deps {
			if strings.HasPrefix(pkg, "fyne.io/fyne/") && pkg != "fyne.io/fyne/v2" && pkg != "fyne.io/fyne/v2/lang" {
				t.Errorf("%s: the tray depends on %s", goos, pkg)
			}
		}
	}
}
