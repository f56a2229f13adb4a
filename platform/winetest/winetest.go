// Package winetest runs lockwatch's Windows build for real under Wine
// (Debian's wine64), for tests: a private prefix per test binary, the
// Windows executables and test binaries cross-built from this module.
//
// Wine 8 lacks bcryptprimitives.dll, whose ProcessPrng every Go 1.24+
// program needs at start; a TEST-ONLY stand-in built from
// testdata/bcryptprimitives.c with mingw-w64 is put in the prefix.
package winetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Wine is a ready Wine prefix.
type Wine struct {
	Prefix string // WINEPREFIX
	bin    string // wine64
}

var (
	once   sync.Once
	shared *Wine
	setup  error
)

// Start returns the prefix of this test binary, made on first use (about
// 5–20 s), or fails the test: these tests mean nothing without Wine (make
// deps installs wine64 and mingw-w64). The prefix is removed when the
// process ends only if the caller arranges it; temp dirs of the OS take it.
func Start(t testing.TB) *Wine {
	t.Helper()
	once.Do(func() { shared, setup = start() })
	if setup != nil {
		t.Fatalf("winetest: %v", setup)
	}
	return shared
}

func start() (*Wine, error) {
	bin, err := exec.LookPath("wine64")
	if err != nil {
		// Debian puts the 64-bit loader outside PATH.
		bin = "/usr/lib/wine/wine64"
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("Wine is not installed (run make deps, or apt-get install wine wine64): %v", err)
		}
	}
	dir, err := os.MkdirTemp("", "lockwatch-wine-")
	if err != nil {
		return nil, err
	}
	w := &Wine{Prefix: filepath.Join(dir, "prefix"), bin: bin}
	if out, err := w.Command("wineboot", "-i").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("wineboot -i: %v: %s", err, out)
	}
	dll := filepath.Join(w.Prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	cc := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", dll, source("bcryptprimitives.c"), "-ladvapi32", "-Wl,--kill-at")
	if out, err := cc.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the ProcessPrng stand-in (apt-get install gcc-mingw-w64-x86-64): %v: %s", err, out)
	}
	return w, nil
}

// source is a file of testdata beside this file.
func source(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// KillAll ends every Windows process of the prefix (wineserver -k): each
// test starts without what an earlier one left running, such as a window
// process its tray started, or a command its killed run left behind.
func (w *Wine) KillAll(t testing.TB) {
	t.Helper()
	cmd := exec.Command(filepath.Join(filepath.Dir(w.bin), "wineserver"), "-k")
	if _, err := os.Stat(cmd.Path); err != nil {
		cmd = exec.Command("wineserver", "-k")
	}
	cmd.Env = append(os.Environ(), "WINEPREFIX="+w.Prefix)
	// Exits non-zero when no wineserver runs: nothing to end then.
	_ = cmd.Run()
}

// Command runs a Windows program (a path on this machine, or a name Wine
// finds, e.g. "reg") in the prefix.
func (w *Wine) Command(program string, args ...string) *exec.Cmd {
	cmd := exec.Command(w.bin, append([]string{program}, args...)...)
	cmd.Env = append(os.Environ(), "WINEPREFIX="+w.Prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=")
	return cmd
}

// Path is a Linux path as Windows programs in the prefix see it: Z:\…
func Path(linux string) string { return `Z:` + strings.ReplaceAll(linux, "/", `\`) }

// Build cross-builds the package at dir (of this module) for Windows,
// without cgo and without the GUI, into a temp dir.
func Build(t testing.TB, dir string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), filepath.Base(dir)+".exe")
	goBuild(t, dir, "build", "-tags", "nogui", "-o", exe, ".")
	return exe
}

// TestBinary cross-builds the tests of the package at dir for Windows.
func TestBinary(t testing.TB, dir string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), filepath.Base(dir)+".test.exe")
	goBuild(t, dir, "test", "-c", "-o", exe, ".")
	return exe
}

func goBuild(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s for windows in %s: %v\n%s", strings.Join(args, " "), dir, err, out.String())
	}
}

// RunTests runs the Windows build of the tests in dir under Wine and fails
// t with their output unless they pass.
func RunTests(t testing.TB, dir string) {
	t.Helper()
	w := Start(t)
	exe := TestBinary(t, dir)
	out, err := w.Command(exe, "-test.v", "-test.count=1").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("\nPASS")) {
		t.Fatalf("the Windows tests of %s under Wine: %v\n%s", dir, err, out)
	}
	t.Logf("the Windows tests of %s under Wine:\n%s", dir, out)
}
