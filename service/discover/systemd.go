package discover

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
)

// ReadSystemdUnit reads a service unit's [Service] section: Environment=
// and EnvironmentFile= (RESTIC_REPOSITORY and friends), and ExecStart=
// lines that run restic with -r, --repository-file, --password-file or
// --password-command. home is what the specifier %h stands for: the
// user's home for a user unit, root's for a system unit. Other specifiers
// (%i of a template unit …) make what uses them skipped.
func ReadSystemdUnit(path, home string) ([]Found, []Skipped, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	if !bytes.Contains(bytes.ToLower(data), []byte("restic")) {
		return nil, nil, nil // not about restic: not worth a word
	}
	u := &unit{path: path, home: home, name: strings.TrimSuffix(filepath.Base(path), ".service")}
	u.read(data)

	var found []Found
	var skipped []Skipped
	add := func(f Found, line int, reason string) {
		if reason != "" {
			if len(u.unreadable) > 0 {
				reason += " (" + strings.Join(u.unreadable, "; ") + ")"
			}
			skipped = append(skipped, Skipped{Source: SourceSystemd, File: path, Line: line, Reason: reason})
			return
		}
		for _, why := range u.unreadable {
			f.Notes = append(f.Notes, why)
		}
		f.Name = SanitizeName(u.name, "systemd")
		found = append(found, f)
	}
	env, envLine, reason := u.environment()
	ran := false
	for _, x := range u.execStart {
		words, err := splitQuoted(x.value)
		if err != nil {
			add(Found{}, x.line, "ExecStart has an unterminated quote")
			continue
		}
		for _, c := range resticCommands(words) {
			ran = true
			if reason != "" {
				add(Found{}, x.line, reason)
				continue
			}
			if bad := u.expandFlags(&c); bad != "" {
				add(Found{}, x.line, "restic's flags use the systemd specifier "+bad+", which lockwatch does not resolve")
				continue
			}
			f, why := commandFound(Found{Source: SourceSystemd, File: path, Line: x.line}, env, c)
			add(f, x.line, why)
		}
	}
	if !ran {
		// The unit runs a script, which gets restic's settings from the unit.
		f := Found{Source: SourceSystemd, File: path, Line: envLine}
		for _, kv := range env {
			applyEnv(&f, kv[0], kv[1], false)
		}
		switch {
		case reason != "":
			add(f, envLine, reason)
		case f.Repository != "" || f.RepositoryFile != "":
			settle(&f)
			add(f, envLine, "")
		case len(u.unreadable) > 0:
			add(f, u.unreadableLine, "mentions restic, but its settings may be in a file that could not be read")
		}
	}
	// sh -c 'restic -r X unlock && restic -r X backup' is one repository.
	return Dedup(found, home), skipped, nil
}

type unitDirective struct {
	line  int
	value string
}

type unit struct {
	path, home, name string
	environ          []unitDirective // Environment=, in order
	environmentFiles []unitDirective
	execStart        []unitDirective
	// unreadable says which EnvironmentFiles could not be read, and why.
	unreadable     []string
	unreadableLine int
}

// read collects the directives of the [Service] section. A line ending in
// a backslash continues on the next; an empty assignment resets the list,
// as systemd does.
func (u *unit) read(data []byte) {
	section := ""
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		text := strings.TrimSpace(lines[i])
		for strings.HasSuffix(text, `\`) && i+1 < len(lines) {
			i++
			next := strings.TrimSpace(lines[i])
			if strings.HasPrefix(next, "#") || strings.HasPrefix(next, ";") {
				continue
			}
			text = text[:len(text)-1] + " " + next
		}
		switch {
		case text == "" || text[0] == '#' || text[0] == ';':
			continue
		case text[0] == '[':
			section = strings.Trim(text, "[] \t")
			continue
		}
		if section != "Service" {
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		if !ok {
			continue
		}
		d := unitDirective{line: lineNo, value: strings.TrimSpace(value)}
		var list *[]unitDirective
		switch strings.TrimSpace(key) {
		case "Environment":
			list = &u.environ
		case "EnvironmentFile":
			list = &u.environmentFiles
		case "ExecStart":
			list = &u.execStart
		default:
			continue
		}
		if d.value == "" {
			*list = nil
		} else {
			*list = append(*list, d)
		}
	}
}

// environment returns the environment the unit gives its commands:
// Environment= first, then EnvironmentFile= (whose settings win, as in
// systemd). envLine is the line that set the repository, if any.
func (u *unit) environment() (env [][2]string, envLine int, reason string) {
	for _, d := range u.environ {
		words, err := splitQuoted(d.value)
		if err != nil {
			return nil, d.line, "Environment= has an unterminated quote"
		}
		for _, w := range words {
			k, v, ok := strings.Cut(w, "=")
			if !ok || !isEnvName(k) {
				continue
			}
			v, bad := expandSpecifiers(v, u.home)
			if bad != "" && resticVar(k) {
				return nil, d.line, fmt.Sprintf("%s uses the systemd specifier %s, which lockwatch does not resolve", k, bad)
			}
			env = append(env, [2]string{k, v})
			if isRepositoryVar(k) {
				envLine = d.line
			}
		}
	}
	for _, d := range u.environmentFiles {
		p, optional := strings.CutPrefix(d.value, "-")
		p, bad := expandSpecifiers(p, u.home)
		if bad != "" {
			return nil, d.line, fmt.Sprintf("EnvironmentFile uses the systemd specifier %s, which lockwatch does not resolve", bad)
		}
		data, err := readFile(p)
		if err != nil {
			if optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			u.unreadable = append(u.unreadable, fmt.Sprintf("EnvironmentFile %s could not be read: %s", p, errorReason(err)))
			u.unreadableLine = d.line
			continue
		}
		for _, kv := range parseEnvFile(data) {
			env = append(env, [2]string{kv.key, kv.value})
			if isRepositoryVar(kv.key) {
				envLine = d.line
			}
		}
	}
	return env, envLine, ""
}

// expandFlags resolves specifiers in the flag values of c; bad names one
// it cannot resolve.
func (u *unit) expandFlags(c *resticCommand) (bad string) {
	for _, v := range []*string{&c.repo, &c.repoFile, &c.passwordFile, &c.passwordCommand} {
		exp, b := expandSpecifiers(*v, u.home)
		if b != "" {
			return b
		}
		*v = exp
	}
	return ""
}

// resticVar reports whether key is one restic (or its backends) reads.
func resticVar(key string) bool { return strings.HasPrefix(key, "RESTIC_") || backendEnv(key) }

func isRepositoryVar(k string) bool { return k == "RESTIC_REPOSITORY" || k == "RESTIC_REPOSITORY_FILE" }

// errorReason shortens a file error for a note: the path is already named.
func errorReason(err error) string {
	var pe *fs.PathError
	var ce *config.Error
	switch {
	case errors.As(err, &pe):
		return pe.Err.Error()
	case errors.As(err, &ce):
		return ce.Msg
	}
	return err.Error()
}

// expandSpecifiers resolves systemd's %h (home) and %% in s. Any other
// specifier is returned in bad, and s must not be used.
func expandSpecifiers(s, home string) (out, bad string) {
	if !strings.Contains(s, "%") {
		return s, ""
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'h':
			if home == "" {
				return s, "%h"
			}
			b.WriteString(home)
		default:
			if bad == "" {
				bad = "%" + string(s[i])
			}
		}
	}
	return b.String(), bad
}

type envLine struct {
	line       int
	key, value string
}

// parseEnvFile reads KEY=VALUE lines, as systemd's EnvironmentFile= and
// shell-style env files have them: comments, blank lines, an optional
// "export", and quotes around the value.
func parseEnvFile(data []byte) []envLine {
	var out []envLine
	for i, text := range strings.Split(string(data), "\n") {
		text = strings.TrimSpace(text)
		if text == "" || text[0] == '#' || text[0] == ';' {
			continue
		}
		text = strings.TrimPrefix(text, "export ")
		k, v, ok := strings.Cut(text, "=")
		k = strings.TrimSpace(k)
		if !ok || !isEnvName(k) {
			continue
		}
		v = strings.TrimSpace(v)
		if words, err := splitQuoted(v); err == nil && len(words) == 1 && (strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`)) {
			v = words[0]
		}
		out = append(out, envLine{line: i + 1, key: k, value: v})
	}
	return out
}
