package discover

import (
	"regexp"
	"slices"
	"strings"
)

// ParseCrontab reads a crontab's text (crontab -l, /etc/crontab,
// /etc/cron.d/*): VAR=value lines, which apply to the commands below them,
// and commands that run restic with -r/--repo and friends. file names the
// crontab in what is returned.
func ParseCrontab(file string, text []byte) ([]Found, []Skipped, error) {
	if len(text) > MaxFileSize {
		return nil, nil, tooBig(file, int64(len(text)))
	}
	var found []Found
	var skipped []Skipped
	var env [][2]string // the crontab's assignments so far, in order
	for i, line := range strings.Split(string(text), "\n") {
		lineNo := i + 1
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if m := cronAssignRE.FindStringSubmatch(line); m != nil {
			env = append(env, [2]string{m[1], unquoteEnvValue(strings.TrimSpace(m[2]))})
			continue
		}
		words, err := splitWords(cronCommand(line))
		if err != nil {
			if strings.Contains(line, "restic") {
				skipped = append(skipped, skip(SourceCron, file, lineNo, newNote(SkipCronQuote, "a restic command with an unterminated quote")))
			}
			continue
		}
		for _, c := range resticCommands(words) {
			f, why := commandFound(Found{Source: SourceCron, File: file, Line: lineNo}, env, c)
			if why.Text != "" {
				if slices.Contains(words, ".") || slices.Contains(words, "source") {
					why = why.also("Sourced", "yes", " (the command reads a file with . or source, which may set it)")
				}
				skipped = append(skipped, skip(SourceCron, file, lineNo, why))
				continue
			}
			f.Name = nameFromLocation(f.Repository+f.RepositoryFile, "cron")
			found = append(found, f)
		}
	}
	return found, skipped, nil
}

// cronAssignRE matches an environment setting: NAME = value. A command
// line starts with a schedule (digits, *, @daily …), never with a name and =.
var cronAssignRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$`)

// cronCommand cuts a crontab line at its first unescaped %: cron hands
// what follows to the command as standard input.
func cronCommand(line string) string {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '%':
			return line[:i]
		}
	}
	return line
}
