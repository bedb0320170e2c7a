package iac

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxYAMLNodes bounds the values one YAML file may expand to, aliases
// included: a "billion laughs" file is an error, not an hour of work.
const MaxYAMLNodes = 1_000_000

// YAMLDoc is one document of a YAML stream, as the policies' input.
type YAMLDoc struct {
	// Value is nil, bool, string, json.Number, []any or map[string]any.
	Value any
	// Index locates every key and element of Value (see Key).
	Index Index
	// Start and End are the document's first and last lines.
	Start, End int
}

// ParseYAML reads every document of a YAML stream with its lines:
// aliases and merge keys (<<) expanded within MaxYAMLNodes, tags other
// than the core ones read as their plain value (CloudFormation's !Ref is
// the caller's business: Tag keeps it). An error names the line.
func ParseYAML(file string, content []byte) (docs []YAMLDoc, err error) {
	return ParseYAMLTagged(file, content)
}

// ParseYAMLTagged is ParseYAML keeping the given local tags: a node
// tagged with one of them (GitLab CI's !reference) is read as a mapping of
// the tag to the node's plain value, {"!reference": [".setup", "script"]},
// located like any mapping.
func ParseYAMLTagged(file string, content []byte, tags ...string) (docs []YAMLDoc, err error) {
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("the YAML parser failed on this file")
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, &LineError{Line: yamlErrLine(err), Err: errors.New(yamlErrText(err))}
		}
		if len(n.Content) == 0 {
			continue
		}
		c := &yamlConv{file: file, idx: Index{}, tags: tags}
		v, err := c.value(n.Content[0], []any{})
		if err != nil {
			return docs, err
		}
		docs = append(docs, YAMLDoc{Value: v, Index: c.idx, Start: n.Content[0].Line, End: max(c.last, n.Content[0].Line)})
	}
}

// ParseFiles runs parse on each file of in until ctx ends: the documents
// of every file (those read before an error included), and for each file
// parse refuses an error problem "not read as <what>: ..." at the line a
// *LineError names.
func ParseFiles(ctx context.Context, in *Input, what string, parse func(path string, content []byte) ([]*Document, error)) ([]*Document, []Problem) {
	var docs []*Document
	var probs []Problem
	for _, f := range in.Files {
		if ctx.Err() != nil {
			break
		}
		ds, err := parse(f.Path, f.Content)
		if err != nil {
			line := 0
			var le *LineError
			if errors.As(err, &le) {
				line = le.Line
			}
			probs = append(probs, Errorf(f.Path, line, "not read as %s: %v", what, err))
		}
		docs = append(docs, ds...)
	}
	return docs, probs
}

// LineError is an error at a line of a file.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return e.Err.Error() }
func (e *LineError) Unwrap() error { return e.Err }

var plainInt = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,17})$`)

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

var yamlPrefix = regexp.MustCompile(`^yaml: (line \d+: )?`)

func yamlErrText(err error) string { return yamlPrefix.ReplaceAllString(err.Error(), "") }

type yamlConv struct {
	tags  []string // local tags kept (ParseYAMLTagged)
	file  string
	idx   Index
	nodes int
	last  int
	depth int
	alias int
}

// value converts a node; path is nil inside an alias (an alias's parts
// are located at the alias, not at the anchor).
func (c *yamlConv) value(n *yaml.Node, path []any) (any, error) {
	if c.nodes++; c.nodes > MaxYAMLNodes {
		line := n.Line
		if c.alias > 0 {
			line = c.alias
		}
		return nil, &LineError{Line: line, Err: fmt.Errorf("more than %d values once aliases are expanded (a YAML bomb?)", MaxYAMLNodes)}
	}
	if c.depth++; c.depth > 1000 {
		return nil, &LineError{Line: n.Line, Err: errors.New("nested more than 1000 deep")}
	}
	defer func() { c.depth-- }()
	c.last = max(c.last, n.Line)
	if path != nil {
		c.idx.Set(Node{Path: c.file, Start: n.Line, End: n.Line}, path...)
	}
	sub := func(k any) []any {
		if path == nil {
			return nil
		}
		return append(path[:len(path):len(path)], k)
	}
	if n.Tag != "" && n.Kind != yaml.AliasNode && slices.Contains(c.tags, n.Tag) {
		plain := *n
		plain.Tag, plain.Style = "", plain.Style&^yaml.TaggedStyle
		v, err := c.value(&plain, sub(n.Tag))
		if err != nil {
			return nil, err
		}
		return map[string]any{n.Tag: v}, nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		if path != nil {
			// Errors inside the alias are reported where it is used.
			c.alias = n.Line
			defer func() { c.alias = 0 }()
		}
		return c.value(n.Alias, nil)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], path)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, e := range n.Content {
			v, err := c.value(e, sub(i))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		c.extend(path, n)
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				// Merge keys: the mapping (or list of mappings) merged in,
				// keys already set winning.
				var srcs []*yaml.Node
				m := v
				if m.Kind == yaml.AliasNode && m.Alias != nil {
					m = m.Alias
				}
				if m.Kind == yaml.SequenceNode {
					srcs = m.Content
				} else {
					srcs = []*yaml.Node{v}
				}
				for _, s := range srcs {
					mv, err := c.value(s, nil)
					if err != nil {
						return nil, err
					}
					if mm, ok := mv.(map[string]any); ok {
						for mk, mval := range mm {
							if _, set := out[mk]; !set {
								out[mk] = mval
								if path != nil {
									c.idx.Set(Node{Path: c.file, Start: k.Line, End: k.Line}, sub(mk)...)
								}
							}
						}
					}
				}
				continue
			}
			key := k.Value
			val, err := c.value(v, sub(key))
			if err != nil {
				return nil, err
			}
			out[key] = val
			if path != nil {
				c.idx.Set(Node{Path: c.file, Start: k.Line, End: max(k.Line, c.lastOf(v))}, sub(key)...)
			}
		}
		c.extend(path, n)
		return out, nil
	case yaml.ScalarNode:
		if path != nil && n.Style&yaml.LiteralStyle != 0 {
			c.blockLines(n, path)
		}
		return scalarValue(n), nil
	}
	return nil, nil
}

// extend makes a collection's node end at its last line.
func (c *yamlConv) extend(path []any, n *yaml.Node) {
	if path == nil {
		return
	}
	k := Key(path...)
	x := c.idx[k]
	x.End = max(x.Start, c.lastOf(n))
	c.idx[k] = x
}

// lastOf is the last line of a node's own text (aliases count as one
// line, where they are).
func (c *yamlConv) lastOf(n *yaml.Node) int {
	l := n.Line
	if n.Kind == yaml.ScalarNode && n.Style&yaml.LiteralStyle != 0 {
		l += blockHeight(n.Value)
	}
	for _, e := range n.Content {
		l = max(l, c.lastOf(e))
	}
	return l
}

// BlockLines splits a literal block scalar's value (`|`) into its logical
// lines, the way a shell reads a script: a line ending in a backslash goes
// on with the next. Each is the text with the continuations joined by a
// space in place of the backslash and the physical lines it spans, counted from 0 at the block's
// first line. The newline that ends the block starts no line of its own.
// Policies split the same way (lib.gitlabci's lines), and the index
// locates logical line i of a block at path at Key(path..., i).
func BlockLines(v string) []BlockLine {
	phys := strings.Split(strings.TrimSuffix(v, "\n"), "\n")
	var out []BlockLine
	for j := 0; j < len(phys); j++ {
		start := j
		for j < len(phys)-1 && strings.HasSuffix(phys[j], "\\") {
			j++
		}
		text := phys[start]
		for k := start + 1; k <= j; k++ {
			text = strings.TrimSuffix(text, "\\") + " " + phys[k]
		}
		out = append(out, BlockLine{Text: text, First: start, Last: j})
	}
	return out
}

// BlockLine is one logical line of a block scalar.
type BlockLine struct {
	Text        string
	First, Last int
}

// blockLines indexes each logical line of a literal block scalar, so a
// finding about one line of a multi-line script points at that line. A
// literal block's text starts on the line after its indicator.
func (c *yamlConv) blockLines(n *yaml.Node, path []any) {
	ls := BlockLines(n.Value)
	if len(ls) < 2 {
		return
	}
	for i, l := range ls {
		c.idx.Set(Node{Path: c.file, Start: n.Line + 1 + l.First, End: n.Line + 1 + l.Last}, append(path[:len(path):len(path)], i)...)
	}
	c.last = max(c.last, n.Line+ls[len(ls)-1].Last+1) // the block's physical lines
}

// blockHeight is the number of lines of a literal block's text.
func blockHeight(v string) int {
	return strings.Count(strings.TrimSuffix(v, "\n"), "\n") + 1
}

func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int", "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			if plainInt.MatchString(n.Value) {
				return json.Number(n.Value)
			}
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	return n.Value
}
