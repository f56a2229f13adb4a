//go:build !windows && !darwin

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
)

// isolate points HOME and the XDG config variables into a fresh directory
// and returns where the user's entry will be.
func isolate(t *testing.T) (entry, systemDir string) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("HOME", filepath.Join(tmp, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(tmp, "config"))
	systemDir = filepath.Join(tmp, "etc-xdg")
	t.Setenv("XDG_CONFIG_DIRS", systemDir)
	return filepath.Join(tmp, "config", "autostart", entryName), systemDir
}

// entryKeys reads the [Desktop Entry] group of a desktop entry.
func entryKeys(t *testing.T, data []byte) map[string]string {
	t.Helper()
	keys := map[string]string{}
	group := ""
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			group = line
		case group == "[Desktop Entry]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("line %q is not key=value", line)
			}
			keys[k] = v
		}
	}
	return keys
}

// parseExec undoes execValue as the Desktop Entry spec tells readers to:
// string escapes, then quoting, then %% (the only field code we write).
// It rejects what the spec forbids, so sloppy quoting fails the test.
func parseExec(value string) ([]string, error) {
	var s strings.Builder
	for i := 0; i < len(value); i++ {
		if value[i] != '\\' {
			s.WriteByte(value[i])
			continue
		}
		if i++; i == len(value) {
			return nil, errors.New("dangling backslash")
		}
		switch value[i] {
		case 's':
			s.WriteByte(' ')
		case 'n':
			s.WriteByte('\n')
		case 't':
			s.WriteByte('\t')
		case 'r':
			s.WriteByte('\r')
		case '\\':
			s.WriteByte('\\')
		default:
			return nil, fmt.Errorf("unknown string escape \\%c", value[i])
		}
	}
	line := s.String()

	var argv []string
	for i := 0; i < len(line); {
		if line[i] == ' ' {
			i++
			continue
		}
		var arg strings.Builder
		if line[i] == '"' {
			for i++; ; i++ {
				if i == len(line) {
					return nil, errors.New("unterminated quote")
				}
				c := line[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' {
					if i+1 == len(line) || !strings.ContainsRune("\"`$\\", rune(line[i+1])) {
						return nil, fmt.Errorf("bad backslash in quotes in %q", line)
					}
					i++
					c = line[i]
				}
				arg.WriteByte(c)
			}
			if i < len(line) && line[i] != ' ' {
				return nil, fmt.Errorf("text right after a closing quote in %q", line)
			}
		} else {
			for ; i < len(line) && line[i] != ' '; i++ {
				if strings.IndexByte(execReserved, line[i]) >= 0 {
					return nil, fmt.Errorf("reserved %q outside quotes in %q", line[i], line)
				}
				arg.WriteByte(line[i])
			}
		}
		a := arg.String()
		if strings.Contains(strings.ReplaceAll(a, "%%", ""), "%") {
			return nil, fmt.Errorf("field code in %q", a)
		}
		argv = append(argv, strings.ReplaceAll(a, "%%", "%"))
	}
	return argv, nil
}

func TestEnableWritesEntryDisableRemovesIt(t *testing.T) {
	entry, _ := isolate(t)
	exe := "/opt/lock watch/bin/lockwatch"
	args := []string{"tray", "--config=/home/me/My Config/lockwatch.toml", `odd "$HOME" \ ` + "`x` 'y'", "100%", "", "tab\there\nnewline", "ü"}

	if on, err := Enabled(); err != nil || on {
		t.Fatalf("Enabled() before Enable = %v, %v; want false", on, err)
	}
	if err := Enable(exe, args...); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(entry)
	if err != nil {
		t.Fatalf("Enable wrote no %s: %v", entry, err)
	}
	if info.Mode().Perm() != 0o644 {
		t.Errorf("entry mode %v, want 0644", info.Mode().Perm())
	}
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "[Desktop Entry]\n") {
		t.Errorf("entry does not start with its group:\n%s", data)
	}
	keys := entryKeys(t, data)
	for k, want := range map[string]string{
		"Type": "Application", "Name": "lockwatch", "Comment": "Watches restic repositories for stale locks",
		"Icon": "io.github.lockwatch", "X-GNOME-Autostart-enabled": "true", "Terminal": "false",
	} {
		if keys[k] != want {
			t.Errorf("%s=%q, want %q", k, keys[k], want)
		}
	}
	argv, err := parseExec(keys["Exec"])
	if err != nil {
		t.Fatalf("Exec=%s does not parse: %v", keys["Exec"], err)
	}
	if want := append([]string{exe}, args...); !slices.Equal(argv, want) {
		t.Errorf("Exec=%s\nparses to %q\nwant      %q", keys["Exec"], argv, want)
	}
	if on, err := Enabled(); err != nil || !on {
		t.Errorf("Enabled() after Enable = %v, %v; want true", on, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(entry), ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %q", leftovers)
	}

	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entry); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("entry still there after Disable: %v", err)
	}
	if on, err := Enabled(); err != nil || on {
		t.Errorf("Enabled() after Disable = %v, %v; want false", on, err)
	}
	if err := Disable(); err != nil {
		t.Errorf("second Disable: %v", err)
	}
}

func TestEnableWithoutXDGConfigHomeUsesDotConfig(t *testing.T) {
	isolate(t)
	t.Setenv("XDG_CONFIG_HOME", "relative/is/ignored")
	if err := Enable("/usr/bin/lockwatch", "tray"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("HOME"), ".config", "autostart", entryName)); err != nil {
		t.Errorf("no entry under ~/.config: %v", err)
	}
}

func TestEnableNeedsAbsolutePath(t *testing.T) {
	isolate(t)
	if err := Enable("lockwatch", "tray"); err == nil {
		t.Error("Enable accepted a relative path")
	}
}

func TestHiddenEntryIsDisabled(t *testing.T) {
	for _, tc := range []struct {
		entry string
		on    bool
	}{
		{"[Desktop Entry]\nExec=/x\n", true},
		{"[Desktop Entry]\nExec=/x\nHidden=true\n", false},
		{"[Desktop Entry]\nHidden = true\n", false},
		{"[Desktop Entry]\nHidden=false\n", true},
		{"[Desktop Entry]\nX-GNOME-Autostart-enabled=false\n", false},
		{"[Desktop Entry]\nExec=/x\n[Desktop Action x]\nHidden=true\n", true},
	} {
		entry, _ := isolate(t)
		if err := atomicfile.Write(entry, []byte(tc.entry), 0o644); err != nil {
			t.Fatal(err)
		}
		if on, err := Enabled(); err != nil || on != tc.on {
			t.Errorf("Enabled() with %q = %v, %v; want %v", tc.entry, on, err, tc.on)
		}
	}
}

// A system-wide entry (from a package) cannot be deleted by the user, so
// Disable hides it with a user entry, as the autostart spec says.
func TestDisableHidesSystemEntry(t *testing.T) {
	entry, systemDir := isolate(t)
	system := filepath.Join(systemDir, "autostart", entryName)
	if err := atomicfile.Write(system, desktopEntry("/usr/bin/lockwatch", []string{"tray"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if on, err := Enabled(); err != nil || !on {
		t.Fatalf("Enabled() with a system entry = %v, %v; want true", on, err)
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if on, err := Enabled(); err != nil || on {
		t.Errorf("Enabled() after Disable = %v, %v; want false", on, err)
	}
	data, err := os.ReadFile(entry)
	if err != nil || entryKeys(t, data)["Hidden"] != "true" {
		t.Errorf("no user entry with Hidden=true: %v\n%s", err, data)
	}
	if err := Enable("/usr/bin/lockwatch", "tray"); err != nil {
		t.Fatal(err)
	}
	if on, err := Enabled(); err != nil || !on {
		t.Errorf("Enabled() after Enable = %v, %v; want true", on, err)
	}
}
