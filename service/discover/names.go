package discover

import (
	"fmt"
	"strings"
	"unicode"
)

// The names lockwatch gives what it finds: the tool's own where it has
// one, made acceptable to config, and unique.

// SanitizeName turns a tool's name for a repository into one config
// accepts: not blank, no '/' or '\', no control characters, not "." or
// "..". It returns fallback when nothing usable is left.
func SanitizeName(s, fallback string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\':
			return '-'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "" || s == "." || s == ".." {
		return fallback
	}
	return s
}

// nameFromLocation names a repository that has no name of its own (one in
// a crontab or the environment) after the last part of its location:
// /srv/restic/laptop → laptop, s3:host/bucket/laptop → laptop.
func nameFromLocation(loc, fallback string) string {
	loc = strings.TrimRight(loc, `/\:`)
	if i := strings.LastIndexAny(loc, `/\:`); i >= 0 {
		loc = loc[i+1:]
	}
	return SanitizeName(loc, fallback)
}

// uniqueNames gives entries that would share a name a suffix: -2, -3 …
// (config refuses two repos of one name).
func uniqueNames(found []Found) {
	used := map[string]bool{}
	for i := range found {
		name := found[i].Name
		for n := 2; used[name]; n++ {
			name = fmt.Sprintf("%s-%d", found[i].Name, n)
		}
		used[name] = true
		found[i].Name = name
	}
}
