package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
)

var (
	tableHeader    = regexp.MustCompile(`^\s*\[`)
	repoHeader     = regexp.MustCompile(`^\s*\[\[\s*repo\s*\]\]\s*(#.*)?$`)
	nameLine       = regexp.MustCompile(`^(\s*)name\s*=`)
	autoUnlockLine = regexp.MustCompile(`^(\s*auto_unlock\s*=\s*)("[^"]*"|'[^']*')(.*)$`)
)

// SetAutoUnlock changes one repository's auto_unlock in the config file
// and returns the new config. It edits just that line (or adds it under the
// repo's name), so the user's comments and layout stay; it then checks that
// the edited file means exactly the old config with the one change. Should
// the text be laid out in a way the edit cannot handle (inline tables, say),
// it writes the whole config anew instead: comments go, settings stay.
func SetAutoUnlock(path, repo string, level AutoUnlock) (*Config, error) {
	if level != AutoUnlockOff && level != AutoUnlockStale && level != AutoUnlockUnrefreshed {
		return nil, fmt.Errorf("auto_unlock must be \"off\", \"stale\" or \"unrefreshed\", not %q", level)
	}
	data, old, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	index := -1
	for i := range old.Repos {
		if old.Repos[i].Name == repo {
			index = i
		}
	}
	if index < 0 {
		return nil, fmt.Errorf("%s: no repository named %q", path, repo)
	}
	want := *old
	want.Repos = append([]Repo(nil), old.Repos...)
	want.Repos[index].AutoUnlock = level

	edited, ok := editAutoUnlock(data, index, level)
	return saveEdited(path, edited, ok, &want)
}

// readConfig reads and parses the config file at path, text and all.
func readConfig(path string) (string, *Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	cfg, err := Parse(path, data)
	return string(data), cfg, err
}

// saveEdited writes the edited text when there is one (ok) and it means
// exactly want; otherwise it writes want anew, losing comments but no setting.
func saveEdited(path, edited string, ok bool, want *Config) (*Config, error) {
	if ok {
		if got, err := Parse(path, []byte(edited)); err == nil && reflect.DeepEqual(*got, *want) {
			return got, atomicfile.Replace(path, []byte(edited), 0o600)
		}
	}
	return want, Save(want)
}

// editAutoUnlock sets auto_unlock in the index'th [[repo]] table of text.
func editAutoUnlock(text string, index int, level AutoUnlock) (string, bool) {
	lines := strings.SplitAfter(text, "\n")
	start, end, n := -1, len(lines), -1
	for i, line := range lines {
		switch {
		case repoHeader.MatchString(strings.TrimRight(line, "\r\n")):
			n++
			if n == index {
				start = i
			} else if n == index+1 {
				end = i
			}
		case start >= 0 && end == len(lines) && tableHeader.MatchString(line):
			end = i
		}
		if end != len(lines) {
			break
		}
	}
	if start < 0 {
		return "", false
	}
	value := fmt.Sprintf("%q", string(level))
	for i := start + 1; i < end; i++ {
		if m := autoUnlockLine.FindStringSubmatch(strings.TrimRight(lines[i], "\r\n")); m != nil {
			lines[i] = m[1] + value + m[3] + lineEnding(lines[i])
			return strings.Join(lines, ""), true
		}
	}
	for i := start + 1; i < end; i++ {
		if m := nameLine.FindStringSubmatch(lines[i]); m != nil {
			added := m[1] + "auto_unlock = " + value + lineEnding(lines[i])
			if lineEnding(lines[i]) == "" {
				added = "\n" + m[1] + "auto_unlock = " + value
			}
			lines = append(lines[:i+1], append([]string{added}, lines[i+1:]...)...)
			return strings.Join(lines, ""), true
		}
	}
	return "", false
}

func lineEnding(line string) string {
	switch {
	case strings.HasSuffix(line, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(line, "\n"):
		return "\n"
	}
	return ""
}

// SameFile reports whether two paths name the same existing file.
func SameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
