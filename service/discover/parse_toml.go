package discover

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/lockwatch/lockwatch/service/config"
)

// parseTOML parses a TOML document. BurntSushi/toml keeps no position per
// key, so lines come from tomlLines, a scan of table headers and keys.
func parseTOML(file string, data []byte) (*node, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if !errors.As(err, &pe) {
			return nil, &config.Error{File: file, Msg: "invalid TOML"}
		}
		line := pe.Position.Line
		if start := pe.Position.Start; start > 0 {
			// The decoder reports an unexpected newline on the next line;
			// the byte offset is right.
			line = lineAt(data, start)
		}
		return nil, &config.Error{File: file, Line: line, Msg: "syntax error: " + scrub(pe.Message)}
	}
	lines := tomlLines(string(data))
	return tomlNode(raw, nil, lines, 1), nil
}

func tomlNode(v any, path []string, lines map[string]int, parentLine int) *node {
	line := parentLine
	if l, ok := lines[strings.Join(path, "\x00")]; ok {
		line = l
	}
	switch t := v.(type) {
	case map[string]any:
		n := newMap(line)
		for _, k := range sortedByLine(t, path, lines) {
			n.set(k, tomlNode(t[k], append(path[:len(path):len(path)], k), lines, line))
		}
		return n
	case []map[string]any:
		n := &node{kind: listNode, line: line}
		for _, e := range t {
			n.items = append(n.items, tomlNode(e, nil, nil, line))
		}
		return n
	case []any:
		n := &node{kind: listNode, line: line}
		for _, e := range t {
			n.items = append(n.items, tomlNode(e, nil, nil, line))
		}
		return n
	case string:
		return &node{line: line, text: t}
	case time.Time:
		return &node{line: line, text: t.Format(time.RFC3339)}
	}
	return &node{line: line, text: fmt.Sprint(v)}
}

// sortedByLine returns the keys of m in file order, so that readers report
// what they find top to bottom.
func sortedByLine(m map[string]any, path []string, lines map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	line := func(k string) int {
		if l, ok := lines[strings.Join(append(path[:len(path):len(path)], k), "\x00")]; ok {
			return l
		}
		return 1 << 30
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(line(a), line(b)), strings.Compare(a, b))
	})
	return keys
}

// tomlLines maps the path of every table header and key (joined by NUL)
// to its line. It only has to be right for the files the decoder accepted,
// and only for lines: values never come from here.
func tomlLines(src string) map[string]int {
	lines := map[string]int{}
	var table []string
	inMultiline := ""
	for i, text := range strings.Split(src, "\n") {
		line := i + 1
		t := strings.TrimSpace(text)
		if inMultiline != "" {
			if strings.Count(t, inMultiline)%2 == 1 {
				inMultiline = ""
			}
			continue
		}
		switch {
		case t == "" || t[0] == '#':
			continue
		case strings.HasPrefix(t, "["):
			header := strings.Trim(strings.SplitN(t, "]", 2)[0], "[ \t")
			if strings.HasPrefix(t, "[[") {
				header = strings.Trim(strings.SplitN(t, "]]", 2)[0], "[ \t")
			}
			table = splitDottedKey(header)
			setFirst(lines, table, line)
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		key := append(table[:len(table):len(table)], splitDottedKey(k)...)
		for j := len(table) + 1; j <= len(key); j++ {
			setFirst(lines, key[:j], line)
		}
		for _, q := range []string{`"""`, `'''`} {
			if strings.Count(v, q)%2 == 1 {
				inMultiline = q
			}
		}
	}
	return lines
}

func setFirst(lines map[string]int, path []string, line int) {
	k := strings.Join(path, "\x00")
	if _, ok := lines[k]; !ok {
		lines[k] = line
	}
}

// splitDottedKey splits a.b."c.d" into its parts.
func splitDottedKey(s string) []string {
	var parts []string
	var cur strings.Builder
	quote := rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote = r
		case r == '.':
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
		case r == ' ' || r == '\t':
		default:
			cur.WriteRune(r)
		}
	}
	return append(parts, strings.TrimSpace(cur.String()))
}
