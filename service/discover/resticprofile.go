package discover

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
)

// ReadResticprofile reads a resticprofile configuration (profiles.conf,
// .toml, .yaml, .yml or .json). Version "1" has the profiles at the top
// level beside global and groups; version "2" nests them under profiles.
// A profile's repository, repository-file, password-file,
// password-command, env and status-file are read after inherit is
// resolved. Of resticprofile's templates only {{ .Profile.Name }} is
// expanded: a profile that needs any other, or mixins, is skipped, and so
// is a file with includes (they may override anything) or in HCL.
func ReadResticprofile(path string) ([]Found, []Skipped, error) {
	skipFile := func(line int, reason Note) ([]Found, []Skipped, error) {
		return nil, []Skipped{skip(SourceResticprofile, path, line, reason)}, nil
	}
	var parse func(string, []byte) (*node, error)
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".conf", ".toml":
		parse = parseTOML
	case ".yaml", ".yml":
		parse = parseYAML
	case ".json":
		parse = parseJSON
	case ".hcl":
		if _, err := os.Stat(path); err != nil {
			return nil, nil, err
		}
		return skipFile(0, newNote(SkipHCL, "HCL configurations are not read; a TOML, YAML or JSON one would be"))
	default:
		return nil, nil, &config.Error{File: path, Msg: fmt.Sprintf("unknown extension %q for a resticprofile configuration", ext)}
	}
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	root, err := parse(path, data)
	if err != nil {
		// resticprofile runs templates over the text before parsing it: a
		// file may only be valid once they are evaluated.
		if ce, ok := err.(*config.Error); ok && bytes.Contains(data, []byte("{{")) {
			return skipFile(ce.Line, newNote(SkipTemplatesFile, "uses templates ({{ … }}) that lockwatch does not evaluate, and cannot be read without them"))
		}
		return nil, nil, err
	}
	if inc := root.get("includes"); inc != nil {
		return skipFile(inc.line, newNote(SkipIncludes, "includes other files, which may change any profile: not read"))
	}

	rp := &resticprofile{file: path, profiles: map[string]*node{}}
	switch v, _ := root.str("version"); v {
	case "2":
		if p := root.get("profiles"); p != nil && p.kind == mapNode {
			rp.order, rp.profiles = p.keys, p.fields
		}
	case "", "1":
		for _, k := range root.keys {
			if n := root.fields[k]; n.kind == mapNode && !resticprofileV1Sections[k] {
				rp.order = append(rp.order, k)
				rp.profiles[k] = n
			}
		}
	default:
		return nil, nil, &config.Error{File: path, Line: root.get("version").line, Msg: fmt.Sprintf("unknown configuration version %q", v)}
	}

	var found []Found
	var skipped []Skipped
	for _, name := range rp.order {
		f, reason := rp.profile(name)
		switch {
		case reason.Text != "":
			skipped = append(skipped, skip(SourceResticprofile, path, rp.profiles[name].line, reason))
		case f.Repository != "" || f.RepositoryFile != "":
			found = append(found, f)
		}
		// A profile without a repository is a base for others, or a group.
	}
	return found, skipped, nil
}

// resticprofileV1Sections are the top-level keys of a version 1 file that
// are not profiles.
var resticprofileV1Sections = map[string]bool{"version": true, "global": true, "groups": true, "includes": true}

type resticprofile struct {
	file     string
	order    []string
	profiles map[string]*node
}

// resolved is a profile with inherit applied: its own keys over its
// parent's, and env merged key by key (resticprofile merges structure and
// replaces values).
type resolved struct {
	vals    map[string]*node
	env     map[string]*node
	envKeys []string
	mixins  bool
}

// resolve applies inherit, following the chain; chain is the path so far,
// to catch loops.
func (rp *resticprofile) resolve(name string, chain []string) (*resolved, Note) {
	for _, c := range chain {
		if c == name {
			loop := strings.Join(append(chain, name), " → ")
			return nil, newNote(SkipInheritLoop, "inherit loop: "+loop, "Chain", loop)
		}
	}
	p := rp.profiles[name]
	if p == nil {
		return nil, newNote(SkipInheritMissing, fmt.Sprintf("inherits from profile %q, which is not in the file", name), "Profile", strconv.Quote(name))
	}
	r := &resolved{vals: map[string]*node{}, env: map[string]*node{}}
	if parent, ok := p.str("inherit"); ok && parent != "" {
		pr, reason := rp.resolve(parent, append(chain, name))
		if reason.Text != "" {
			return nil, reason
		}
		*r = *pr
		r.vals = copyMap(pr.vals)
		r.env = copyMap(pr.env)
		r.envKeys = append([]string(nil), pr.envKeys...)
	}
	for _, k := range p.keys {
		v := p.fields[k]
		switch k {
		case "env":
			for _, ek := range v.keys {
				// resticprofile's parser lower-cases keys; it upper-cases env names.
				up := strings.ToUpper(ek)
				if _, has := r.env[up]; !has {
					r.envKeys = append(r.envKeys, up)
				}
				r.env[up] = v.fields[ek]
			}
		case "use":
			r.mixins = true
		default:
			r.vals[k] = v
		}
	}
	return r, Note{}
}

func copyMap(m map[string]*node) map[string]*node {
	out := make(map[string]*node, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

var profileNameRE = regexp.MustCompile(`\{\{-?\s*\.Profile\.Name\s*-?\}\}`)
var templateRE = regexp.MustCompile(`\{\{.*?\}\}`)

// profile turns one profile into a Found; a non-empty reason says why it is skipped.
func (rp *resticprofile) profile(name string) (Found, Note) {
	f := Found{Source: SourceResticprofile, File: rp.file, Line: rp.profiles[name].line, Name: SanitizeName(name, "resticprofile")}
	r, reason := rp.resolve(name, nil)
	if reason.Text != "" {
		return f, reason
	}
	if r.mixins {
		return f, newNote(SkipMixins, "uses mixins (use), which lockwatch does not apply")
	}
	// value returns a key's text with {{ .Profile.Name }} expanded (after
	// inheritance: a parent's template names the child), or a reason.
	value := func(what string, v *node) (string, Note) {
		if v == nil {
			return "", Note{}
		}
		s := profileNameRE.ReplaceAllLiteralString(v.text, name)
		if t := templateRE.FindString(s); t != "" {
			if strings.HasPrefix(what, "env ") {
				t = "{{ … }}" // an env value may be a secret: not even part of it is shown
			}
			return "", newNote(SkipTemplate, fmt.Sprintf("%s uses the template %s, which lockwatch does not evaluate", what, t), "What", what, "Template", t)
		}
		return s, Note{}
	}
	baseDir, why := value("base-dir", r.vals["base-dir"])
	if why.Text != "" {
		return f, why
	}
	configDir := filepath.Dir(rp.file)

	for _, k := range []string{"repository", "repository-file", "password-file", "password-command", "status-file"} {
		s, why := value(k, r.vals[k])
		if why.Text != "" {
			return f, why
		}
		if s == "" {
			continue
		}
		switch k {
		case "repository":
			loc, why := profileRepository(s, baseDir)
			if why.Text != "" {
				return f, why
			}
			f.Repository = loc
		case "repository-file":
			f.RepositoryFile = relativeTo(configDir, s)
		case "password-file":
			f.PasswordFile = relativeTo(configDir, s)
		case "password-command":
			f.PasswordCommand = s
		case "status-file":
			// Resolved from the directory resticprofile runs in, unless base-dir says.
			if dir := baseDir; !isAbsOrHome(s) && filepath.IsAbs(dir) {
				s = filepath.Join(dir, s)
			}
			if !isAbsOrHome(s) {
				f.note(NoteStatusRelative, "the status-file is relative to the directory resticprofile runs in: not wired up")
				continue
			}
			f.ResticprofileStatus = s
			f.ResticprofileProfile = name
		}
	}
	for _, k := range r.envKeys {
		v, why := value("env "+k, r.env[k])
		if why.Text != "" {
			return f, why
		}
		applyEnv(&f, k, v, true)
	}
	if f.Repository == "" && f.RepositoryFile == "" {
		return f, Note{} // not a repository: the caller leaves it out
	}
	settle(&f)
	return f, Note{}
}

// profileRepository resolves a profile's repository. A local path that is
// relative depends on the directory resticprofile is started from, unless
// base-dir is absolute; a remote location with $VARIABLES depends on
// resticprofile's environment at run time.
func profileRepository(loc, baseDir string) (string, Note) {
	if hasBackendPrefix(loc) {
		if strings.Contains(loc, "$") {
			return "", newNote(SkipRepoVariables, "the repository refers to environment variables that resticprofile expands when it runs")
		}
		return loc, Note{}
	}
	path, prefix := strings.TrimPrefix(loc, "local:"), ""
	if path != loc {
		prefix = "local:"
	}
	if isAbsOrHome(path) {
		return loc, Note{}
	}
	if filepath.IsAbs(baseDir) {
		return prefix + filepath.Join(baseDir, path), Note{}
	}
	return "", newNote(SkipRepoRelative, "the repository is a relative path, resolved from the directory resticprofile is started in")
}

// isAbsOrHome reports whether p does not depend on the working directory:
// absolute, or starting with ~ or $VARIABLE (which config expands the same way).
func isAbsOrHome(p string) bool {
	return filepath.IsAbs(p) || strings.HasPrefix(p, "~") || strings.HasPrefix(p, "$") || isWindowsDrive(p)
}

// relativeTo resolves p against dir, as resticprofile does for the paths
// of files it reads (password-file, repository-file).
func relativeTo(dir, p string) string {
	if isAbsOrHome(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func isWindowsDrive(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') &&
		('a' <= p[0]|0x20 && p[0]|0x20 <= 'z')
}
