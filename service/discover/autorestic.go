package discover

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
)

// ReadAutorestic reads an .autorestic.yml: backends.NAME with type, path,
// key (the password, plain text), env, and for REST rest.user/password.
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
	var found []Found
	var skipped []Skipped
	for _, name := range backends.keys {
		b := backends.fields[name]
		f, reason := autoresticBackend(path, name, b)
		if reason != "" {
			skipped = append(skipped, Skipped{Source: SourceAutorestic, File: path, Line: b.line, Reason: reason})
			continue
		}
		found = append(found, f)
	}
	return found, skipped, nil
}

func autoresticBackend(file, name string, b *node) (Found, string) {
	f := Found{Source: SourceAutorestic, File: file, Line: b.line, Name: SanitizeName(name, "autorestic")}
	label := fmt.Sprintf("backend %q", name)
	if b.kind != mapNode {
		return f, label + " is not a map"
	}
	typ, _ := b.str("type")
	p, _ := b.str("path")
	if strings.TrimSpace(p) == "" {
		return f, label + " has no path"
	}
	// How autorestic turns type and path into restic's repository.
	switch typ {
	case "local":
		f.Repository = p
		if !filepath.IsAbs(p) && !strings.HasPrefix(p, "~") {
			f.Repository = filepath.Join(filepath.Dir(file), p) // autorestic: relative to the config file
		}
	case "rest":
		loc, reason := autoresticREST(&f, p, b.get("rest"))
		if reason != "" {
			return f, label + ": " + reason
		}
		f.Repository = loc
	case "sftp", "s3", "b2", "azure", "gs", "rclone":
		f.Repository = typ + ":" + p
	case "":
		return f, label + " has no type"
	default:
		return f, fmt.Sprintf("%s has type %q, which is not a backend lockwatch knows", label, typ)
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
	if f.Password == "" && f.PasswordFile == "" && f.PasswordCommand == "" {
		f.Notes = append(f.Notes, fmt.Sprintf("no key in the file: autorestic takes it from AUTORESTIC_%s_RESTIC_PASSWORD or .autorestic.env", strings.ToUpper(name)))
	}
	if b.get("options") != nil {
		f.Notes = append(f.Notes, "the backend's options (extra restic flags) are not carried over: lockwatch's config has no place for them")
	}
	settle(&f)
	return f, ""
}

// autoresticREST builds a rest: location. autorestic puts rest.user and
// rest.password into the URL; the password goes to RESTIC_REST_PASSWORD
// instead, so that no password ends up in a location lockwatch displays
// and stores.
func autoresticREST(f *Found, p string, rest *node) (string, string) {
	user, _ := rest.str("user")
	pass, _ := rest.str("password")
	if user == "" && pass == "" {
		return "rest:" + p, ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Host == "" {
		return "", "path is not a URL"
	}
	if pass == "" {
		u.User = url.User(user)
		return "rest:" + u.String(), ""
	}
	applyEnv(f, "RESTIC_REST_USERNAME", user, true)
	applyEnv(f, "RESTIC_REST_PASSWORD", pass, true)
	f.Notes = append(f.Notes, "the REST user and password are passed as RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD (restic 0.16.1 or later), not in the URL")
	return "rest:" + p, ""
}
