package i18n

import (
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

var writeEnglish = flag.Bool("write-en", false, "rewrite translations/en.json from the messages the code uses")

// message is one use of the catalogue in the code.
type message struct {
	id, english string
	plural      bool
	at          string
}

// appDir is the app's code, which is what a person reads.
const appDir = ".."

// messages finds every lang.L/N/X/XN call under app/ whose message is a
// literal (all of them: TestNoStringBypassesTheCatalogue sees to it).
func messages(t *testing.T) map[string]message {
	t.Helper()
	found := map[string]message{}
	eachFile(t, func(fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "lang" {
				return true
			}
			lit := func(i int) (string, bool) {
				if i >= len(call.Args) {
					return "", false
				}
				return stringLit(call.Args[i])
			}
			at := fset.Position(call.Pos()).String()
			var m message
			var ok1, ok2 bool
			switch sel.Sel.Name {
			case "L":
				m.id, ok1 = lit(0)
				m.english, ok2 = m.id, ok1
			case "N":
				m.id, ok1 = lit(0)
				m.english, ok2, m.plural = m.id, ok1, true
			case "X":
				m.id, ok1 = lit(0)
				m.english, ok2 = lit(1)
			case "XN":
				m.id, ok1 = lit(0)
				m.english, ok2 = lit(1)
				m.plural = true
			default:
				return true
			}
			if !ok1 || !ok2 {
				t.Errorf("%s: lang.%s with a message that is not a literal: the catalogue cannot know it", at, sel.Sel.Name)
				return true
			}
			m.at = at
			found[m.id] = m
			return true
		})
	})
	return found
}

// stringLit is the value of a string literal, or of literals joined by +.
func stringLit(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := stringLit(e.X)
		b, ok2 := stringLit(e.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return stringLit(e.X)
	}
	return "", false
}

func eachFile(t *testing.T, fn func(*token.FileSet, *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(appDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "traytest" || d.Name() == "apptest") {
			return filepath.SkipDir // test helpers: nobody reads them in the app
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		fn(fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// entry is a catalogue's message: a string, or plural forms.
type entry struct {
	text  string
	forms map[string]string
}

func (e *entry) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &e.text); err == nil {
		return nil
	}
	return json.Unmarshal(b, &e.forms)
}

func catalogue(t *testing.T, language string) map[string]entry {
	t.Helper()
	data, err := Catalogue(language)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]entry
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", Files[language], err)
	}
	return c
}

// Every message the code uses is in every catalogue, with plural forms
// where a count is shown, and no catalogue has a message the others lack
// or the code no longer uses.
func TestCataloguesAreComplete(t *testing.T) {
	used := messages(t)
	if *writeEnglish {
		writeEnglishCatalogue(t, used)
	}
	for _, language := range []string{"en", "zh-Hans", "ja"} {
		c := catalogue(t, language)
		for id, m := range used {
			e, ok := c[id]
			switch {
			case !ok:
				t.Errorf("%s lacks %q (used at %s)", Files[language], id, m.at)
			case m.plural && e.forms["other"] == "":
				t.Errorf("%s: %q is shown with a count and needs plural forms (\"other\" at least)", Files[language], id)
			case m.plural && language == "en" && e.forms["one"] == "":
				t.Errorf("%s: %q needs its \"one\" form", Files[language], id)
			case !m.plural && e.text == "":
				t.Errorf("%s: %q is empty or not a string", Files[language], id)
			}
			if language != "en" && ok && !m.plural && e.text == m.english && hasLetters(m.english) && !sameInEveryLanguage(id) {
				t.Errorf("%s: %q is not translated", Files[language], id)
			}
		}
		for id := range c {
			if _, ok := used[id]; !ok {
				t.Errorf("%s has %q, which the code does not use", Files[language], id)
			}
		}
	}
}

// sameInEveryLanguage are messages that read the same everywhere: a Go
// layout without words, abbreviations, a path, the app's name.
func sameInEveryLanguage(id string) bool {
	switch id {
	case "layout.clock", "column.id", "column.pid", "placeholder.password_file", "lockwatch — {{.Repo}}":
		return true
	}
	return false
}

// hasLetters reports whether s has words in it (a format verb is none).
func hasLetters(s string) bool {
	return strings.IndexFunc(formatVerb.ReplaceAllString(s, ""), unicode.IsLetter) >= 0
}

var formatVerb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

func writeEnglishCatalogue(t *testing.T, used map[string]message) {
	// A plural message's forms ("1 lock", "2 locks") are written by a
	// person: those already in the file are kept.
	var old map[string]any
	if data, err := os.ReadFile(filepath.Join("translations", Files["en"])); err == nil {
		_ = json.Unmarshal(data, &old)
	}
	out := map[string]any{}
	for id, m := range used {
		switch forms, kept := old[id].(map[string]any); {
		case m.plural && kept:
			out[id] = forms
		case m.plural:
			out[id] = map[string]string{"one": m.english, "other": m.english}
			t.Logf("write the \"one\" and \"other\" forms of %q in en.json", id)
		default:
			out[id] = m.english
		}
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("translations", Files["en"]), append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log("wrote translations/en.json")
}

// uiCalls are the Fyne and tray calls whose string arguments a person
// reads: every such argument must come from the catalogue.
var uiCalls = []string{
	"NewLabel", "NewLabelWithStyle", "NewButton", "NewButtonWithIcon", "NewCheck", "NewRadioGroup",
	"NewFormItem", "NewWindow", "SetText", "SetTitle", "SetPlaceHolder", "NewAccordionItem",
	"ShowInformation", "ShowConfirm", "NewCustomConfirm", "NewCustom", "NewInformation",
	"NewMenuItem", "item", "tell", "say", "SetBanner", "setResult", "SetTooltip", "NewSelect",
	"ShowError", "do", // the app's and the tray's actions name themselves in their failure
}

// No string a person reads bypasses the catalogue: a literal with letters
// passed to a widget, a window title, a menu item or a dialog, or set as a
// notification's title, body or action label, under app/ is a test
// failure — directly, in a concatenation or in a fmt.Sprintf.
func TestNoStringBypassesTheCatalogue(t *testing.T) {
	eachFile(t, func(fset *token.FileSet, f *ast.File) {
		check := func(what string, e ast.Expr) {
			for _, lit := range shownLiterals(e) {
				if s, _ := strconv.Unquote(lit.Value); hasLetters(s) && !allowedLiteral(s) {
					t.Errorf("%s: %s(%s): a string a person reads, not from the catalogue (lang.L)", fset.Position(lit.Pos()), what, lit.Value)
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				if slices.Contains(uiCalls, name) {
					for _, arg := range n.Args {
						check(name, arg)
					}
				}
			case *ast.KeyValueExpr:
				// notify.Notification{Title: …, Body: …}, notify.Action{Label: …}
				if k, ok := n.Key.(*ast.Ident); ok && (k.Name == "Title" || k.Name == "Body" || k.Name == "Label") {
					check(k.Name, n.Value)
				}
			}
			return true
		})
	})
}

// shownLiterals are the string literals of e that end up in the text: e
// itself, the parts of a concatenation, the format and arguments of
// fmt.Sprintf, fmt.Errorf and errors.New (an error a dialog shows). Other calls (lang.L among them) and closures are not text.
func shownLiterals(e ast.Expr) []*ast.BasicLit {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			return []*ast.BasicLit{e}
		}
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			return append(shownLiterals(e.X), shownLiterals(e.Y)...)
		}
	case *ast.ParenExpr:
		return shownLiterals(e.X)
	case *ast.CallExpr:
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && (pkg.Name == "fmt" && (strings.HasPrefix(sel.Sel.Name, "Sprint") || sel.Sel.Name == "Errorf") ||
				pkg.Name == "errors" && sel.Sel.Name == "New") {
				var out []*ast.BasicLit
				for _, a := range e.Args {
					out = append(out, shownLiterals(a)...)
				}
				return out
			}
		}
	}
	return nil
}

// allowedLiteral are literals that are not words: the app's name, file
// names of resources.
func allowedLiteral(s string) bool {
	return s == "lockwatch" || strings.HasSuffix(s, ".png")
}

func sortedKeys(m map[string]message) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
