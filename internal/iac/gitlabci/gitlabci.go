// Package gitlabci reads GitLab CI configurations (.gitlab-ci.yml and the
// files it includes with include:local) into the input of the gitlabci
// policies: one document per pipeline, includes merged the way GitLab
// merges them, jobs with extends: resolved, every key located in the file
// it was written in.
//
// The input shape (see docs/iac.md):
//
//	{"variables": {"DEPLOY_TOKEN": "glpat-...", "TAG": {"value": "1.2", "description": "..."}},
//	 "default": {"image": "alpine:3.20", "services": [...], "before_script": [...]},
//	 "stages": ["build", "test"],
//	 "jobs": {"build": {"stage": "build", "image": {"name": "golang:1.22"},
//	                    "variables": {...}, "script": ["go build ./..."]}},
//	 "hidden": {".template": {...}}}
//
// Remote, project, template and component includes are never fetched: an
// info notice names each one. Top-level image, services, before_script,
// after_script and cache (the deprecated global forms) stay at the top.
package gitlabci

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/airlock-sec/airlock/internal/iac"
)

// Parser reads GitLab CI configurations.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Name implements iac.Parser.
func (*Parser) Name() string { return "gitlabci" }

// FileRequired implements iac.Parser: .gitlab-ci.yml, and CI templates
// named *.gitlab-ci.yml.
func (*Parser) FileRequired(p string) bool {
	b := path.Base(p)
	for _, ext := range []string{".gitlab-ci.yml", ".gitlab-ci.yaml"} {
		if strings.HasSuffix(b, ext) {
			return true
		}
	}
	return false
}

// reserved are the top-level keywords that are not jobs.
var reserved = map[string]bool{
	"default": true, "include": true, "stages": true, "variables": true, "workflow": true,
	"image": true, "services": true, "before_script": true, "after_script": true, "cache": true, "spec": true,
}

// Limits GitLab applies: includes per pipeline, extends depth, nested
// !reference tags.
const (
	maxIncludes   = 150
	maxExtends    = 11
	maxReferences = 10
	maxDerefs     = 2000
)

// refTag is GitLab's tag for reusing another job's section.
const refTag = "!reference"

// Parse implements iac.Parser: one document per configuration that no
// other claimed file includes.
func (p *Parser) Parse(ctx context.Context, in *iac.Input) ([]*iac.Document, []iac.Problem) {
	files := map[string][]byte{}
	for _, f := range in.Files {
		files[f.Path] = f.Content
	}
	// Files that another claimed file includes are read as part of it.
	included := map[string]bool{}
	for _, f := range in.Files {
		if len(in.Files) == 1 {
			break // nothing else claimed can include it
		}
		l := &loader{in: in, files: files}
		cfg, _, err := l.file(f.Path, f.Content)
		if err == nil {
			for _, inc := range l.locals(cfg) {
				if inc != f.Path {
					included[inc] = true
				}
			}
		}
	}
	var docs []*iac.Document
	var probs []iac.Problem
	for _, f := range in.Files {
		if ctx.Err() != nil {
			break
		}
		if included[f.Path] {
			continue
		}
		d, ps := Load(in, f.Path, f.Content)
		probs = append(probs, ps...)
		if d != nil {
			docs = append(docs, d)
		}
	}
	return docs, probs
}

// Load reads the configuration at file with its local includes read
// through in (in.Files first, then in.ReadFile); nil for an empty file.
func Load(in *iac.Input, file string, content []byte) (*iac.Document, []iac.Problem) {
	files := map[string][]byte{}
	for _, f := range in.Files {
		files[f.Path] = f.Content
	}
	l := &loader{in: in, files: files}
	cfg, idx, err := l.load(file, content, nil)
	if err != nil {
		var le *iac.LineError
		line := 0
		at := file
		var fe *fileError
		if errors.As(err, &fe) {
			at = fe.file
		}
		if errors.As(err, &le) {
			line = le.Line
		}
		l.probs = append(l.probs, iac.Errorf(at, line, "not read as a GitLab CI configuration: %v", err))
		return nil, l.probs
	}
	if cfg == nil {
		return nil, l.probs
	}
	l.root = idx
	if l.root == nil {
		l.root = &loc{}
	}
	l.references(file, cfg)
	d := l.document(file, cfg)
	return d, l.probs
}

// fileError is an error in an included file.
type fileError struct {
	file string
	err  error
}

func (e *fileError) Error() string { return e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

type loader struct {
	in    *iac.Input
	files map[string][]byte
	root  *loc
	probs []iac.Problem
	count int
	// unfetched: the configuration has includes airlock does not read.
	unfetched bool
	derefs    int // !reference tags resolved
}

// file parses one file into its top-level mapping and index.
func (l *loader) file(name string, content []byte) (map[string]any, iac.Index, error) {
	ys, err := iac.ParseYAMLTagged(name, content, refTag)
	if err != nil {
		return nil, nil, err
	}
	// A file with a spec: header (CI/CD inputs) has its configuration in
	// the second document.
	if len(ys) > 1 {
		if m, ok := ys[0].Value.(map[string]any); ok && len(m) == 1 && m["spec"] != nil {
			ys = ys[1:]
		}
	}
	if len(ys) == 0 || ys[0].Value == nil {
		return nil, nil, nil
	}
	m, ok := ys[0].Value.(map[string]any)
	if !ok {
		return nil, nil, &iac.LineError{Line: ys[0].Start, Err: errors.New("a GitLab CI configuration is a mapping of keywords and jobs")}
	}
	return m, ys[0].Index, nil
}

// include is one entry of include:.
type include struct {
	kind, target string
	line         int
	path         []any
}

// includes lists the entries of a configuration's include:.
func includes(cfg map[string]any, idx iac.Index) []include {
	var out []include
	line := func(p ...any) int { return idx[iac.Key(p...)].Start }
	one := func(v any, p []any) {
		switch x := v.(type) {
		case string:
			k := "local"
			if strings.HasPrefix(x, "http://") || strings.HasPrefix(x, "https://") {
				k = "remote"
			}
			out = append(out, include{kind: k, target: x, line: line(p...), path: p})
		case map[string]any:
			for _, k := range []string{"local", "remote", "project", "template", "component"} {
				if t, ok := x[k]; ok {
					s, _ := t.(string)
					if k == "project" {
						if f, ok := x["file"]; ok {
							s = fmt.Sprintf("%s:%v", s, f)
						}
					}
					out = append(out, include{kind: k, target: s, line: line(append(p, k)...), path: p})
					return
				}
			}
		}
	}
	switch x := cfg["include"].(type) {
	case []any:
		for i, v := range x {
			one(v, []any{"include", i})
		}
	case nil:
	default:
		one(x, []any{"include"})
	}
	return out
}

// locals are the local files a configuration includes directly.
func (l *loader) locals(cfg map[string]any) []string {
	var out []string
	for _, inc := range includes(cfg, iac.Index{}) {
		if inc.kind == "local" {
			ps, _ := l.expand(inc.target)
			out = append(out, ps...)
		}
	}
	return out
}

// expand turns an include:local target into repository paths: a leading
// slash and ./ are the root; * matches within one directory.
func (l *loader) expand(target string) ([]string, error) {
	p := path.Clean("/" + strings.TrimSpace(target))[1:]
	if p == "" {
		return nil, errors.New("an empty path")
	}
	if strings.Contains(p, "**") {
		return nil, errors.New("** globs are not read")
	}
	if !strings.ContainsAny(p, "*?[") {
		return []string{p}, nil
	}
	dir, pat := path.Split(p)
	if strings.ContainsAny(dir, "*?[") {
		return nil, errors.New("globs in directory names are not read")
	}
	var names []string
	if l.in.ReadDir != nil {
		names, _ = l.in.ReadDir(strings.TrimSuffix(dir, "/"))
	}
	var out []string
	for _, n := range names {
		if ok, _ := path.Match(pat, n); ok && (strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml")) {
			out = append(out, dir+n)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (l *loader) read(p string) ([]byte, error) {
	if b, ok := l.files[p]; ok {
		return b, nil
	}
	if l.in.ReadFile == nil {
		return nil, errors.New("not among the scanned files")
	}
	return l.in.ReadFile(p)
}

// load reads a file and its includes, merged: included files first in
// order, the file itself last (it wins). stack holds the files being
// read, for cycles.
func (l *loader) load(file string, content []byte, stack []string) (map[string]any, *loc, error) {
	cfg, idx, err := l.file(file, content)
	if err != nil {
		return nil, nil, &fileError{file: file, err: err}
	}
	if cfg == nil {
		return nil, nil, nil
	}
	stack = append(stack, file)
	out, oloc := map[string]any{}, &loc{}
	for _, inc := range includes(cfg, idx) {
		if inc.kind != "local" {
			l.unfetched = true
			l.probs = append(l.probs, iac.Problem{Level: iac.LevelInfo, Path: file, Line: inc.line,
				Message: fmt.Sprintf("%s include %s is not fetched: airlock reads local includes only", inc.kind, inc.target)})
			continue
		}
		paths, err := l.expand(inc.target)
		if err != nil {
			l.probs = append(l.probs, iac.Problem{Level: iac.LevelWarning, Path: file, Line: inc.line, Message: fmt.Sprintf("include %s is not read: %v", inc.target, err)})
			continue
		}
		for _, p := range paths {
			if containsName(stack, p) {
				return nil, nil, &fileError{file: file, err: &iac.LineError{Line: inc.line, Err: fmt.Errorf("include cycle: %s -> %s", strings.Join(stack, " -> "), p)}}
			}
			if l.count++; l.count > maxIncludes {
				return nil, nil, &fileError{file: file, err: &iac.LineError{Line: inc.line, Err: fmt.Errorf("more than %d includes", maxIncludes)}}
			}
			b, err := l.read(p)
			if err != nil {
				// GitLab would refuse the pipeline; the files that are
				// there are still read.
				l.probs = append(l.probs, iac.Problem{Level: iac.LevelWarning, Path: file, Line: inc.line, Message: fmt.Sprintf("include %s is not read (the pipeline is read without it): %v", p, err)})
				continue
			}
			sub, sloc, err := l.load(p, b, stack)
			if err != nil {
				return nil, nil, err
			}
			if sub != nil {
				deepMerge(out, oloc, sub, sloc)
			}
		}
	}
	delete(cfg, "include")
	own := tree(idx)
	delete(own.kids, "include")
	deepMerge(out, oloc, cfg, own)
	return out, oloc, nil
}

// loc is an index as a tree: where a part of a configuration is, and
// where its keys are. Merging moves whole subtrees.
type loc struct {
	n    *iac.Node
	kids map[string]*loc
}

// tree turns an index (of one file) into a loc tree.
func tree(x iac.Index) *loc {
	root := &loc{}
	for k, n := range x {
		cur := root
		if k != "" {
			for _, part := range strings.Split(k[1:], "\x1f") {
				cur = cur.child(part)
			}
		}
		cur.n = &n
	}
	return root
}

func (l *loc) child(k string) *loc {
	if l.kids == nil {
		l.kids = map[string]*loc{}
	}
	c := l.kids[k]
	if c == nil {
		c = &loc{}
		l.kids[k] = c
	}
	return c
}

func (l *loc) get(k string) *loc {
	if l == nil {
		return nil
	}
	return l.kids[k]
}

func (l *loc) node() iac.Node {
	if l == nil || l.n == nil {
		return iac.Node{}
	}
	return *l.n
}

// copy is a deep copy, for a job that another extends.
func (l *loc) copy() *loc {
	if l == nil {
		return nil
	}
	c := &loc{n: l.n}
	if l.kids != nil {
		c.kids = make(map[string]*loc, len(l.kids))
		for k, v := range l.kids {
			c.kids[k] = v.copy()
		}
	}
	return c
}

// name sets the resource of every node that names none.
func (l *loc) name(resource string) {
	if l.n != nil && l.n.Resource == "" {
		n := *l.n
		n.Resource = resource
		l.n = &n
	}
	for _, c := range l.kids {
		c.name(resource)
	}
}

// flatten writes the tree into x under prefix.
func (l *loc) flatten(x iac.Index, prefix string) {
	if l == nil {
		return
	}
	if l.n != nil && l.n.Path != "" && l.n.Start >= 1 {
		x[prefix] = *l.n
	}
	for k, c := range l.kids {
		c.flatten(x, prefix+"\x1f"+k)
	}
}

// document resolves extends and makes the policies' input.
func (l *loader) document(file string, cfg map[string]any) *iac.Document {
	jobs := map[string]any{}
	hidden := map[string]any{}
	value := map[string]any{}
	root := &loc{n: &iac.Node{Path: file, Start: 1, End: 1}}
	r := &resolver{cfg: cfg, root: l.root, done: map[string]map[string]any{}, dloc: map[string]*loc{}, l: l, file: file}
	// In key order, so problems come out the same every time.
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg[k]
		if reserved[k] {
			value[k] = v
			if c := l.root.get(k); c != nil {
				root.child(k).n, root.child(k).kids = c.n, c.kids
			}
			continue
		}
		if _, ok := v.(map[string]any); !ok {
			continue // an anchor holder or a mistake; GitLab rejects non-mapping jobs
		}
		job, jloc := r.job(k, nil)
		dst, kind := jobs, "jobs"
		if strings.HasPrefix(k, ".") {
			dst, kind = hidden, "hidden"
		}
		dst[k] = job
		c := root.child(kind).child(k)
		if jloc != nil {
			c.kids = jloc.kids
			if jloc.n != nil {
				n := *jloc.n
				c.n = &n
			}
		}
		if c.n == nil {
			c.n = &iac.Node{}
		}
		c.n.Resource = "job " + k
	}
	for _, k := range []string{"default", "variables"} {
		if c := root.get(k); c != nil && c.n != nil {
			n := *c.n
			n.Resource = k
			c.n = &n
		}
	}
	value["jobs"], value["hidden"] = jobs, hidden
	idx := iac.Index{}
	root.flatten(idx, "")
	// Resources on nodes without a line still name the job.
	for _, kind := range []string{"jobs", "hidden"} {
		jl := root.get(kind)
		if jl == nil {
			continue
		}
		for k, c := range jl.kids {
			if c.n != nil && c.n.Start < 1 {
				idx[iac.Key(kind, k)] = iac.Node{Path: file, Start: 1, End: 1, Resource: c.n.Resource}
			}
		}
	}
	return &iac.Document{Input: "gitlabci", Path: file, Value: value, Index: idx}
}

// resolver resolves extends: once per job.
type resolver struct {
	cfg  map[string]any
	root *loc
	done map[string]map[string]any
	dloc map[string]*loc
	l    *loader
	file string
}

// job returns a job with what it extends merged in, and its locations.
func (r *resolver) job(name string, stack []string) (map[string]any, *loc) {
	if j, ok := r.done[name]; ok {
		return j, r.dloc[name]
	}
	raw, _ := r.cfg[name].(map[string]any)
	own := r.root.get(name)
	if own == nil {
		own = &loc{}
	}
	var parents []string
	switch x := raw["extends"].(type) {
	case string:
		parents = []string{x}
	case []any:
		for _, p := range x {
			if s, ok := p.(string); ok {
				parents = append(parents, s)
			}
		}
	}
	if len(parents) == 0 {
		r.done[name], r.dloc[name] = raw, own
		return raw, own
	}
	at := own.get("extends").node()
	problem := func(format string, args ...any) {
		path := at.Path
		if path == "" {
			path = r.file
		}
		r.l.probs = append(r.l.probs, iac.Errorf(path, at.Start, "job %s: "+format, append([]any{name}, args...)...))
	}
	stack = append(stack, name)
	if len(stack) > maxExtends {
		problem("extends nests more than %d deep", maxExtends)
		return raw, own
	}
	out, oloc := map[string]any{}, &loc{n: own.n}
	for _, p := range parents {
		if containsName(stack, p) {
			problem("extends cycle: %s -> %s", strings.Join(stack, " -> "), p)
			return raw, own
		}
		if _, ok := r.cfg[p].(map[string]any); !ok {
			// GitLab refuses the pipeline, unless the parent comes from an
			// include airlock does not fetch: the job is read without it.
			level, why := iac.LevelWarning, "not a job of this configuration"
			if r.l.unfetched {
				level, why = iac.LevelInfo, "not a job of this configuration or of its local includes (it may come from an include that is not fetched)"
			}
			r.l.probs = append(r.l.probs, iac.Problem{Level: level, Path: cmp.Or(at.Path, r.file), Line: at.Start, Message: fmt.Sprintf("job %s: extends %s, %s", name, p, why)})
			continue
		}
		pj, ploc := r.job(p, stack)
		inherited := ploc.copy()
		// What a job inherits is edited in the job that writes it: its
		// keys name that job as their resource.
		for _, c := range inherited.kids {
			c.name("job " + p)
		}
		deepMerge(out, oloc, copyValue(pj).(map[string]any), inherited)
	}
	self := map[string]any{}
	for k, v := range raw {
		self[k] = v
	}
	deepMerge(out, oloc, self, own.copy())
	oloc.n = own.n
	r.done[name], r.dloc[name] = out, oloc
	return out, oloc
}

func containsName(stack []string, n string) bool {
	for _, s := range stack {
		if s == n {
			return true
		}
	}
	return false
}

// deepMerge merges src (located by sloc) into dst (located by dloc):
// mappings merged, anything else replaced, src winning.
func deepMerge(dst map[string]any, dloc *loc, src map[string]any, sloc *loc) {
	for k, sv := range src {
		sk := sloc.get(k)
		if dm, ok := dst[k].(map[string]any); ok {
			if sm, ok := sv.(map[string]any); ok {
				c := dloc.child(k)
				if sk != nil && sk.n != nil {
					c.n = sk.n
				}
				deepMerge(dm, c, sm, sk)
				continue
			}
		}
		dst[k] = sv
		if sk != nil {
			if dloc.kids == nil {
				dloc.kids = map[string]*loc{}
			}
			dloc.kids[k] = sk
		} else if dloc.kids != nil {
			delete(dloc.kids, k)
		}
	}
}

// copyValue copies mappings and lists, so merging into a job does not
// change the job it extends.
func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = copyValue(e)
		}
		return l
	}
	return v
}

// references replaces every !reference [job, key, ...] of the merged
// configuration with a copy of the section it names, located where that
// section is written and naming its job as the resource (a finding in it
// is edited there, and reported once however many jobs reuse it). A
// reference inside a list brings a list (GitLab flattens it one level; so
// do the policies). An unknown section is a warning at the tag's line and
// the job is read without it; nesting is bounded as GitLab bounds it.
func (l *loader) references(file string, cfg map[string]any) {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, lc := l.resolveRefs(file, cfg, cfg[k], l.root.get(k), 0)
		cfg[k] = v
		if lc != nil {
			l.root.child(k).n, l.root.child(k).kids = lc.n, lc.kids
		}
	}
}

// resolveRefs resolves the references in v (located by lc).
func (l *loader) resolveRefs(file string, cfg map[string]any, v any, lc *loc, depth int) (any, *loc) {
	switch x := v.(type) {
	case map[string]any:
		if raw, ok := x[refTag]; ok && len(x) == 1 {
			return l.deref(file, cfg, raw, lc, depth)
		}
		for k, e := range x {
			nv, nl := l.resolveRefs(file, cfg, e, lc.get(k), depth)
			x[k] = nv
			if nl != nil && lc != nil {
				lc.child(k).n, lc.child(k).kids = nl.n, nl.kids
			}
		}
	case []any:
		for i, e := range x {
			k := strconv.Itoa(i)
			nv, nl := l.resolveRefs(file, cfg, e, lc.get(k), depth)
			x[i] = nv
			if nl != nil && lc != nil {
				lc.child(k).n, lc.child(k).kids = nl.n, nl.kids
			}
		}
	}
	return v, lc
}

// deref is the section a !reference names, resolved in turn.
func (l *loader) deref(file string, cfg map[string]any, raw any, lc *loc, depth int) (any, *loc) {
	at := lc.node()
	if at.Path == "" {
		at.Path = file
	}
	var path []string
	list, _ := raw.([]any)
	for _, e := range list {
		if s, ok := e.(string); ok {
			path = append(path, s)
		}
	}
	warn := func(format string, a ...any) (any, *loc) {
		l.probs = append(l.probs, iac.Problem{Level: iac.LevelWarning, Path: at.Path, Line: at.Start, Message: fmt.Sprintf(format, a...)})
		return raw, lc
	}
	if len(path) < 2 || len(path) != len(list) {
		return warn("!reference %v: name a job (or a top-level section) and the keys in it, such as [.setup, script]", list)
	}
	if depth >= maxReferences {
		return warn("!reference %v: references nest more than %d deep", path, maxReferences)
	}
	// Sections that reference themselves several times would multiply
	// at each level: a bound on the copies, like the YAML reader's on
	// aliases.
	if l.derefs++; l.derefs > maxDerefs {
		return warn("!reference %v: more than %d references resolved in one configuration", path, maxDerefs)
	}
	var cur any = cfg
	tl := l.root
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return warn("!reference %v: %s is not a section of this configuration or of its local includes", path, strings.Join(path, "."))
		}
		if cur, ok = m[k]; !ok {
			level := "not a section of this configuration or of its local includes"
			if l.unfetched {
				level += " (it may come from an include that is not fetched)"
			}
			return warn("!reference %v: %s is %s", path, strings.Join(path, "."), level)
		}
		tl = tl.get(k)
	}
	v, vl := l.resolveRefs(file, cfg, copyValue(cur), tl.copy(), depth+1)
	out := &loc{}
	if lc != nil {
		out.n = lc.n // the reference's own line
	}
	if vl != nil {
		for _, c := range vl.kids {
			c.name("job " + path[0])
		}
		out.kids = vl.kids
		if out.n == nil {
			out.n = vl.n
		}
	}
	return v, out
}
