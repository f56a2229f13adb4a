package discover

import (
	"errors"
)

// The tools write JSON, YAML and TOML. Each is parsed into the same small
// tree of nodes that remember their line, so the readers handle one shape
// and every message can name file and line.

type nodeKind int

const (
	scalarNode nodeKind = iota
	mapNode
	listNode
)

type node struct {
	kind   nodeKind
	line   int
	text   string   // a scalar as written: strings verbatim, numbers and booleans as text
	keys   []string // a map's keys in file order
	fields map[string]*node
	items  []*node
}

// get returns the value of key in a map node; nil if n is no map or has no key.
func (n *node) get(key string) *node {
	if n == nil || n.kind != mapNode {
		return nil
	}
	return n.fields[key]
}

// str returns a string field of a map node. ok is false if the key is
// missing or not a scalar.
func (n *node) str(key string) (s string, ok bool) {
	v := n.get(key)
	if v == nil || v.kind != scalarNode {
		return "", false
	}
	return v.text, true
}

func (n *node) set(key string, v *node) {
	if _, dup := n.fields[key]; !dup {
		n.keys = append(n.keys, key)
	}
	n.fields[key] = v
}

func newMap(line int) *node { return &node{kind: mapNode, line: line, fields: map[string]*node{}} }

func kindName(n *node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.kind == mapNode:
		return "a map"
	case n.kind == listNode:
		return "a list"
	}
	return "a single value"
}

// maxDepth and maxNodes bound the tree: YAML aliases can make a small file
// expand into a huge one ("billion laughs").
const (
	maxDepth = 64
	maxNodes = 200_000
)

var errTooComplex = errors.New("nested too deeply or too many values (YAML aliases?)")
