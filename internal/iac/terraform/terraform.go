// Package terraform reads Terraform configurations with HCL (hcl/v2 and
// go-cty; no Terraform code) into the input of the terraform policies:
// every resource and data source of a root module and of the local
// modules it calls, with its attributes evaluated — variables (defaults,
// terraform.tfvars, *.auto.tfvars, module arguments), locals, the common
// functions, count, for_each and dynamic blocks. Remote modules are never
// downloaded: a notice names them.
//
// The input shape (see docs/iac.md):
//
//	{"resources": [{"address": "module.net.aws_security_group.ssh",
//	                "module": "module.net", "mode": "managed",
//	                "type": "aws_security_group", "name": "ssh", "index": null,
//	                "values": {"name": "ssh", "ingress": [{"from_port": 22, ...}]}}],
//	 "providers": [{"name": "aws", "module": "", "values": {"region": "eu-west-1"}}]}
//
// A value that cannot be known statically (another resource's id) is
// the text of its expression in "${...}". Nested blocks are lists of
// objects; in .tf.json files they may be objects (lib.terraform.blocks
// reads both).
package terraform

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"

	"github.com/airlock-sec/airlock/internal/iac"
)

// Limits against configurations that explode.
const (
	maxDepth     = 16    // nested module calls
	maxInstances = 1000  // instances of one block (count, for_each)
	maxModules   = 500   // module instances in one root module
	maxResources = 50000 // resource instances in one root module
)

// Parser reads Terraform configurations.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Name implements iac.Parser.
func (*Parser) Name() string { return "terraform" }

// FileRequired implements iac.Parser: .tf and .tf.json files, and the
// variable files Terraform reads by itself.
func (*Parser) FileRequired(p string) bool {
	b := path.Base(p)
	return isConfig(b) || isAutoVars(b)
}

func isConfig(name string) bool {
	return strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json")
}

// isAutoVars: the variable files Terraform loads without being asked.
func isAutoVars(name string) bool {
	return name == "terraform.tfvars" || name == "terraform.tfvars.json" ||
		strings.HasSuffix(name, ".auto.tfvars") || strings.HasSuffix(name, ".auto.tfvars.json")
}

// attr, block and body are one view of native and JSON HCL.
type attr struct {
	name string
	expr hcl.Expression
	rng  hcl.Range
}

type block struct {
	typ    string
	labels []string
	body   *body
	rng    hcl.Range
}

type body struct {
	attrs  []attr
	blocks []block
}

func (b *body) attr(name string) *attr {
	for i := range b.attrs {
		if b.attrs[i].name == name {
			return &b.attrs[i]
		}
	}
	return nil
}

// file is one parsed configuration file.
type file struct {
	path string
	src  []byte
	body *body
}

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "resource", LabelNames: []string{"type", "name"}},
	{Type: "data", LabelNames: []string{"type", "name"}},
	{Type: "module", LabelNames: []string{"name"}},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "provider", LabelNames: []string{"name"}},
	{Type: "output", LabelNames: []string{"name"}},
	{Type: "terraform"},
	{Type: "moved"}, {Type: "import"}, {Type: "check", LabelNames: []string{"name"}}, {Type: "removed"},
}}

// parseFile parses one .tf or .tf.json file.
func parseFile(p string, src []byte) (f *file, prob *iac.Problem) {
	defer func() {
		if r := recover(); r != nil {
			e := iac.Errorf(p, 0, "not read as Terraform: the HCL parser failed on this file")
			f, prob = nil, &e
		}
	}()
	if strings.HasSuffix(p, ".json") {
		hf, diags := hcljson.Parse(src, p)
		if diags.HasErrors() {
			return nil, diagProblem(p, diags)
		}
		content, diags := hf.Body.Content(rootSchema)
		if diags.HasErrors() {
			return nil, diagProblem(p, diags)
		}
		b := &body{}
		for _, blk := range content.Blocks {
			attrs, _ := blk.Body.JustAttributes()
			inner := &body{}
			for _, a := range attrs {
				inner.attrs = append(inner.attrs, attr{name: a.Name, expr: a.Expr, rng: a.Range})
			}
			sort.Slice(inner.attrs, func(i, j int) bool { return inner.attrs[i].rng.Start.Byte < inner.attrs[j].rng.Start.Byte })
			b.blocks = append(b.blocks, block{typ: blk.Type, labels: blk.Labels, body: inner, rng: blk.DefRange})
		}
		return &file{path: p, src: src, body: b}, nil
	}
	hf, diags := hclsyntax.ParseConfig(src, p, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diagProblem(p, diags)
	}
	return &file{path: p, src: src, body: native(hf.Body.(*hclsyntax.Body))}, nil
}

func native(b *hclsyntax.Body) *body {
	out := &body{}
	for _, a := range b.Attributes {
		out.attrs = append(out.attrs, attr{name: a.Name, expr: a.Expr, rng: a.SrcRange})
	}
	sort.Slice(out.attrs, func(i, j int) bool { return out.attrs[i].rng.Start.Byte < out.attrs[j].rng.Start.Byte })
	for _, blk := range b.Blocks {
		out.blocks = append(out.blocks, block{typ: blk.Type, labels: blk.Labels, body: native(blk.Body), rng: blk.Range()})
	}
	return out
}

func diagProblem(p string, diags hcl.Diagnostics) *iac.Problem {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		e := iac.Errorf(p, line, "not read as Terraform: %s", msg)
		return &e
	}
	e := iac.Errorf(p, 0, "not read as Terraform")
	return &e
}

// Parse implements iac.Parser: one document per root module (a directory
// of .tf files that no other scanned directory calls as a module).
func (p *Parser) Parse(ctx context.Context, in *iac.Input) ([]*iac.Document, []iac.Problem) {
	l := &loader{in: in, parsed: map[string]*file{}, given: map[string][]byte{}}
	dirs := map[string][]string{}
	var order []string
	var docs []*iac.Document
	for _, f := range in.Files {
		if p.MaySniff(f.Path) {
			d, prob := plan(f.Path, f.Content)
			if prob != nil {
				l.problem(*prob)
			} else {
				docs = append(docs, d)
			}
			continue
		}
		l.given[f.Path] = f.Content
		d := path.Dir(f.Path)
		if _, ok := dirs[d]; !ok {
			order = append(order, d)
		}
		dirs[d] = append(dirs[d], f.Path)
	}
	sort.Strings(order)
	// Directories another directory calls are read through their callers.
	called := map[string]bool{}
	for _, d := range order {
		for _, f := range l.moduleFiles(d, dirs[d]) {
			for _, b := range f.body.blocks {
				if b.typ != "module" {
					continue
				}
				if src := literal(b.body.attr("source")); isLocal(src) {
					called[path.Clean(path.Join(d, src))] = true
				}
			}
		}
	}
	visited := map[string]bool{}
	evaluateRoot := func(d string) {
		if ctx.Err() != nil {
			return
		}
		doc := l.root(d, dirs[d], visited)
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	for _, d := range order {
		if !called[d] {
			evaluateRoot(d)
		}
	}
	// Directories only reached through a cycle of module calls are still
	// scanned, as roots.
	for _, d := range order {
		if !visited[d] {
			evaluateRoot(d)
		}
	}
	return docs, l.problems
}

// loader reads and evaluates modules.
type loader struct {
	in       *iac.Input
	given    map[string][]byte
	parsed   map[string]*file
	problems []iac.Problem
	reported map[string]bool
}

func (l *loader) problem(p iac.Problem) {
	if l.reported == nil {
		l.reported = map[string]bool{}
	}
	k := fmt.Sprintf("%s:%d:%s", p.Path, p.Line, p.Message)
	if !l.reported[k] {
		l.reported[k] = true
		l.problems = append(l.problems, p)
	}
}

// read returns a file's content: one the scan handed over, or one read
// from the tree.
func (l *loader) read(p string) ([]byte, error) {
	if b, ok := l.given[p]; ok {
		return b, nil
	}
	if l.in.ReadFile == nil {
		return nil, fmt.Errorf("not read")
	}
	return l.in.ReadFile(p)
}

// parse parses a file once.
func (l *loader) parse(p string) *file {
	if f, ok := l.parsed[p]; ok {
		return f
	}
	b, err := l.read(p)
	if err != nil {
		l.problem(iac.Errorf(p, 0, "%v", err))
		l.parsed[p] = nil
		return nil
	}
	f, prob := parseFile(p, b)
	if prob != nil {
		l.problem(*prob)
	}
	l.parsed[p] = f
	return f
}

// moduleFiles parses the configuration files of a directory: those given,
// else those listed in the tree.
func (l *loader) moduleFiles(dir string, given []string) []*file {
	names := given
	if names == nil {
		if l.in.ReadDir == nil {
			return nil
		}
		ls, err := l.in.ReadDir(dir)
		if err != nil {
			return nil
		}
		for _, n := range ls {
			names = append(names, path.Join(dir, n))
		}
		sort.Strings(names)
	}
	var out []*file
	for _, n := range names {
		if !isConfig(path.Base(n)) {
			continue
		}
		if f := l.parse(n); f != nil {
			out = append(out, f)
		}
	}
	return out
}

// tfvars reads the variable files Terraform loads in a root directory, in
// Terraform's order: terraform.tfvars, terraform.tfvars.json, then the
// *.auto.tfvars files by name.
func (l *loader) tfvars(dir string, given []string) map[string]cty.Value {
	var files []string
	for _, n := range given {
		if isAutoVars(path.Base(n)) {
			files = append(files, n)
		}
	}
	sort.Slice(files, func(i, j int) bool {
		rank := func(s string) string {
			b := path.Base(s)
			switch b {
			case "terraform.tfvars":
				return "0"
			case "terraform.tfvars.json":
				return "1"
			}
			return "2" + b
		}
		return rank(files[i]) < rank(files[j])
	})
	vars := map[string]cty.Value{}
	for _, p := range files {
		src, err := l.read(p)
		if err != nil {
			l.problem(iac.Errorf(p, 0, "%v", err))
			continue
		}
		var hf *hcl.File
		var diags hcl.Diagnostics
		if strings.HasSuffix(p, ".json") {
			hf, diags = hcljson.Parse(src, p)
		} else {
			hf, diags = hclsyntax.ParseConfig(src, p, hcl.InitialPos)
		}
		if diags.HasErrors() {
			l.problem(*diagProblem(p, diags))
			continue
		}
		attrs, diags := hf.Body.JustAttributes()
		if diags.HasErrors() {
			l.problem(*diagProblem(p, diags))
			continue
		}
		for name, a := range attrs {
			vars[name] = eval(a.Expr, &hcl.EvalContext{Functions: functions})
		}
	}
	return vars
}

// root evaluates a root module into one document.
func (l *loader) root(dir string, given []string, visited map[string]bool) *iac.Document {
	files := l.moduleFiles(dir, given)
	visited[dir] = true
	if len(files) == 0 {
		return nil
	}
	d := &iac.Document{Input: "terraform", Path: files[0].path, Index: iac.Index{}}
	d.Index.Set(iac.Node{Path: files[0].path, Start: 1, End: 1})
	e := &evaluation{l: l, doc: d, resources: []any{}, providers: []any{}, visited: visited}
	e.module(dir, files, l.tfvars(dir, given), "", []string{dir})
	d.Value = map[string]any{"resources": e.resources, "providers": e.providers}
	return d
}

// evaluation builds one root module's document.
type evaluation struct {
	l         *loader
	doc       *iac.Document
	resources []any
	providers []any
	visited   map[string]bool
	modules   int
}

// module evaluates one module instance: prefix is its address
// ("module.net."), stack the directories of the calls that led here.
func (e *evaluation) module(dir string, files []*file, given map[string]cty.Value, prefix string, stack []string) {
	s := &scope{vars: map[string]cty.Value{}, locals: map[string]cty.Value{}, dir: dir}
	var localAttrs []attr
	for _, f := range files {
		for _, b := range f.body.blocks {
			switch b.typ {
			case "variable":
				if len(b.labels) == 0 {
					continue
				}
				name := b.labels[0]
				v, ok := given[name]
				if !ok {
					v = cty.DynamicVal
					if a := b.body.attr("default"); a != nil {
						v = eval(a.expr, &hcl.EvalContext{Functions: functions})
					}
				}
				s.vars[name] = v
			case "locals":
				for _, a := range b.body.attrs {
					localAttrs = append(localAttrs, a)
					s.locals[a.name] = cty.DynamicVal
				}
			}
		}
	}
	// Locals may refer to each other in any order: evaluate them in the
	// order of their references; those in a cycle stay unknown.
	evalLocals(s, localAttrs)
	for _, f := range files {
		for _, b := range f.body.blocks {
			switch b.typ {
			case "resource", "data":
				if len(b.labels) == 2 {
					e.resource(f, b, s, prefix)
				}
			case "provider":
				if len(b.labels) == 1 {
					i := len(e.providers)
					path := []any{"providers", i, "values"}
					e.doc.Index.Set(iac.Node{Path: f.path, Start: b.rng.Start.Line, End: b.rng.End.Line, Resource: prefix + "provider." + b.labels[0]}, "providers", i)
					e.providers = append(e.providers, map[string]any{"name": b.labels[0], "module": strings.TrimSuffix(prefix, "."), "values": e.values(f, b.body, s.ctx(nil), path)})
				}
			case "module":
				if len(b.labels) == 1 {
					e.call(f, b, s, prefix, stack)
				}
			}
		}
	}
}

// call evaluates a module block: a local module is read and evaluated
// with the call's arguments; a remote one is named in a notice.
func (e *evaluation) call(f *file, b block, s *scope, prefix string, stack []string) {
	name := b.labels[0]
	src := literal(b.body.attr("source"))
	line := b.rng.Start.Line
	if !isLocal(src) {
		e.l.problem(iac.Problem{Level: iac.LevelInfo, Path: f.path, Line: line,
			Message: fmt.Sprintf("module %q: source %q is not a local directory: it is not downloaded, and its resources are not scanned", name, src)})
		return
	}
	dir := path.Clean(path.Join(s.dir, src))
	for _, d := range stack {
		if d == dir {
			e.l.problem(iac.Errorf(f.path, line, "module %q: cyclic module calls (%s -> %s): the cycle is not followed", name, strings.Join(stack, " -> "), dir))
			return
		}
	}
	if len(stack) >= maxDepth {
		e.l.problem(iac.Errorf(f.path, line, "module %q: modules nested more than %d deep are not followed", name, maxDepth))
		return
	}
	if strings.HasPrefix(dir, "../") || dir == ".." {
		e.l.problem(iac.Problem{Level: iac.LevelWarning, Path: f.path, Line: line, Message: fmt.Sprintf("module %q: %s is outside the scanned tree: not scanned", name, src)})
		return
	}
	if e.modules++; e.modules > maxModules {
		e.l.problem(iac.Errorf(f.path, line, "module %q: more than %d module instances in one configuration: the rest are not followed", name, maxModules))
		return
	}
	files := e.l.moduleFiles(dir, nil)
	e.visited[dir] = true
	if len(files) == 0 {
		e.l.problem(iac.Errorf(f.path, line, "module %q: no Terraform files in %s", name, dir))
		return
	}
	c := s.ctx(nil)
	instances := []string{""}
	if a := b.body.attr("count"); a != nil {
		if v := eval(a.expr, c); v.IsKnown() && !v.IsNull() && v.Type() == cty.Number {
			n, _ := v.AsBigFloat().Int64()
			instances = nil
			for i := int64(0); i < min(n, maxInstances); i++ {
				instances = append(instances, fmt.Sprintf("[%d]", i))
			}
		}
	}
	args := map[string]cty.Value{}
	for _, a := range b.body.attrs {
		switch a.name {
		case "source", "version", "count", "for_each", "providers", "depends_on":
			continue
		}
		args[a.name] = eval(a.expr, c)
	}
	for _, inst := range instances {
		e.module(dir, files, args, prefix+"module."+name+inst+".", append(stack[:len(stack):len(stack)], dir))
	}
}

// resource evaluates a resource or data block into one entry per
// instance.
func (e *evaluation) resource(f *file, b block, s *scope, prefix string) {
	typ, name := b.labels[0], b.labels[1]
	base := typ + "." + name
	mode := "managed"
	if b.typ == "data" {
		base, mode = "data."+base, "data"
	}
	type instance struct {
		key   any
		extra map[string]cty.Value
	}
	instances := []instance{{}}
	c := s.ctx(nil)
	if a := b.body.attr("count"); a != nil {
		v := eval(a.expr, c)
		if v.IsKnown() && !v.IsNull() && v.Type() == cty.Number {
			n, _ := v.AsBigFloat().Int64()
			if n > maxInstances {
				e.l.problem(iac.Problem{Level: iac.LevelWarning, Path: f.path, Line: a.rng.Start.Line, Message: fmt.Sprintf("%s: count %d: only the first %d instances are scanned", base, n, maxInstances)})
			}
			instances = nil
			for i := int64(0); i < min(n, maxInstances); i++ {
				instances = append(instances, instance{key: int(i), extra: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(i)})}})
			}
		} else {
			instances = []instance{{key: 0, extra: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.UnknownVal(cty.Number)})}}}
		}
	} else if a := b.body.attr("for_each"); a != nil {
		v := eval(a.expr, c)
		if v.IsWhollyKnown() && !v.IsNull() && (v.CanIterateElements()) {
			instances = nil
			for it := v.ElementIterator(); it.Next() && len(instances) < maxInstances; {
				k, val := it.Element()
				if v.Type().IsSetType() || v.Type().IsListType() || v.Type().IsTupleType() {
					k = val
				}
				key := "?"
				if k.Type() == cty.String {
					key = k.AsString()
				}
				instances = append(instances, instance{key: key, extra: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": k, "value": val})}})
			}
		} else {
			instances = []instance{{key: "?", extra: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.UnknownVal(cty.String), "value": cty.DynamicVal})}}}
		}
	}
	for _, inst := range instances {
		if len(e.resources) >= maxResources {
			e.l.problem(iac.Errorf(f.path, b.rng.Start.Line, "more than %d resource instances in one configuration: the rest are not scanned", maxResources))
			return
		}
		addr := prefix + base
		switch k := inst.key.(type) {
		case int:
			addr += fmt.Sprintf("[%d]", k)
		case string:
			addr += fmt.Sprintf("[%q]", k)
		}
		i := len(e.resources)
		e.doc.Index.Set(iac.Node{Path: f.path, Start: b.rng.Start.Line, End: b.rng.End.Line, Resource: addr}, "resources", i)
		values := e.values(f, b.body, s.ctx(inst.extra), []any{"resources", i, "values"})
		e.resources = append(e.resources, map[string]any{
			"address": addr, "module": strings.TrimSuffix(prefix, "."), "mode": mode,
			"type": typ, "name": name, "index": inst.key, "values": values,
		})
	}
}

// values evaluates a block's body: attributes, and nested blocks as lists
// of objects (dynamic blocks expanded), indexing each part under at.
func (e *evaluation) values(f *file, b *body, c *hcl.EvalContext, at []any) map[string]any {
	out := map[string]any{}
	for _, a := range b.attrs {
		switch a.name {
		case "count", "for_each", "depends_on", "provider":
			continue
		}
		out[a.name] = goValue(eval(a.expr, c), source(a.expr, f.src))
		e.doc.Index.Set(iac.Node{Path: f.path, Start: a.rng.Start.Line, End: a.rng.End.Line}, append(at, a.name)...)
	}
	for _, blk := range b.blocks {
		switch blk.typ {
		case "provisioner", "connection":
			continue
		case "dynamic":
			if len(blk.labels) == 1 {
				e.dynamic(f, blk, c, at, out)
			}
			continue
		}
		list, _ := out[blk.typ].([]any)
		p := append(at[:len(at):len(at)], blk.typ, len(list))
		e.doc.Index.Set(iac.Node{Path: f.path, Start: blk.rng.Start.Line, End: blk.rng.End.Line}, p...)
		out[blk.typ] = append(list, e.values(f, blk.body, c, p))
	}
	return out
}

// dynamic expands a dynamic block: one block per element of for_each,
// with the iterator (the block's type, or iterator = name) bound.
func (e *evaluation) dynamic(f *file, blk block, c *hcl.EvalContext, at []any, out map[string]any) {
	typ := blk.labels[0]
	iter := typ
	if a := blk.body.attr("iterator"); a != nil {
		if t := hcl.ExprAsKeyword(a.expr); t != "" {
			iter = t
		}
	}
	var content *block
	for i := range blk.body.blocks {
		if blk.body.blocks[i].typ == "content" {
			content = &blk.body.blocks[i]
		}
	}
	if content == nil {
		return
	}
	var elems [][2]cty.Value
	if a := blk.body.attr("for_each"); a != nil {
		v := eval(a.expr, c)
		if v.IsWhollyKnown() && !v.IsNull() && v.CanIterateElements() {
			for it := v.ElementIterator(); it.Next() && len(elems) < maxInstances; {
				k, val := it.Element()
				elems = append(elems, [2]cty.Value{k, val})
			}
		} else {
			elems = [][2]cty.Value{{cty.DynamicVal, cty.DynamicVal}}
		}
	}
	for _, kv := range elems {
		vars := map[string]cty.Value{}
		for k, v := range c.Variables {
			vars[k] = v
		}
		vars[iter] = cty.ObjectVal(map[string]cty.Value{"key": kv[0], "value": kv[1]})
		cc := &hcl.EvalContext{Variables: vars, Functions: c.Functions}
		list, _ := out[typ].([]any)
		p := append(at[:len(at):len(at)], typ, len(list))
		e.doc.Index.Set(iac.Node{Path: f.path, Start: content.rng.Start.Line, End: content.rng.End.Line}, p...)
		out[typ] = append(list, e.values(f, content.body, cc, p))
	}
}

// literal is a string attribute's value when it needs no evaluation.
func literal(a *attr) string {
	if a == nil {
		return ""
	}
	v := eval(a.expr, &hcl.EvalContext{Functions: functions})
	if v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
		return v.AsString()
	}
	return ""
}

func isLocal(src string) bool {
	return strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../")
}

// evalLocals evaluates locals in the order their references need: a
// local is evaluated once every local it names is; those left (a cycle)
// stay unknown.
func evalLocals(s *scope, attrs []attr) {
	deps := make([]map[string]bool, len(attrs))
	for i, a := range attrs {
		deps[i] = map[string]bool{}
		for _, t := range a.expr.Variables() {
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			if at, ok := t[1].(hcl.TraverseAttr); ok {
				deps[i][at.Name] = true
			}
		}
	}
	done := map[string]bool{}
	for progress := true; progress; {
		progress = false
		c := s.ctx(nil)
		for i, a := range attrs {
			if done[a.name] {
				continue
			}
			ready := true
			for d := range deps[i] {
				if !done[d] && d != "" {
					if _, declared := s.locals[d]; declared {
						ready = false
						break
					}
				}
			}
			if !ready {
				continue
			}
			s.locals[a.name] = eval(a.expr, c)
			done[a.name] = true
			progress = true
			c = s.ctx(nil)
		}
	}
}
