package discover

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
)

// ReadSystemdUnit reads a service unit's [Service] section: Environment=
// and EnvironmentFile= (RESTIC_REPOSITORY and friends), and ExecStart=
// lines that run restic with -r, --repository-file, --password-file or
// --password-command. The unit's drop-ins (<unit>.d/*.conf, such as the
// override.conf of systemctl edit) are read after it, as systemd does.
// home is what the specifier %h stands for: the user's home for a user
// unit, root's for a system unit. Other specifiers (%i of a template unit
// …) make what uses them skipped.
//
// User= does not change %h: systemd resolves %h to the home of the service
// manager, "not influenced by the User= setting" (systemd.unit(5)), so a
// system unit's %h is /root whoever it runs as. User= only earns a note.
func ReadSystemdUnit(path, home string) ([]Found, []Skipped, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	u := &unit{home: home, name: strings.TrimSuffix(filepath.Base(path), ".service")}
	u.read(path, data)
	mentions := mentionsRestic(data)
	for _, p := range dropIns(path) {
		d, err := readFile(p)
		if err != nil {
			u.unreadable = append(u.unreadable, newNote(NoteUnreadable, fmt.Sprintf("drop-in %s could not be read: %s", p, errorReason(err)), "What", "drop-in", "Path", p, "Error", errorReason(err)))
			u.unreadableAt = place{file: p}
			continue
		}
		mentions = mentions || mentionsRestic(d)
		u.read(p, d)
	}
	if !mentions {
		return nil, nil, nil // not about restic: not worth a word
	}

	var found []Found
	var skipped []Skipped
	add := func(f Found, at place, reason Note) {
		if reason.Text != "" {
			if len(u.unreadable) > 0 {
				var texts []string
				for _, n := range u.unreadable {
					texts = append(texts, n.Text)
				}
				// The files' own errors, as they came.
				reason = reason.also("Unreadable", strings.Join(texts, "; "), " ("+strings.Join(texts, "; ")+")")
			}
			skipped = append(skipped, skip(SourceSystemd, at.file, at.line, reason))
			return
		}
		f.Notes = append(f.Notes, u.unreadable...)
		if u.user != "" && u.user != "root" && u.user != "0" {
			// lockwatch runs as whoever imports, who may not be that user.
			f.note(NoteRunsAs, "the unit runs as user "+u.user+" (User=): the repository and its password source may be readable by that user only", "User", u.user)
		}
		f.Name = SanitizeName(u.name, "systemd")
		found = append(found, f)
	}
	env, envAt, reason := u.environment()
	ran := false
	for _, x := range u.execStart {
		words, err := splitQuoted(x.value)
		if err != nil {
			add(Found{}, x.place, newNote(SkipExecQuote, "ExecStart has an unterminated quote"))
			continue
		}
		for _, c := range resticCommands(words) {
			ran = true
			if reason.Text != "" {
				add(Found{}, envAt, reason)
				continue
			}
			if bad := u.expandFlags(&c); bad != "" {
				add(Found{}, x.place, newNote(SkipFlagSpecifier, "restic's flags use the systemd specifier "+bad+", which lockwatch does not resolve", "Specifier", bad))
				continue
			}
			// The line that runs restic is named, unless restic takes the
			// repository from a setting in another file (most often the
			// drop-in of systemctl edit): that file is where it was set,
			// and where the user would change it.
			at := x.place
			if envAt.file != "" && envAt.file != x.file && repositoryFromEnv(c) {
				at = envAt
			}
			f, why := commandFound(Found{Source: SourceSystemd, File: at.file, Line: at.line}, env, c)
			add(f, at, why)
		}
	}
	if !ran {
		// The unit runs a script, which gets restic's settings from the unit.
		f := Found{Source: SourceSystemd, File: envAt.file, Line: envAt.line}
		for _, kv := range env {
			applyEnv(&f, kv[0], kv[1], false)
		}
		switch {
		case reason.Text != "":
			add(f, envAt, reason)
		case f.Repository != "" || f.RepositoryFile != "":
			settle(&f)
			add(f, envAt, Note{})
		case len(u.unreadable) > 0:
			add(f, u.unreadableAt, newNote(SkipSettingsUnreadable, "mentions restic, but its settings may be in a file that could not be read"))
		}
	}
	// sh -c 'restic -r X unlock && restic -r X backup' is one repository.
	return Dedup(found, home), skipped, nil
}

func mentionsRestic(data []byte) bool { return bytes.Contains(bytes.ToLower(data), []byte("restic")) }

// dropIns lists the unit's drop-ins, <unit>.d/*.conf, in the order systemd
// applies them: by file name (os.ReadDir sorts). A drop-in linked to
// /dev/null is systemd's way of masking one, and says nothing.
func dropIns(unitPath string) []string {
	dir := unitPath + ".d"
	entries, _ := os.ReadDir(dir) // none is the usual case
	var paths []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !strings.HasSuffix(e.Name(), ".conf") {
			continue
		}
		if t, err := os.Readlink(p); err == nil && t == "/dev/null" {
			continue
		}
		paths = append(paths, p)
	}
	return paths
}

// repositoryFromEnv reports whether c takes its repository from the
// environment, its command line giving none.
func repositoryFromEnv(c resticCommand) bool {
	if c.repo != "" || c.repoFile != "" {
		return false
	}
	for _, kv := range c.assign {
		if isRepositoryVar(kv[0]) {
			return false
		}
	}
	return true
}

// place is where a directive is: the unit or one of its drop-ins, and the line.
type place struct {
	file string
	line int
}

type unitDirective struct {
	place
	value string
}

type unit struct {
	home, name       string
	environ          []unitDirective // Environment=, in order
	environmentFiles []unitDirective
	execStart        []unitDirective
	user             string // User=; "" is root for a system unit
	// unreadable says which drop-ins and EnvironmentFiles could not be
	// read, and why; unreadableAt is the last one.
	unreadable   []Note
	unreadableAt place
}

// read collects the directives of the [Service] section of file, the unit
// or one of its drop-ins, after those read before. A line ending in a
// backslash continues on the next; an empty assignment resets the list,
// as systemd does.
func (u *unit) read(file string, data []byte) {
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
		d := unitDirective{place: place{file, lineNo}, value: strings.TrimSpace(value)}
		var list *[]unitDirective
		switch strings.TrimSpace(key) {
		case "User":
			u.user = d.value // the last one counts; an empty one resets
			continue
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
// systemd). at is the directive that set the repository, if any, or the
// one that gave reason.
func (u *unit) environment() (env [][2]string, at place, reason Note) {
	for _, d := range u.environ {
		words, err := splitQuoted(d.value)
		if err != nil {
			return nil, d.place, newNote(SkipEnvQuote, "Environment= has an unterminated quote")
		}
		for _, w := range words {
			k, v, ok := strings.Cut(w, "=")
			if !ok || !isEnvName(k) {
				continue
			}
			v, bad := expandSpecifiers(v, u.home)
			if bad != "" && resticVar(k) {
				return nil, d.place, newNote(SkipEnvSpecifier, fmt.Sprintf("%s uses the systemd specifier %s, which lockwatch does not resolve", k, bad), "Name", k, "Specifier", bad)
			}
			env = append(env, [2]string{k, v})
			if isRepositoryVar(k) {
				at = d.place
			}
		}
	}
	for _, d := range u.environmentFiles {
		p, optional := strings.CutPrefix(d.value, "-")
		p, bad := expandSpecifiers(p, u.home)
		if bad != "" {
			return nil, d.place, newNote(SkipEnvFileSpecifier, fmt.Sprintf("EnvironmentFile uses the systemd specifier %s, which lockwatch does not resolve", bad), "Specifier", bad)
		}
		data, err := readFile(p)
		if err != nil {
			if optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			u.unreadable = append(u.unreadable, newNote(NoteUnreadable, fmt.Sprintf("EnvironmentFile %s could not be read: %s", p, errorReason(err)), "What", "EnvironmentFile", "Path", p, "Error", errorReason(err)))
			u.unreadableAt = d.place
			continue
		}
		for _, kv := range parseEnvFile(data) {
			env = append(env, [2]string{kv.key, kv.value})
			if isRepositoryVar(kv.key) {
				at = d.place
			}
		}
	}
	return env, at, Note{}
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
