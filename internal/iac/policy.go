package iac

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/airlock-sec/airlock/internal/finding"
)

// PackagePrefix is the package every policy lives under:
// airlock.<input>.<name>, with a rule "deny".
const PackagePrefix = "airlock"

// Policy is one check, described by its METADATA annotation.
type Policy struct {
	// ID is stable ("DF002"): findings, ignores and reports name it.
	ID          string
	Title       string
	Description string
	Remediation string
	Severity    finding.Severity
	// References are links about the check.
	References []string
	// Benchmarks are the benchmark controls it maps to ("CIS Docker 4.1").
	Benchmarks []string
	// Input is the parser whose documents it reads.
	Input string
	// Package is the Rego package ("airlock.dockerfile.df002"); File the
	// file it came from.
	Package string
	File    string
	// Custom marks a policy of the user's (--iac-policies).
	Custom bool
}

// Source is the text of one Rego file.
type Source struct {
	// Name names the file in errors.
	Name string
	Text string
}

// Set is a compiled set of policies with one prepared query per input.
type Set struct {
	// Policies are sorted by ID.
	Policies  []*Policy
	byPackage map[string]*Policy
	queries   map[string]rego.PreparedEvalQuery
}

// Compile parses and compiles Rego v1 modules. Every module must be a
// policy (package airlock.<input>.<name> with a METADATA annotation naming
// at least custom.id, title and custom.severity) or a library the
// policies import (any other package). Errors name the file and line.
func Compile(ctx context.Context, srcs []Source, custom bool) (*Set, error) {
	s := &Set{byPackage: map[string]*Policy{}, queries: map[string]rego.PreparedEvalQuery{}}
	// Parsing and compiling are most of a scan's start-up: the files are
	// parsed on every core, and each input's policies compiled on its own
	// beside the others (libraries are compiled with each).
	parsed := make([]*ast.Module, len(srcs))
	errs := make([]error, len(srcs))
	parallel(len(srcs), func(i int) {
		parsed[i], errs[i] = ast.ParseModuleWithOpts(srcs[i].Name, srcs[i].Text, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
	})
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("iac policy: %w", err)
	}
	libs := map[string]*ast.Module{}
	byInput := map[string]map[string]*ast.Module{}
	ids := map[string]string{}
	for i, src := range srcs {
		m := parsed[i]
		if _, dup := libs[src.Name]; dup {
			return nil, fmt.Errorf("iac policy: %s: two files of that name", src.Name)
		}
		p, err := describe(src.Name, m)
		if err != nil {
			return nil, err
		}
		if p == nil {
			libs[src.Name] = m // a library
			continue
		}
		p.Custom = custom
		if other, dup := ids[p.ID]; dup {
			return nil, fmt.Errorf("iac policy: %s: id %s is also the id of %s", src.Name, p.ID, other)
		}
		if s.byPackage[p.Package] != nil {
			return nil, fmt.Errorf("iac policy: %s: package %s is also the package of %s", src.Name, p.Package, s.byPackage[p.Package].File)
		}
		ids[p.ID] = src.Name
		s.byPackage[p.Package] = p
		s.Policies = append(s.Policies, p)
		if byInput[p.Input] == nil {
			byInput[p.Input] = map[string]*ast.Module{}
		}
		byInput[p.Input][src.Name] = m
	}
	sort.Slice(s.Policies, func(i, j int) bool { return s.Policies[i].ID < s.Policies[j].ID })
	if len(byInput) == 0 && len(libs) > 0 {
		// Only libraries: still check that they compile.
		byInput[""] = map[string]*ast.Module{}
	}
	var inputs []string
	for in := range byInput {
		inputs = append(inputs, in)
	}
	sort.Strings(inputs)
	queries := make([]rego.PreparedEvalQuery, len(inputs))
	errs = make([]error, len(inputs))
	parallel(len(inputs), func(i int) {
		in := inputs[i]
		mods := map[string]*ast.Module{}
		for k, m := range libs {
			mods[k] = m.Copy()
		}
		for k, m := range byInput[in] {
			mods[k] = m
		}
		c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
		c.Compile(mods)
		if c.Failed() {
			errs[i] = fmt.Errorf("iac policy: %w", c.Errors)
			return
		}
		if in == "" {
			return
		}
		queries[i], errs[i] = rego.New(
			rego.Query(fmt.Sprintf("data.%s.%s[name].deny[result]", PackagePrefix, in)),
			rego.Compiler(c),
			rego.SetRegoVersion(ast.RegoV1),
		).PrepareForEval(ctx)
		if errs[i] != nil {
			errs[i] = fmt.Errorf("iac policy: prepare the %s query: %w", in, errs[i])
		}
	})
	for i, in := range inputs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if in != "" {
			s.queries[in] = queries[i]
		}
	}
	return s, nil
}

// parallel runs f(0..n-1) on every core.
func parallel(n int, f func(int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(n, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// describe reads a policy's metadata; nil for a module that is not a
// policy.
func describe(file string, m *ast.Module) (*Policy, error) {
	path := m.Package.Path // data.airlock.<input>.<name>
	parts := make([]string, 0, len(path))
	for _, t := range path[1:] {
		s, ok := t.Value.(ast.String)
		if !ok {
			return nil, fmt.Errorf("iac policy: %s: package %s: only plain names", file, path)
		}
		parts = append(parts, string(s))
	}
	if len(parts) == 0 || parts[0] != PackagePrefix {
		return nil, nil
	}
	at := func(msg string, args ...any) error {
		return fmt.Errorf("iac policy: %s:%d: %s", file, m.Package.Location.Row, fmt.Sprintf(msg, args...))
	}
	if len(parts) != 3 {
		return nil, at("package %s: a policy's package is %s.<input>.<name>", strings.Join(parts, "."), PackagePrefix)
	}
	var a *ast.Annotations
	for _, x := range m.Annotations {
		if x.Scope == "package" {
			a = x
		}
	}
	if a == nil {
		return nil, at("no METADATA annotation before the package (title, description, custom.id, custom.severity)")
	}
	p := &Policy{Input: parts[1], Package: strings.Join(parts, "."), File: file, Title: strings.TrimSpace(a.Title), Description: strings.TrimSpace(a.Description)}
	str := func(key string) (string, error) {
		v, ok := a.Custom[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", at("METADATA custom.%s: a string is expected", key)
		}
		return strings.TrimSpace(s), nil
	}
	var err error
	if p.ID, err = str("id"); err != nil {
		return nil, err
	}
	if p.Remediation, err = str("remediation"); err != nil {
		return nil, err
	}
	sev, err := str("severity")
	if err != nil {
		return nil, err
	}
	switch {
	case p.ID == "":
		return nil, at("METADATA: custom.id is required")
	case strings.ContainsAny(p.ID, " \t\n"):
		return nil, at("METADATA custom.id %q: no spaces", p.ID)
	case p.Title == "":
		return nil, at("METADATA: title is required")
	}
	var ok bool
	if p.Severity, ok = finding.ParseSeverity(sev); !ok || p.Severity == finding.Unknown {
		return nil, at("METADATA custom.severity %q: one of critical, high, medium, low, info", sev)
	}
	switch v := a.Custom["benchmark"].(type) {
	case nil:
	case string:
		p.Benchmarks = []string{v}
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, at("METADATA custom.benchmark: strings are expected")
			}
			p.Benchmarks = append(p.Benchmarks, s)
		}
	default:
		return nil, at("METADATA custom.benchmark: a string or a list of strings is expected")
	}
	for _, r := range a.RelatedResources {
		p.References = append(p.References, r.Ref.String())
	}
	if !slices.ContainsFunc(m.Rules, func(r *ast.Rule) bool { return r.Head.Name == "deny" || r.Head.Reference.String() == "deny" }) {
		return nil, at("no rule named deny")
	}
	return p, nil
}

// Policy returns the policy of an id; nil when there is none.
func (s *Set) Policy(id string) *Policy {
	for _, p := range s.Policies {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Result is one thing a policy reported about a document.
type Result struct {
	Policy  *Policy
	Message string
	// Node is where it is: the nearest part of the document the index
	// knows at or above the path the policy named.
	Node Node
	// Path is the path the policy named.
	Path []any
	// Attribute names the offending setting ("USER", "ingress.cidr_blocks");
	// Expected says what it should be, Actual what it is.
	Attribute, Expected, Actual string
}

// Eval runs the set's policies for d's input over d.
func (s *Set) Eval(ctx context.Context, d *Document) ([]Result, error) {
	q, ok := s.queries[d.Input]
	if !ok {
		return nil, nil
	}
	v, err := ast.InterfaceToValue(d.Value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Path, err)
	}
	rs, err := q.Eval(ctx, rego.EvalParsedInput(v))
	if err != nil {
		return nil, fmt.Errorf("%s: policies: %w", d.Path, err)
	}
	var out []Result
	for _, r := range rs {
		name, _ := r.Bindings["name"].(string)
		p := s.byPackage[PackagePrefix+"."+d.Input+"."+name]
		if p == nil {
			continue
		}
		res, err := decodeResult(r.Bindings["result"])
		if err != nil {
			return nil, fmt.Errorf("%s: policy %s (%s): %w", d.Path, p.ID, p.File, err)
		}
		res.Policy = p
		res.Node = d.Locate(res.Path)
		if res.Message == "" {
			res.Message = p.Title
		}
		out = append(out, res)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Node.Path != b.Node.Path {
			return a.Node.Path < b.Node.Path
		}
		if a.Node.Start != b.Node.Start {
			return a.Node.Start < b.Node.Start
		}
		if a.Policy.ID != b.Policy.ID {
			return a.Policy.ID < b.Policy.ID
		}
		return a.Message < b.Message
	})
	return out, nil
}

// decodeResult reads what a deny rule produced: a message, or an object
// with msg and optionally path, attribute, expected, actual.
func decodeResult(v any) (Result, error) {
	switch x := v.(type) {
	case string:
		return Result{Message: x}, nil
	case map[string]any:
		var r Result
		for k, val := range x {
			switch k {
			case "msg":
				s, ok := val.(string)
				if !ok {
					return r, errors.New("msg: a string is expected")
				}
				r.Message = s
			case "path":
				l, ok := val.([]any)
				if !ok {
					return r, errors.New("path: a list of keys and indexes is expected")
				}
				for _, e := range l {
					switch e.(type) {
					case string, json.Number:
					default:
						return r, fmt.Errorf("path: %v is neither a key nor an index", e)
					}
				}
				r.Path = l
			case "attribute":
				r.Attribute = text(val)
			case "expected":
				r.Expected = text(val)
			case "actual":
				r.Actual = text(val)
			}
		}
		return r, nil
	}
	return Result{}, fmt.Errorf("deny produced %T: a message or an object with msg is expected", v)
}

// text renders a value as a finding shows it: strings as they are, the
// rest as JSON.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// LoadDir reads the Rego files of a directory and its subdirectories
// (the user's policies, --iac-policies), leaving out Rego tests
// (*_test.rego). A directory without any is an error: a mistyped path
// must not pass as "no findings".
func LoadDir(dir string) ([]Source, error) {
	var out []Source
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, Source{Name: p, Text: string(b)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("iac policies: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("iac policies: %s holds no .rego files", dir)
	}
	return out, nil
}
