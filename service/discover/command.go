package discover

import (
	"os"
	"path"
	"strings"
)

// A restic command line, in a crontab or a unit's ExecStart: which
// repository and password source its flags and environment give it.

// resticCommand is one run of restic in a command line: the variables
// assigned in front of it (RESTIC_PASSWORD_FILE=… restic …) and what its
// flags say about the repository.
type resticCommand struct {
	assign          [][2]string
	repo            string
	repoFile        string
	passwordFile    string
	passwordCommand string
	// unsupported are flags that change how restic reaches the repository
	// and that lockwatch's config has no place for (-o key, --cacert …).
	unsupported []string
}

// resticCommands finds every restic command in words. A word counts as
// restic when its file name is restic (restic.exe); a shell script handed
// to sh -c is looked into as well.
func resticCommands(words []string) []resticCommand {
	var cmds []resticCommand
	start := 0 // first word of the current simple command
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case isOperator(w):
			start = i + 1
		case isRestic(w):
			c := resticCommand{}
			for _, a := range words[start:i] {
				if k, v, ok := strings.Cut(a, "="); ok && isEnvName(k) {
					c.assign = append(c.assign, [2]string{k, v})
				}
			}
			i = c.parseFlags(words, i+1)
			cmds = append(cmds, c)
			start = i + 1
		case strings.ContainsAny(w, " \t") && i > 0 && words[i-1] == "-c":
			if inner, err := splitWords(w); err == nil {
				cmds = append(cmds, resticCommands(inner)...)
			}
		}
	}
	return cmds
}

func isRestic(w string) bool {
	if strings.Contains(w, "=") { // RESTIC_REPOSITORY=/srv/restic is an assignment
		return false
	}
	base := path.Base(strings.ReplaceAll(w, `\`, "/"))
	return base == "restic" || strings.EqualFold(base, "restic.exe")
}

// resticValueFlags are the global flags that locate a repository or its
// password, or change how restic reaches it; all take a value. Their
// names are restic's own, so they cannot be taken for a command's flags.
var resticValueFlags = map[string]bool{
	"-r": true, "--repo": true, "--repository-file": true,
	"-p": true, "--password-file": true, "--password-command": true,
	"-o": true, "--option": true, "--cacert": true, "--tls-client-cert": true,
}

// parseFlags reads restic's flags from words[i:] up to the end of the
// command, and returns the index of the last word read.
func (c *resticCommand) parseFlags(words []string, i int) int {
	for ; i < len(words) && !isOperator(words[i]); i++ {
		w := words[i]
		if w == "--" { // the rest are arguments
			for i+1 < len(words) && !isOperator(words[i+1]) {
				i++
			}
			break
		}
		name, value, hasValue := strings.Cut(w, "=")
		if !strings.HasPrefix(w, "--") {
			name, value, hasValue = w, "", false
			// A short flag may carry its value: -r/srv/repo.
			if len(w) > 2 && w[0] == '-' && resticValueFlags[w[:2]] {
				name, value, hasValue = w[:2], w[2:], true
			}
		}
		if name == "--insecure-tls" {
			c.unsupported = append(c.unsupported, name)
		}
		if !resticValueFlags[name] {
			continue
		}
		if !hasValue {
			if i+1 >= len(words) || isOperator(words[i+1]) {
				continue
			}
			i++
			value = words[i]
		}
		switch name {
		case "-r", "--repo":
			c.repo = value
		case "--repository-file":
			c.repoFile = value
		case "-p", "--password-file":
			c.passwordFile = value
		case "--password-command":
			c.passwordCommand = value
		default:
			c.unsupported = append(c.unsupported, describeFlag(name, value))
		}
	}
	return i
}

// describeFlag names a flag for a note without its value, which may be a
// secret (-o s3.secret=…): for -o only the option's key is kept.
func describeFlag(name, value string) string {
	if name == "-o" || name == "--option" {
		key, _, _ := strings.Cut(value, "=")
		return name + " " + key
	}
	return name
}

// expandVars resolves $NAME and ${NAME} in s with lookup, as the shell (or
// systemd) would when it runs restic. $HOME stays as it is when lookup
// does not know it: cron and systemd user units set it to the user's home,
// and lockwatch's config expands it to the same. Other unknown names are
// returned in missing; the caller must not use s then.
func expandVars(s string, lookup func(string) (string, bool)) (out string, missing []string) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	out = os.Expand(s, func(name string) string {
		if v, ok := lookup(name); ok {
			return v
		}
		if name == "HOME" {
			return "${HOME}"
		}
		missing = append(missing, "$"+name)
		return ""
	})
	return out, missing
}

// commandFound turns a restic command into a Found: the environment it
// runs with (env, in order; later entries win), the assignments in front of
// it, then its flags, which beat both in restic. A non-empty reason says
// why it cannot be used.
func commandFound(f Found, env [][2]string, c resticCommand) (Found, Note) {
	vars := map[string]string{}
	for _, kv := range append(env[:len(env):len(env)], c.assign...) {
		vars[kv[0]] = kv[1]
		applyEnv(&f, kv[0], kv[1], false)
	}
	lookup := func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	for _, fl := range []struct {
		value string
		dst   *string
	}{
		{c.repo, &f.Repository}, {c.repoFile, &f.RepositoryFile},
		{c.passwordFile, &f.PasswordFile}, {c.passwordCommand, &f.PasswordCommand},
	} {
		if fl.value == "" {
			continue
		}
		v, missing := expandVars(fl.value, lookup)
		if len(missing) > 0 {
			return f, newNote(SkipFlagVariables, "restic's flags refer to "+strings.Join(missing, ", ")+", which is set somewhere lockwatch cannot see", "Vars", strings.Join(missing, ", "))
		}
		*fl.dst = v
	}
	if c.repo != "" {
		f.RepositoryFile = "" // -r wins over RESTIC_REPOSITORY_FILE in the environment
	}
	if c.passwordFile != "" || c.passwordCommand != "" {
		f.Password = ""
	}
	if f.Repository == "" && f.RepositoryFile == "" {
		return f, newNote(SkipNoRepository, "runs restic without a repository (-r) and sets no RESTIC_REPOSITORY")
	}
	if len(c.unsupported) > 0 {
		f.Notes = append(f.Notes, unsupportedNote(c.unsupported))
	}
	settle(&f)
	return f, Note{}
}

// unsupportedNote tells the user which flags were left behind.
func unsupportedNote(flags []string) Note {
	return newNote(NoteFlags, "restic flags not carried over, as lockwatch's config has no place for them (the repository may need them to be reached): "+
		strings.Join(flags, ", "), "Flags", strings.Join(flags, ", "))
}
