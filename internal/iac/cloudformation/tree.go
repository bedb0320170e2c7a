package cloudformation

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/iac"
)

// nd is a template value with its lines: a scalar, a mapping (keys in
// file order, each with its line) or a list.
type nd struct {
	kind     byte // 's', 'm', 'l'
	v        any  // a scalar's value
	keys     []string
	keyLines []int
	kids     []*nd
	line     int
	end      int
}

func (n *nd) get(key string) *nd {
	if n == nil || n.kind != 'm' {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.kids[i]
		}
	}
	return nil
}

func (n *nd) keyLine(key string) int {
	for i, k := range n.keys {
		if k == key {
			return n.keyLines[i]
		}
	}
	return n.line
}

// str is a scalar's text; ok false for a mapping or list.
func (n *nd) str() (string, bool) {
	if n == nil || n.kind != 's' {
		return "", false
	}
	switch v := n.v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case nil:
		return "", true
	}
	return fmt.Sprint(n.v), true
}

// intrinsic returns the function name and argument of a one-key mapping
// that is an intrinsic function (Ref, Condition, Fn::*).
func (n *nd) intrinsic() (string, *nd) {
	if n == nil || n.kind != 'm' || len(n.keys) != 1 {
		return "", nil
	}
	k := n.keys[0]
	if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
		return k, n.kids[0]
	}
	return "", nil
}

// converter turns yaml nodes into nd, short-form tags (!Ref, !Sub...)
// into their long form, within iac.MaxYAMLNodes values once aliases are
// expanded.
type converter struct {
	nodes int
	depth int
}

var plainInt = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,17})$`)

func (c *converter) conv(n *yaml.Node) (*nd, error) {
	if c.nodes++; c.nodes > iac.MaxYAMLNodes {
		return nil, &iac.LineError{Line: n.Line, Err: fmt.Errorf("more than %d values once aliases are expanded (a YAML bomb?)", iac.MaxYAMLNodes)}
	}
	if c.depth++; c.depth > 500 {
		return nil, &iac.LineError{Line: n.Line, Err: errors.New("nested more than 500 deep")}
	}
	defer func() { c.depth-- }()
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return &nd{kind: 's', line: n.Line, end: n.Line}, nil
		}
		v, err := c.conv(n.Alias)
		if err != nil {
			return nil, err
		}
		return relined(v, n.Line), nil
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return &nd{kind: 's', line: n.Line, end: n.Line}, nil
		}
		return c.conv(n.Content[0])
	}
	tag := n.Tag
	if strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		return c.short(n, tag[1:])
	}
	return c.plain(n, false)
}

// short converts a short-form intrinsic (!GetAtt a.b, !Ref x, !Sub ...).
func (c *converter) short(n *yaml.Node, name string) (*nd, error) {
	arg, err := c.plain(n, true)
	if err != nil {
		return nil, err
	}
	key := "Fn::" + name
	switch name {
	case "Ref", "Condition":
		key = name
	case "GetAtt":
		if s, ok := arg.str(); ok && arg.kind == 's' {
			a, b, _ := strings.Cut(s, ".")
			arg = &nd{kind: 'l', line: n.Line, end: n.Line, kids: []*nd{
				{kind: 's', v: a, line: n.Line, end: n.Line}, {kind: 's', v: b, line: n.Line, end: n.Line}}}
		}
	}
	return &nd{kind: 'm', keys: []string{key}, keyLines: []int{n.Line}, kids: []*nd{arg}, line: n.Line, end: arg.end}, nil
}

// plain converts a node by its kind; tagged scalars (the argument of a
// short-form intrinsic) stay text.
func (c *converter) plain(n *yaml.Node, tagged bool) (*nd, error) {
	switch n.Kind {
	case yaml.SequenceNode:
		out := &nd{kind: 'l', line: n.Line, end: n.Line}
		for _, e := range n.Content {
			v, err := c.conv(e)
			if err != nil {
				return nil, err
			}
			out.kids = append(out.kids, v)
			out.end = max(out.end, v.end)
		}
		return out, nil
	case yaml.MappingNode:
		out := &nd{kind: 'm', line: n.Line, end: n.Line}
		set := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				m, err := c.conv(v)
				if err != nil {
					return nil, err
				}
				srcs := []*nd{m}
				if m.kind == 'l' {
					srcs = m.kids
				}
				for _, s := range srcs {
					for j, mk := range s.keys {
						if !set[mk] {
							set[mk] = true
							out.keys, out.keyLines, out.kids = append(out.keys, mk), append(out.keyLines, k.Line), append(out.kids, relined(s.kids[j], k.Line))
						}
					}
				}
				continue
			}
			val, err := c.conv(v)
			if err != nil {
				return nil, err
			}
			if set[k.Value] {
				// A later duplicate wins, as in the YAML libraries.
				for j, mk := range out.keys {
					if mk == k.Value {
						out.keyLines[j], out.kids[j] = k.Line, val
					}
				}
			} else {
				set[k.Value] = true
				out.keys, out.keyLines, out.kids = append(out.keys, k.Value), append(out.keyLines, k.Line), append(out.kids, val)
			}
			out.end = max(out.end, val.end, k.Line)
		}
		return out, nil
	case yaml.ScalarNode:
		if tagged {
			return &nd{kind: 's', v: n.Value, line: n.Line, end: n.Line}, nil
		}
		return &nd{kind: 's', v: scalar(n), line: n.Line, end: n.Line}, nil
	case yaml.AliasNode, yaml.DocumentNode:
		return c.conv(n)
	}
	return &nd{kind: 's', line: n.Line, end: n.Line}, nil
}

func scalar(n *yaml.Node) any {
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

// relined is a copy of n placed at line (an alias's value, a parameter's
// default at the Ref that uses it): findings land where the value is used.
func relined(n *nd, line int) *nd {
	c := *n
	c.line, c.end = line, line
	if len(n.kids) > 0 {
		c.kids = make([]*nd, len(n.kids))
		for i, k := range n.kids {
			c.kids[i] = relined(k, line)
		}
	}
	if len(n.keyLines) > 0 {
		c.keyLines = make([]int, len(n.keyLines))
		for i := range c.keyLines {
			c.keyLines[i] = line
		}
	}
	return &c
}

// value is the policies' form of n.
func (n *nd) value() any {
	switch n.kind {
	case 'm':
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = n.kids[i].value()
		}
		return m
	case 'l':
		l := make([]any, len(n.kids))
		for i, k := range n.kids {
			l[i] = k.value()
		}
		return l
	}
	return n.v
}

// index records where every part of n is, n being at path.
func (n *nd) index(x iac.Index, file string, path []any) {
	sub := func(k any) []any { return append(path[:len(path):len(path)], k) }
	switch n.kind {
	case 'm':
		for i, k := range n.keys {
			kid := n.kids[i]
			p := sub(k)
			kid.index(x, file, p)
			// The key's line, not the value's, is where the attribute is.
			x.Set(iac.Node{Path: file, Start: n.keyLines[i], End: max(n.keyLines[i], kid.end)}, p...)
		}
	case 'l':
		for i, kid := range n.kids {
			p := sub(i)
			kid.index(x, file, p)
			x.Set(iac.Node{Path: file, Start: kid.line, End: max(kid.line, kid.end)}, p...)
		}
	}
}
