package terraform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/iac"
)

// MaySniff implements iac.Sniffer: a JSON file may be a plan
// (terraform show -json).
func (*Parser) MaySniff(p string) bool {
	b := path.Base(p)
	return strings.HasSuffix(b, ".json") && !isConfig(b) && !isAutoVars(b)
}

// ContentRequired implements iac.Sniffer: a plan's JSON starts with its
// format_version and names planned_values or terraform_version.
func (*Parser) ContentRequired(_ string, head []byte) bool {
	return isPlan(head)
}

func isPlan(head []byte) bool {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	return len(h) > 0 && h[0] == '{' && bytes.Contains(head, []byte(`"format_version"`)) &&
		(bytes.Contains(head, []byte(`"planned_values"`)) || bytes.Contains(head, []byte(`"terraform_version"`)))
}

// plan reads a plan's planned values into one document: the resources of
// the root module and of every child module, as the configuration would
// give them, located at their lines in the JSON.
func plan(p string, src []byte) (*iac.Document, *iac.Problem) {
	if !json.Valid(src) {
		var syn *json.SyntaxError
		err := json.Unmarshal(src, new(any))
		line := 0
		if e, ok := err.(*json.SyntaxError); ok {
			syn = e
			line = 1 + bytes.Count(src[:min(int(syn.Offset), len(src))], []byte("\n"))
		}
		e := iac.Errorf(p, line, "not read as a Terraform plan: %v", err)
		return nil, &e
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil || len(root.Content) == 0 {
		e := iac.Errorf(p, 0, "not read as a Terraform plan: %v", err)
		return nil, &e
	}
	d := &iac.Document{Input: "terraform", Path: p, Index: iac.Index{}}
	d.Index.Set(iac.Node{Path: p, Start: 1, End: 1})
	resources := []any{}
	var walk func(m *yaml.Node)
	walk = func(m *yaml.Node) {
		if m == nil || m.Kind != yaml.MappingNode {
			return
		}
		if rs := field(m, "resources"); rs != nil && rs.Kind == yaml.SequenceNode {
			for _, r := range rs.Content {
				if r.Kind != yaml.MappingNode {
					continue
				}
				i := len(resources)
				addr := scalar(field(r, "address"))
				module := scalar(field(m, "address"))
				d.Index.Set(iac.Node{Path: p, Start: r.Line, End: lastLine(r), Resource: addr}, "resources", i)
				values := map[string]any{}
				if v := field(r, "values"); v != nil {
					if m, ok := toValue(v, p, d.Index, []any{"resources", i, "values"}).(map[string]any); ok {
						values = m
					}
				}
				var index any
				if x := field(r, "index"); x != nil {
					index = toValue(x, p, iac.Index{}, nil)
				}
				resources = append(resources, map[string]any{
					"address": addr, "module": module, "mode": scalar(field(r, "mode")),
					"type": scalar(field(r, "type")), "name": scalar(field(r, "name")), "index": index, "values": values,
				})
			}
		}
		if cs := field(m, "child_modules"); cs != nil && cs.Kind == yaml.SequenceNode {
			for _, c := range cs.Content {
				walk(c)
			}
		}
	}
	top := root.Content[0]
	pv := field(top, "planned_values")
	if pv == nil {
		e := iac.Errorf(p, 0, "not read as a Terraform plan: no planned_values (give the output of terraform show -json PLANFILE)")
		return nil, &e
	}
	walk(field(pv, "root_module"))
	d.Value = map[string]any{"resources": resources, "providers": []any{}}
	return d, nil
}

func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		l = max(l, lastLine(c))
	}
	return l
}

// toValue turns a JSON node into the policies' input, indexing every key
// and element under at.
func toValue(n *yaml.Node, file string, idx iac.Index, at []any) any {
	if at != nil {
		idx.Set(iac.Node{Path: file, Start: n.Line, End: lastLine(n)}, at...)
	}
	switch n.Kind {
	case yaml.MappingNode:
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			var sub []any
			if at != nil {
				sub = append(at[:len(at):len(at)], k.Value)
			}
			out[k.Value] = toValue(v, file, idx, sub)
			if at != nil {
				idx.Set(iac.Node{Path: file, Start: k.Line, End: lastLine(v)}, sub...)
			}
		}
		return out
	case yaml.SequenceNode:
		out := []any{}
		for i, c := range n.Content {
			var sub []any
			if at != nil {
				sub = append(at[:len(at):len(at)], i)
			}
			out = append(out, toValue(c, file, idx, sub))
		}
		return out
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			return n.Value == "true"
		case "!!int", "!!float":
			if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
				return json.Number(n.Value)
			}
		}
		return n.Value
	}
	return fmt.Sprint(n.Value)
}
