//go:build !windows && !darwin

package autostart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
)

// Linux and the BSDs follow the XDG Autostart spec: the session starts every
// desktop entry in $XDG_CONFIG_HOME/autostart, and in the system-wide
// $XDG_CONFIG_DIRS/autostart directories unless a user entry of the same
// name hides it.
// https://specifications.freedesktop.org/autostart-spec/latest/

const entryName = "io.github.lockwatch.desktop"

func enabled() (bool, error) {
	paths, err := entryPaths()
	if err != nil {
		return false, err
	}
	// The first entry found wins: the user's overrides the system's.
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("start at login: %w", err)
		}
		return !hidden(data), nil
	}
	return false, nil
}

func enable(exe string, args []string) error {
	paths, err := entryPaths()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(paths[0], desktopEntry(exe, args), 0o644); err != nil {
		return fmt.Errorf("start at login: write %s: %w", paths[0], err)
	}
	return nil
}

func disable() error {
	paths, err := entryPaths()
	if err != nil {
		return err
	}
	if err := os.Remove(paths[0]); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("start at login: %w", err)
	}
	// A package may have installed an entry for all users. The user cannot
	// delete that one; the spec's way to switch it off for one user is a
	// user entry of the same name with Hidden=true.
	if on, err := enabled(); err != nil || !on {
		return err
	}
	hide := []byte("[Desktop Entry]\nType=Application\nName=lockwatch\nHidden=true\n")
	if err := atomicfile.Write(paths[0], hide, 0o644); err != nil {
		return fmt.Errorf("start at login: write %s: %w", paths[0], err)
	}
	return nil
}

// entryPaths lists where lockwatch's entry may be, user's first. The base
// directory spec ignores relative paths in the variables.
func entryPaths() ([]string, error) {
	config := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(config) {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("start at login: %w", err)
		}
		config = filepath.Join(home, ".config")
	}
	paths := []string{filepath.Join(config, "autostart", entryName)}
	dirs := os.Getenv("XDG_CONFIG_DIRS")
	if dirs == "" {
		dirs = "/etc/xdg"
	}
	for _, dir := range filepath.SplitList(dirs) {
		if filepath.IsAbs(dir) {
			paths = append(paths, filepath.Join(dir, "autostart", entryName))
		}
	}
	return paths, nil
}

// hidden reports whether a desktop entry says not to start it: Hidden=true
// is the spec's switch, X-GNOME-Autostart-enabled=false the one GNOME's
// settings write.
func hidden(entry []byte) bool {
	group := ""
	sc := bufio.NewScanner(bytes.NewReader(entry))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			group = line
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || group != "[Desktop Entry]" {
			continue
		}
		switch key, value = strings.TrimSpace(key), strings.TrimSpace(value); {
		case key == "Hidden" && value == "true",
			key == "X-GNOME-Autostart-enabled" && value == "false":
			return true
		}
	}
	return false
}

// desktopEntry is the autostart entry that runs exe with args.
func desktopEntry(exe string, args []string) []byte {
	return []byte(`[Desktop Entry]
# Written by lockwatch's "Start at login" setting, which removes it again.
Type=Application
Name=lockwatch
Comment=Watches restic repositories for stale locks
Exec=` + execValue(append([]string{exe}, args...)) + `
Icon=io.github.lockwatch
Terminal=false
X-GNOME-Autostart-enabled=true
`)
}

// execValue writes argv as the value of an Exec key. The Desktop Entry spec
// quotes in two layers, and readers undo them in this order: first the
// escapes of every string value (\\, \n, \t, \r), then the Exec quoting
// (double quotes around an argument with a reserved character, a backslash
// before " ` $ \ inside them), and last the field codes, where a literal %
// is %%.
func execValue(argv []string) string {
	quoted := make([]string, len(argv))
	for i, arg := range argv {
		quoted[i] = quoteExecArg(strings.ReplaceAll(arg, "%", "%%"))
	}
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(strings.Join(quoted, " "))
}

// execReserved are the characters that make the spec require quotes.
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

func quoteExecArg(arg string) string {
	if arg != "" && !strings.ContainsAny(arg, execReserved) {
		return arg
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range arg {
		if strings.ContainsRune("\"`$\\", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}
