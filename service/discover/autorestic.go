package discover

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
)

// ReadAutorestic reads an .autorestic.yml: backends.NAME with type, path,
// key (the password, plain text), env, and for REST rest.user/password;
// then the .autorestic.env beside it, whose AUTORESTIC_<NAME>_X=V beat the
// file's key and env, as in autorestic. autorestic's own environment, which
// beats both, is the environment of whoever runs it: not read here.
func ReadAutorestic(path string) ([]Found, []Skipped, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	root, err := parseYAML(path, data)
	if err != nil {
		return nil, nil, err
	}
	backends := root.get("backends")
	if backends == nil {
		return nil, nil, nil
	}
	if backends.kind != mapNode {
		return nil, nil, &config.Error{File: path, Line: backends.line, Msg: "backends must be a map, not " + kindName(backends)}
	}
	envFile, envNote := readAutoresticEnv(path)
	var found []Found
	var skipped []Skipped
	for _, name := range backends.keys {
		b := backends.fields[name]
		f, reason := autoresticBackend(path, name, b, autoresticEnv(envFile, name, backends.keys))
		if reason.Text != "" {
			skipped = append(skipped, skip(SourceAutorestic, path, b.line, reason))
			continue
		}
		if envNote.ID != "" {
			f.Notes = append(f.Notes, envNote)
		}
		found = append(found, f)
	}
	return found, skipped, nil
}

// readAutoresticEnv reads the .autorestic.env that autorestic loads from
// beside its configuration. None is the usual case; one that cannot be
// read gives a note, as it may hold the passwords.
func readAutoresticEnv(config string) ([]envLine, Note) {
	p := filepath.Join(filepath.Dir(config), ".autorestic.env")
	data, err := readFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, Note{}
	case err != nil:
		return nil, newNote(NoteEnvFileUnreadable, fmt.Sprintf("%s could not be read (%s): autorestic may take the password or credentials from it", p, errorReason(err)), "Path", p, "Error", errorReason(err))
	}
	return parseEnvFile(data), Note{}
}

// autoresticPrefix is how autorestic names a backend's variables:
// AUTORESTIC_MY_NAS_ for my-nas.
func autoresticPrefix(name string) string {
	return "AUTORESTIC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
}

// autoresticEnv picks backend name's variables out of the env file,
// AUTORESTIC_<NAME>_X=V as X=V. A variable that also fits a longer name
// (AUTORESTIC_USB_DISK_… for both usb and usb-disk) is left to that
// backend: autorestic would hand usb a stray DISK_RESTIC_PASSWORD, which
// must not end up in lockwatch's config as usb's.
func autoresticEnv(env []envLine, name string, names []string) [][2]string {
	prefix := autoresticPrefix(name)
	var out [][2]string
next:
	for _, kv := range env {
		k, ok := strings.CutPrefix(kv.key, prefix)
		if !ok || k == "" {
			continue
		}
		for _, other := range names {
			if p := autoresticPrefix(other); len(p) > len(prefix) && strings.HasPrefix(kv.key, p) {
				continue next
			}
		}
		out = append(out, [2]string{k, kv.value})
	}
	return out
}

// autoresticBackend reads backend name; envFile is its settings from
// .autorestic.env (X=V, in order).
func autoresticBackend(file, name string, b *node, envFile [][2]string) (Found, Note) {
	f := Found{Source: SourceAutorestic, File: file, Line: b.line, Name: SanitizeName(name, "autorestic")}
	label := fmt.Sprintf("backend %q", name)
	quoted := strconv.Quote(name)
	if b.kind != mapNode {
		return f, newNote(SkipAutoresticNotMap, label+" is not a map", "Backend", quoted)
	}
	typ, _ := b.str("type")
	p, _ := b.str("path")
	if strings.TrimSpace(p) == "" {
		return f, newNote(SkipAutoresticNoPath, label+" has no path", "Backend", quoted)
	}
	// How autorestic turns type and path into restic's repository.
	switch typ {
	case "local":
		f.Repository = p
		if !filepath.IsAbs(p) && !strings.HasPrefix(p, "~") {
			f.Repository = filepath.Join(filepath.Dir(file), p) // autorestic: relative to the config file
		}
	case "rest":
		loc, ok := autoresticREST(&f, p, b.get("rest"))
		if !ok {
			return f, newNote(SkipAutoresticNotURL, label+": path is not a URL", "Backend", quoted)
		}
		f.Repository = loc
	case "sftp", "s3", "b2", "azure", "gs", "rclone":
		f.Repository = typ + ":" + p
	case "":
		return f, newNote(SkipAutoresticNoType, label+" has no type", "Backend", quoted)
	default:
		return f, newNote(SkipAutoresticType, fmt.Sprintf("%s has type %q, which is not a backend lockwatch knows", label, typ), "Backend", quoted, "Type", strconv.Quote(typ))
	}

	if key, ok := b.str("key"); ok && key != "" {
		f.Password = Secret(key)
	}
	if env := b.get("env"); env != nil && env.kind == mapNode {
		for _, k := range env.keys {
			// autorestic upper-cases env names (YAML keys come lower-cased from its parser).
			applyEnv(&f, strings.ToUpper(k), env.fields[k].text, true)
		}
	}
	prefix := autoresticPrefix(name)
	keyInFile := f.Password != ""
	passwordFromEnv := false
	for _, kv := range envFile {
		applyEnv(&f, kv[0], kv[1], true)
		passwordFromEnv = passwordFromEnv || (kv[0] == "RESTIC_PASSWORD" && kv[1] != "")
	}
	if passwordFromEnv {
		note, preferred := "the password comes from .autorestic.env ("+prefix+"RESTIC_PASSWORD)", ""
		if keyInFile {
			note, preferred = note+", which autorestic prefers to the one in the file", "yes"
		}
		f.note(NoteEnvFilePassword, note, "Var", prefix+"RESTIC_PASSWORD", "Preferred", preferred)
	}
	if f.Password == "" && f.PasswordFile == "" && f.PasswordCommand == "" {
		f.note(NoteNoKey, fmt.Sprintf("no key in the file: autorestic takes it from %sRESTIC_PASSWORD or .autorestic.env", prefix), "Var", prefix+"RESTIC_PASSWORD")
	}
	if b.get("options") != nil {
		f.note(NoteOptions, "the backend's options (extra restic flags) are not carried over: lockwatch's config has no place for them")
	}
	settle(&f)
	return f, Note{}
}

// autoresticREST builds a rest: location. autorestic puts rest.user and
// rest.password into the URL; the password goes to RESTIC_REST_PASSWORD
// instead, so that no password ends up in a location lockwatch displays
// and stores.
func autoresticREST(f *Found, p string, rest *node) (string, bool) {
	user, _ := rest.str("user")
	pass, _ := rest.str("password")
	if user == "" && pass == "" {
		return "rest:" + p, true
	}
	u, err := url.Parse(p)
	if err != nil || u.Host == "" {
		return "", false
	}
	if pass == "" {
		u.User = url.User(user)
		return "rest:" + u.String(), true
	}
	applyEnv(f, "RESTIC_REST_USERNAME", user, true)
	applyEnv(f, "RESTIC_REST_PASSWORD", pass, true)
	f.note(NoteRESTCredentials, "the REST user and password are passed as RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD (restic 0.16.1 or later), not in the URL")
	return "rest:" + p, true
}
