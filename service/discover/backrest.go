package discover

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
)

// ReadBackrest reads Backrest's config.json: its repos[] hold id, uri,
// password (plain text), env ("KEY=VALUE" strings), flags (extra restic
// flags) and autoUnlock.
func ReadBackrest(path string) ([]Found, []Skipped, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	root, err := parseJSON(path, data)
	if err != nil {
		return nil, nil, err
	}
	repos := root.get("repos")
	if repos == nil {
		return nil, nil, nil // a fresh Backrest with no repository yet
	}
	if repos.kind != listNode {
		return nil, nil, &config.Error{File: path, Line: repos.line, Msg: "repos must be a list, not " + kindName(repos)}
	}
	var found []Found
	var skipped []Skipped
	for i, r := range repos.items {
		f, reason := backrestRepo(path, i, r)
		if reason.Text != "" {
			skipped = append(skipped, skip(SourceBackrest, path, f.Line, reason))
			continue
		}
		found = append(found, f)
	}
	return found, skipped, nil
}

// backrestRepo reads repos[i]; a non-empty reason says why it is skipped.
func backrestRepo(path string, i int, r *node) (Found, Note) {
	f := Found{Source: SourceBackrest, File: path, Line: r.line}
	label, index, repo := fmt.Sprintf("repos[%d]", i), strconv.Itoa(i), ""
	if r.kind != mapNode {
		return f, newNote(SkipBackrestNotObject, label+" is not an object", "Index", index)
	}
	id, _ := r.str("id")
	if n := r.get("id"); n != nil {
		f.Line = n.line
		label, repo = fmt.Sprintf("repo %q", id), strconv.Quote(id)
	}
	f.Name = SanitizeName(id, fmt.Sprintf("backrest-%d", i+1))

	uri, _ := r.str("uri")
	switch {
	case strings.TrimSpace(uri) == "":
		return f, newNote(SkipBackrestNoURI, label+" has no uri", "Index", index, "Repo", repo)
	case strings.Contains(uri, "${"):
		// Backrest fills these in from its own environment, which may not be ours.
		return f, newNote(SkipBackrestURIVariable, label+"'s uri refers to an environment variable (${…}) that Backrest fills in from its own environment", "Index", index, "Repo", repo)
	}
	f.Repository = uri
	if pw, ok := r.str("password"); ok && pw != "" {
		f.Password = Secret(pw)
	}

	if env := r.get("env"); env != nil {
		for j, e := range env.items {
			k, v, ok := strings.Cut(e.text, "=")
			switch {
			case e.kind != scalarNode || !ok || !isEnvName(k):
				f.note(NoteEnvEntry, fmt.Sprintf("env entry #%d is not KEY=VALUE: left out", j+1), "N", strconv.Itoa(j+1))
			case strings.Contains(v, "${"):
				f.note(NoteEnvRef, fmt.Sprintf("env %s refers to a variable in Backrest's own environment: left out, set it yourself", k), "Name", k)
			default:
				applyEnv(&f, k, unquoteEnvValue(v), true)
			}
		}
	}

	var flags []string
	if fl := r.get("flags"); fl != nil {
		for _, e := range fl.items {
			flags = append(flags, flagNames(e.text)...)
		}
	}
	if len(flags) > 0 {
		f.Notes = append(f.Notes, unsupportedNote(flags))
	}

	if au, _ := r.str("autoUnlock"); au == "true" {
		f.AutoUnlock = config.AutoUnlockStale
		f.note(NoteBackrestUnlock, `Backrest's autoUnlock becomes auto_unlock = "stale": lockwatch removes only locks whose process is gone, where Backrest removed every lock before its own runs`)
	}
	settle(&f)
	return f, Note{}
}

// unquoteEnvValue removes one pair of quotes around a value, as Backrest
// does: people write KEY="VALUE" out of habit from .env files.
func unquoteEnvValue(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// flagNames names the flags in one of Backrest's flag strings ("-o
// sftp.command=ssh …"), without values: -o keeps its option's key.
func flagNames(s string) []string {
	words, err := splitWords(s)
	if err != nil {
		return []string{"(a flag with an unterminated quote)"}
	}
	var names []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") {
			continue
		}
		name, value, hasValue := strings.Cut(w, "=")
		if (name == "-o" || name == "--option") && !hasValue && i+1 < len(words) {
			i++
			value = words[i]
		}
		names = append(names, describeFlag(name, value))
	}
	return names
}
