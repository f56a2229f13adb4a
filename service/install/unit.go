package install

import (
	"fmt"
	"strings"
)

// The Linux service files, as pure functions of resolved Options so tests
// can check them on any machine. They live outside install_linux.go only for
// that reason.

// systemdUnit is the systemd user unit. WantedBy=default.target, not
// multi-user.target: a user manager only ever reaches default.target, so a
// unit wanted by multi-user.target would be enabled but never started.
func systemdUnit(o Options) string {
	var b strings.Builder
	b.WriteString("[Unit]\n")
	b.WriteString("Description=" + description + "\n")
	b.WriteString("\n[Service]\n")
	b.WriteString("ExecStart=" + systemdCommandLine(o.argv()) + "\n")
	b.WriteString("Restart=on-failure\n")
	// Restart=on-failure with systemd's default RestartSec=100ms hits the
	// start limit (5 in 10 s) within a second of a crash loop and then gives
	// up for good; a pause keeps retrying meaningful.
	b.WriteString("RestartSec=10\n")
	b.WriteString("\n[Install]\n")
	b.WriteString("WantedBy=default.target\n")
	return b.String()
}

// systemdCommandLine joins argv for ExecStart=. systemd splits the line on
// whitespace, honours double quotes and C escapes (so \ must be doubled),
// expands %-specifiers and $VARIABLES (so % and $ are doubled), and takes a
// lone ";" as a command separator.
func systemdCommandLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = systemdQuote(a)
	}
	return strings.Join(words, " ")
}

func systemdQuote(s string) string {
	if s == ";" {
		return `\;`
	}
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$", "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s)
	if s == "" || strings.ContainsAny(s, " \t\n\r\"'") {
		return `"` + esc + `"`
	}
	return esc
}

// desktopEntry is the XDG autostart entry used where no systemd user
// manager runs. Desktop sessions (and systemd-xdg-autostart-generator) start
// it at login.
func desktopEntry(o Options) string {
	var b strings.Builder
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=lockwatch service\n")
	b.WriteString("Comment=" + description + "\n")
	b.WriteString("Exec=" + desktopExec(o.argv()) + "\n")
	b.WriteString("Terminal=false\n")
	b.WriteString("NoDisplay=true\n")
	b.WriteString("X-GNOME-Autostart-enabled=true\n")
	return b.String()
}

// desktopReserved are the characters that make an Exec argument need
// quoting, per the Desktop Entry Specification ("The Exec key").
const desktopReserved = " \t\n\"'\\><~|&;$*?#()`"

// desktopExec builds the Exec= value. Two layers of escaping apply: the
// argument quoting of the Exec key (inside double quotes, ", `, $ and \ take
// a backslash; % is always doubled), then the general string-value escapes
// (\\, \n, \t, \r), which the reader undoes first.
func desktopExec(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		w := strings.ReplaceAll(a, "%", "%%")
		if a == "" || strings.ContainsAny(a, desktopReserved) {
			w = `"` + strings.NewReplacer(`"`, `\"`, "`", "\\`", "$", `\$`, `\`, `\\`).Replace(w) + `"`
		}
		words[i] = w
	}
	line := strings.Join(words, " ")
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(line)
}

// parseDesktopExec undoes desktopExec: it reads back the command line of an
// autostart entry, so Start can run it and Stop can find it.
func parseDesktopExec(value string) ([]string, error) {
	// Layer 1: string-value escapes.
	var line strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c != '\\' || i+1 == len(value) {
			line.WriteByte(c)
			continue
		}
		i++
		switch value[i] {
		case 's':
			line.WriteByte(' ')
		case 'n':
			line.WriteByte('\n')
		case 't':
			line.WriteByte('\t')
		case 'r':
			line.WriteByte('\r')
		case '\\':
			line.WriteByte('\\')
		default:
			line.WriteByte('\\')
			line.WriteByte(value[i])
		}
	}
	// Layer 2: Exec argument quoting.
	s := line.String()
	var argv []string
	var word strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			i++
			word.WriteByte(s[i])
		case quoted && c == '"':
			quoted = false
		case c == '%' && i+1 < len(s) && s[i+1] == '%':
			i++
			word.WriteByte('%')
			inWord = true
		case quoted:
			word.WriteByte(c)
		case c == '"':
			quoted, inWord = true, true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				argv = append(argv, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("Exec=%s: unterminated quote", value)
	}
	if inWord {
		argv = append(argv, word.String())
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("Exec= is empty")
	}
	return argv, nil
}

// desktopValue finds key's value in the [Desktop Entry] group of a desktop
// file.
func desktopValue(file, key string) (string, bool) {
	group := ""
	for _, line := range strings.Split(file, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			group = line
			continue
		}
		if group != "[Desktop Entry]" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
