package discover

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

// The tests compare whole Found values. Found's own printing hides every
// secret, so failures are shown through plain, which shows them: the
// fixtures' secrets are canaries, not real ones.

const canary = "CANARY" // every secret in testdata contains it

func plain(f Found) string {
	env := map[string]string{}
	for k, v := range f.Env {
		env[k] = string(v)
	}
	return fmt.Sprintf("{Source:%s File:%s Line:%d Name:%q Repository:%q RepositoryFile:%q PasswordFile:%q PasswordCommand:%q Password:%q Env:%v AutoUnlock:%q Status:%q Profile:%q Also:%v Notes:%q}",
		f.Source, f.File, f.Line, f.Name, f.Repository, f.RepositoryFile, f.PasswordFile, f.PasswordCommand, string(f.Password),
		env, f.AutoUnlock, f.ResticprofileStatus, f.ResticprofileProfile, f.Also, noteTexts(f.Notes))
}

// notes are notes as the tests write them: an English text (a string) or
// a Note. checkFound compares notes by their text; TestNotesHaveIDs checks
// their IDs.
func notes(items ...any) []Note {
	var out []Note
	for _, it := range items {
		switch it := it.(type) {
		case string:
			out = append(out, Note{Text: it})
		case Note:
			out = append(out, it)
		}
	}
	return out
}

// noteTexts are the notes as the CLI prints them.
func noteTexts(ns []Note) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.String())
	}
	return out
}

// withoutNotes is f without its notes, which checkFound compares by text.
func withoutNotes(f Found) Found {
	f.Notes = nil
	return f
}

func checkFound(t *testing.T, got, want []Found) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("missing found #%d:\n  want %s", i, plain(want[i]))
		case i >= len(want):
			t.Errorf("unexpected found #%d:\n  got  %s", i, plain(got[i]))
		case !reflect.DeepEqual(noteTexts(got[i].Notes), noteTexts(want[i].Notes)):
			t.Errorf("found #%d's notes:\n  got  %q\n  want %q", i, noteTexts(got[i].Notes), noteTexts(want[i].Notes))
		case !reflect.DeepEqual(withoutNotes(got[i]), withoutNotes(want[i])):
			t.Errorf("found #%d:\n  got  %s\n  want %s", i, plain(got[i]), plain(want[i]))
		}
	}
}

// checkSkipped compares what was skipped and why, in English; the app's
// test checks the IDs and facts.
func checkSkipped(t *testing.T, got, want []Skipped) {
	t.Helper()
	english := func(s []Skipped) []Skipped {
		out := make([]Skipped, len(s))
		for i, k := range s {
			out[i] = Skipped{Source: k.Source, File: k.File, Line: k.Line, Reason: k.Reason}
		}
		return out
	}
	if got, want := english(got), english(want); !reflect.DeepEqual(got, want) {
		t.Errorf("skipped:\n  got  %q\n  want %q", got, want)
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case err == nil && want != "":
		t.Errorf("no error; want %q", want)
	case err != nil && err.Error() != want:
		t.Errorf("error:\n  got  %q\n  want %q", err, want)
	}
}

// abs makes a fixture path absolute, as readers resolve relative paths in
// a file against the file's directory.
func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func secrets(kv ...string) map[string]Secret {
	m := map[string]Secret{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = Secret(kv[i+1])
	}
	return m
}
