package discover

import (
	"regexp"
	"strconv"

	"github.com/lockwatch/lockwatch/service/config"
	"go.yaml.in/yaml/v3"
)

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// parseYAML parses the first YAML document. Errors are *config.Error with the line.
func parseYAML(file string, data []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		line := 0
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		return nil, &config.Error{File: file, Line: line, Msg: "syntax error: " + scrub(msg)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 { // empty file
		return newMap(1), nil
	}
	c := &yamlConverter{}
	n, err := c.convert(doc.Content[0], 0)
	if err != nil {
		return nil, &config.Error{File: file, Line: c.line, Msg: err.Error()}
	}
	return n, nil
}

type yamlConverter struct {
	nodes int
	line  int // of the node being converted, for errors
}

func (c *yamlConverter) convert(y *yaml.Node, depth int) (*node, error) {
	c.line = y.Line
	if c.nodes++; depth > maxDepth || c.nodes > maxNodes {
		return nil, errTooComplex
	}
	switch y.Kind {
	case yaml.AliasNode:
		return c.convert(y.Alias, depth+1)
	case yaml.MappingNode:
		n := newMap(y.Line)
		var merges []*yaml.Node
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Tag == "!!merge" { // "<<: *defaults"
				merges = append(merges, v)
				continue
			}
			cv, err := c.convert(v, depth+1)
			if err != nil {
				return nil, err
			}
			n.set(k.Value, cv)
			n.fields[k.Value].line = k.Line // the key's line is what a reader looks for
		}
		// Merged maps fill in only keys the mapping does not set itself.
		for _, m := range merges {
			mv, err := c.convert(m, depth+1)
			if err != nil {
				return nil, err
			}
			for _, sub := range append([]*node{mv}, mv.items...) {
				if sub.kind != mapNode {
					continue
				}
				for _, k := range sub.keys {
					if _, has := n.fields[k]; !has {
						n.set(k, sub.fields[k])
					}
				}
			}
		}
		return n, nil
	case yaml.SequenceNode:
		n := &node{kind: listNode, line: y.Line}
		for _, e := range y.Content {
			ce, err := c.convert(e, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, ce)
		}
		return n, nil
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return newMap(y.Line), nil
		}
		return c.convert(y.Content[0], depth+1)
	}
	if y.Tag == "!!null" {
		return &node{line: y.Line}, nil
	}
	return &node{line: y.Line, text: y.Value}, nil
}
