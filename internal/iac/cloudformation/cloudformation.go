// Package cloudformation reads AWS CloudFormation templates (YAML with
// the short-form intrinsics !Ref, !Sub, !GetAtt..., and JSON) into the
// input of the cloudformation policies: one document per template with
// its resources in file order, parameters' defaults resolved where they
// are referenced and Fn::If decided where its condition can be, every
// attribute located.
//
// The input shape (see docs/iac.md):
//
//	{"resources": [{"id": "DataBucket", "type": "AWS::S3::Bucket",
//	                "address": "AWS::S3::Bucket DataBucket", "condition": "",
//	                "properties": {"BucketName": "data", ...}}],
//	 "parameters": {"Env": {"Type": "String", "Default": "prod"}},
//	 "conditions": {"IsProd": true}, "outputs": {...}}
//
// An intrinsic that cannot be resolved without deploying (a Ref to a
// resource, !GetAtt, !ImportValue, a parameter without a default) stays
// in its long form ({"Ref": "Bucket"}, {"Fn::GetAtt": ["Role", "Arn"]}):
// policies treat an object where they expect a scalar as unknown.
package cloudformation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/iac"
)

// Parser reads CloudFormation templates.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Name implements iac.Parser.
func (*Parser) Name() string { return "cloudformation" }

// FileRequired implements iac.Parser: templates are found by content.
func (*Parser) FileRequired(string) bool { return false }

// MaySniff implements iac.Sniffer: YAML, JSON and .template files.
func (*Parser) MaySniff(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json", ".template":
		return true
	}
	return false
}

var (
	formatVersion = regexp.MustCompile(`(?m)^['"]?AWSTemplateFormatVersion['"]?\s*:|"AWSTemplateFormatVersion"\s*:`)
	resourcesKey  = regexp.MustCompile(`(?m)^Resources\s*:|"Resources"\s*:\s*\{`)
	awsType       = regexp.MustCompile(`["']?Type["']?\s*:\s*["']?AWS::[A-Za-z0-9]+::`)
)

// ContentRequired implements iac.Sniffer: a template names its format
// version, or has a Resources map with AWS:: types.
func (*Parser) ContentRequired(_ string, head []byte) bool {
	if formatVersion.Match(head) {
		return true
	}
	return resourcesKey.Match(head) && awsType.Match(head)
}

// Parse implements iac.Parser: one document per template.
func (*Parser) Parse(ctx context.Context, in *iac.Input) ([]*iac.Document, []iac.Problem) {
	return iac.ParseFiles(ctx, in, "a CloudFormation template", func(path string, content []byte) ([]*iac.Document, error) {
		d, err := Parse(path, content)
		if d == nil {
			return nil, err
		}
		return []*iac.Document{d}, err
	})
}

// Parse reads one template; nil for an empty file.
func Parse(file string, content []byte) (d *iac.Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, errors.New("the YAML parser failed on this file")
		}
	}()
	if t := bytes.TrimSpace(content); len(t) > 0 && t[0] == '{' && !json.Valid(content) {
		err := json.Unmarshal(content, new(any))
		line := 0
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line = 1 + bytes.Count(content[:min(int(syn.Offset), len(content))], []byte("\n"))
		}
		return nil, &iac.LineError{Line: line, Err: err}
	}
	var y yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(content)).Decode(&y); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &iac.LineError{Line: yamlErrLine(err), Err: errors.New(yamlPrefix.ReplaceAllString(err.Error(), ""))}
	}
	if len(y.Content) == 0 {
		return nil, nil
	}
	c := &converter{}
	root, err := c.conv(y.Content[0])
	if err != nil {
		return nil, err
	}
	if root.kind == 's' && root.v == nil {
		return nil, nil
	}
	if root.kind != 'm' {
		return nil, &iac.LineError{Line: root.line, Err: errors.New("a CloudFormation template is a mapping with Resources")}
	}
	return build(file, root)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)
var yamlPrefix = regexp.MustCompile(`^yaml: (line \d+: )?`)

func yamlErrLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// build evaluates a template and makes its document.
func build(file string, root *nd) (*iac.Document, error) {
	fieldErr := func(n *nd, line int, field, want string) error {
		return &iac.LineError{Line: line, Err: fmt.Errorf("field %q: %s is expected", field, want)}
	}
	for _, k := range []string{"Parameters", "Conditions", "Mappings", "Resources", "Outputs"} {
		if v := root.get(k); v != nil && v.kind != 'm' && !(v.kind == 's' && v.v == nil) {
			return nil, fieldErr(v, root.keyLine(k), k, "a mapping")
		}
	}
	e := &eval{params: map[string]*nd{}, conds: map[string]*nd{}, decided: map[string]int{}, mappings: root.get("Mappings")}
	parameters := map[string]any{}
	if ps := root.get("Parameters"); ps != nil {
		for i, name := range ps.keys {
			p := ps.kids[i]
			if p.kind != 'm' {
				return nil, fieldErr(p, ps.keyLines[i], "Parameters."+name, "a mapping")
			}
			if def := p.get("Default"); def != nil {
				e.params[name] = def
			}
			parameters[name] = p.value()
		}
	}
	if cs := root.get("Conditions"); cs != nil {
		for i, name := range cs.keys {
			e.conds[name] = cs.kids[i]
		}
	}
	conditions := map[string]any{}
	for name := range e.conds {
		if v, ok := e.condition(name); ok {
			conditions[name] = v
		} else {
			conditions[name] = nil
		}
	}
	d := &iac.Document{Input: "cloudformation", Path: file, Index: iac.Index{}}
	d.Index.Set(iac.Node{Path: file, Start: root.line, End: root.line})
	resources := []any{}
	if rs := root.get("Resources"); rs != nil {
		for i, id := range rs.keys {
			r := rs.kids[i]
			at := "Resources." + id
			if r.kind != 'm' {
				return nil, fieldErr(r, rs.keyLines[i], at, "a mapping")
			}
			tn := r.get("Type")
			typ, ok := tn.str()
			if !ok || tn == nil || typ == "" {
				return nil, fieldErr(r, r.keyLine("Type"), at+".Type", "a resource type string")
			}
			cond := ""
			if cn := r.get("Condition"); cn != nil {
				cond, _ = cn.str()
				if v, ok := e.condition(cond); ok && !v {
					continue // not created
				}
			}
			props := &nd{kind: 'm', line: rs.keyLines[i], end: rs.keyLines[i]}
			if p := r.get("Properties"); p != nil {
				if p.kind != 'm' && !(p.kind == 's' && p.v == nil) {
					return nil, fieldErr(p, r.keyLine("Properties"), at+".Properties", "a mapping")
				}
				if rp := e.resolve(p); rp != nil && rp.kind == 'm' {
					props = rp
				}
			}
			j := len(resources)
			addr := typ + " " + id
			d.Index.Set(iac.Node{Path: file, Start: rs.keyLines[i], End: max(rs.keyLines[i], r.end), Resource: addr}, "resources", j)
			d.Index.Set(iac.Node{Path: file, Start: r.keyLine("Type"), End: r.keyLine("Type")}, "resources", j, "type")
			if r.get("Properties") != nil {
				d.Index.Set(iac.Node{Path: file, Start: r.keyLine("Properties"), End: max(r.keyLine("Properties"), props.end)}, "resources", j, "properties")
			}
			props.index(d.Index, file, []any{"resources", j, "properties"})
			res := map[string]any{"id": id, "type": typ, "address": addr, "condition": cond, "properties": props.value()}
			for _, k := range []string{"DeletionPolicy", "UpdateReplacePolicy", "DependsOn", "Metadata"} {
				if v := r.get(k); v != nil {
					res[strings.ToLower(k[:1])+k[1:]] = v.value()
				}
			}
			resources = append(resources, res)
		}
	}
	outputs := map[string]any{}
	if os := root.get("Outputs"); os != nil {
		if v := e.resolve(os); v != nil && v.kind == 'm' {
			outputs = v.value().(map[string]any)
			v.index(d.Index, file, []any{"outputs"})
		}
	}
	d.Value = map[string]any{"resources": resources, "parameters": parameters, "conditions": conditions, "outputs": outputs}
	return d, nil
}
