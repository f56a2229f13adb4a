// Package linux holds the Debian package's files and build script
// (build-deb.sh); its test installs the package for real.
package linux

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/app/traytest"
)

// The .deb as users meet it, with the ecosystem's own tools: lintian finds
// no error or warning, the desktop entry and the AppStream metadata
// validate; installed with apt-get into a fresh Debian 12 (debootstrap
// --variant=minbase) it pulls what it needs (restic from Recommends), the
// CLI makes and checks a real demo repository, the GUI starts under Xvfb;
// removed, it leaves none of its files and the user's data untouched.
//
// make package-test builds the package and runs this (as root: chroot);
// LOCKWATCH_DEB names the package, LOCKWATCH_CHROOT_CACHE where the
// bootstrapped system and the downloaded packages are kept between runs.
func TestDebPackage(t *testing.T) {
	deb := os.Getenv("LOCKWATCH_DEB")
	if deb == "" {
		t.Skip("make package-test builds the .deb and runs this")
	}
	if os.Geteuid() != 0 {
		t.Fatal("installing into a chroot needs root: run make package-test as root")
	}
	deb, _ = filepath.Abs(deb)

	t.Run("lintian", func(t *testing.T) {
		out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).CombinedOutput()
		if err != nil {
			t.Errorf("lintian: %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "E:") || strings.HasPrefix(line, "W:") {
				t.Errorf("lintian: %s", line)
			}
		}
	})
	t.Run("metadata", func(t *testing.T) {
		dir := t.TempDir()
		run(t, "dpkg-deb", "-x", deb, dir)
		run(t, "desktop-file-validate", filepath.Join(dir, "usr/share/applications/io.github.lockwatch.desktop"))
		run(t, "appstreamcli", "validate", "--no-net", filepath.Join(dir, "usr/share/metainfo/io.github.lockwatch.metainfo.xml"))
		for _, size := range []string{"32x32", "48x48", "64x64", "128x128", "256x256", "512x512"} {
			if _, err := os.Stat(filepath.Join(dir, "usr/share/icons/hicolor", size, "apps/io.github.lockwatch.png")); err != nil {
				t.Errorf("icon %s: %v", size, err)
			}
		}
		if unit, err := os.ReadFile(filepath.Join(dir, "usr/lib/systemd/user/lockwatch.service")); err != nil || !strings.Contains(string(unit), "ExecStart=/usr/bin/lockwatch service run") {
			t.Errorf("the systemd user unit: %v\n%s", err, unit)
		}
	})

	root := newChroot(t)
	// Commands run in the chroot with a clean environment; extra settings
	// go before the command ("DISPLAY=:9", "lockwatch", …). Each runs in
	// a PID and mount namespace of its own, with its own /proc: when the
	// command ends (or is killed), every process it started ends with it,
	// and no mount is left on the host to remove the chroot through.
	in := func(args ...string) *exec.Cmd {
		return exec.Command("unshare", append([]string{"--fork", "--kill-child", "--pid", "--mount-proc=" + filepath.Join(root, "proc"),
			"chroot", root, "/usr/bin/env", "-i",
			"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"}, args...)...)
	}
	inOK := func(args ...string) string {
		t.Helper()
		out, err := in(args...).CombinedOutput()
		if err != nil {
			t.Fatalf("in the chroot, %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	copyFile(t, deb, filepath.Join(root, "tmp", filepath.Base(deb)))
	inOK("apt-get", "update", "-qq")
	inOK("apt-get", "install", "-y", "-qq", "/tmp/"+filepath.Base(deb))
	keepDownloads(t, root)
	files := packageFiles(root, inOK("dpkg", "-L", "lockwatch"))
	for _, want := range []string{"/usr/bin/lockwatch", "/usr/share/applications/io.github.lockwatch.desktop", "/usr/bin/restic"} {
		if _, err := os.Stat(filepath.Join(root, want)); err != nil {
			t.Errorf("after apt-get install: %s: %v", want, err)
		}
	}

	if out := inOK("lockwatch", "version"); !strings.Contains(out, strings.Split(filepath.Base(deb), "_")[1]) {
		t.Errorf("lockwatch version says %q; want the package's version", out)
	}
	cfg := strings.TrimSpace(inOK("lockwatch", "demo", "--quiet"))
	out, err := in("lockwatch", "--config", cfg, "check").CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "orphaned") {
		t.Errorf("lockwatch check on the demo: exit %d (want 1, a stale lock)\n%s", code, out)
	}

	// The GUI build starts: with no session bus it says why it shows no tray
	// icon, and opens its window instead (drawn by the chroot's Mesa).
	s := traytest.Start(t)
	gui := s.StartProcess(t, in("DISPLAY="+s.Display, "lockwatch", "--config", cfg))
	waitFor(t, 60*time.Second, "the GUI says it shows no tray icon", func() bool {
		return strings.Contains(gui.Stderr(), "lockwatch: no tray icon")
	})
	waitFor(t, 60*time.Second, "the GUI's window is mapped", func() bool {
		out, err := exec.Command("xwininfo", "-display", s.Display, "-name", "lockwatch").CombinedOutput()
		return err == nil && strings.Contains(string(out), "IsViewable")
	})
	// The tray, and with its namespace the window process it started.
	gui.Cmd.Process.Kill()
	waitFor(t, 30*time.Second, "the GUI's processes end", func() bool { return !running(filepath.Join(root, "usr/bin/lockwatch")) })

	// Removal: none of the package's files stays, the user's data does.
	before := tree(t, filepath.Join(root, "root"))
	inOK("apt-get", "remove", "-y", "-qq", "lockwatch")
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(root, f)); err == nil {
			t.Errorf("after apt-get remove, %s is still there", f)
		}
	}
	if after := tree(t, filepath.Join(root, "root")); !slices.Equal(before, after) {
		t.Errorf("apt-get remove changed the user's files:\nbefore %v\nafter  %v", before, after)
	}
}

// newChroot unpacks a minimal Debian 12 (debootstrap --variant=minbase,
// made once and kept as a tarball in the cache) into a temp dir, with /proc
// mounted and the packages downloaded by earlier runs in apt's cache.
func newChroot(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("LOCKWATCH_CHROOT_CACHE")
	if cache == "" {
		cache = "/var/cache/lockwatch-test"
	}
	tarball := filepath.Join(cache, "bookworm-minbase.tar")
	if _, err := os.Stat(tarball); err != nil {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			t.Fatal(err)
		}
		// A directory of this run's own: a debootstrap that failed midway
		// may have left mounts in its directory, which is then left alone
		// rather than removed through them.
		made, err := os.MkdirTemp(cache, "bootstrap-")
		if err != nil {
			t.Fatal(err)
		}
		run(t, "debootstrap", "--variant=minbase", "bookworm", made, "http://deb.debian.org/debian")
		tmp := made + ".tar"
		run(t, "tar", "-C", made, "-cf", tmp, ".")
		if err := os.Rename(tmp, tarball); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(made) // debootstrap unmounted what it mounted when it succeeded
	}
	root := t.TempDir()
	run(t, "tar", "-C", root, "-xf", tarball)
	copyFile(t, "/etc/resolv.conf", filepath.Join(root, "etc/resolv.conf"))
	archives := filepath.Join(cache, "archives")
	os.MkdirAll(archives, 0o755)
	debs, _ := filepath.Glob(filepath.Join(archives, "*.deb"))
	for _, d := range debs {
		copyFile(t, d, filepath.Join(root, "var/cache/apt/archives", filepath.Base(d)))
	}
	t.Setenv("LOCKWATCH_CHROOT_ARCHIVES", archives)
	return root
}

// running reports whether a process runs the program at path (as the
// host sees it, symbolic links resolved).
func running(path string) bool {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, exe := range procs {
		if target, err := os.Readlink(exe); err == nil && target == path {
			return true
		}
	}
	return false
}

// keepDownloads copies the packages apt downloaded into the cache, so that
// the next run downloads nothing.
func keepDownloads(t *testing.T, root string) {
	archives := os.Getenv("LOCKWATCH_CHROOT_ARCHIVES")
	debs, _ := filepath.Glob(filepath.Join(root, "var/cache/apt/archives", "*.deb"))
	for _, d := range debs {
		dst := filepath.Join(archives, filepath.Base(d))
		if _, err := os.Stat(dst); err != nil {
			// Renamed into place: a copy cut short is never kept as a package.
			copyFile(t, d, dst+".part")
			os.Rename(dst+".part", dst)
		}
	}
}

// packageFiles are the regular files and links dpkg -L lists (not the
// directories, which other packages share).
func packageFiles(root, list string) []string {
	var files []string
	for _, p := range strings.Fields(list) {
		if fi, err := os.Lstat(filepath.Join(root, p)); err == nil && fi.IsDir() {
			continue
		}
		files = append(files, p)
	}
	return files
}

// tree lists every file under dir with its size and time, to compare.
func tree(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			out = append(out, fmt.Sprintf("%s %d %s", strings.TrimPrefix(p, dir), fi.Size(), fi.ModTime().Format(time.RFC3339Nano)))
		}
		return nil
	})
	return out
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waited %v for %s", within, what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
