// Package packagelock extracts npm packages from package-lock.json and
// npm-shrinkwrap.json files (the two share one format).
//
// Lockfile versions 1, 2 and 3 are read. For versions 2 and 3 the "packages"
// map is used, and each package's line is that of its "node_modules/…" key;
// version 1 files (and old shrinkwraps without a lockfileVersion, and
// version 2 files without a "packages" map) are read from the nested
// "dependencies" tree.
//
// A package-lock.json with an npm-shrinkwrap.json beside it is not read:
// npm ignores it and installs what the shrinkwrap says. The extractor
// returns a warning saying so, and the shrinkwrap is reported instead. Aliased dependencies ("alias":
// "npm:real@1.0.0") are reported under the real package name.
//
// A package is reported when it is installed under node_modules and pins
// an exact semver version, or comes from elsewhere than the registry. Its
// Source is read from "resolved" (version 1: from the "version", which
// holds a URL or path for such dependencies): a registry tarball, a git
// repository at a commit (Ref is the tag or range the depending spec, or
// version 1's "from", names), a local folder or tarball ("file:"), or
// another URL. A git dependency whose entry records no version gets the
// version its tag names ("#v1.2.3", "#semver:1.2.3"); a version 1 registry
// tarball the version in its file name. Links ("link": true) that a folder
// depends on ("file:" dependencies) are reported with a path source and
// the version of the linked folder's entry; workspace members no folder
// lists are the project itself and are skipped, as is the root project.
//
// Parents come from "dependencies", "optionalDependencies" and
// "peerDependencies" (version 1: "requires"), each resolved from the
// depending package's folder as Node resolves it. VersionSpan covers the
// text of the "version" value (for an alias, the version after its "@").
// License is the "license" string of versions 2 and 3.
//
// Relation: in versions 2 and 3 a package is direct when the root project,
// a workspace member or a linked folder lists it in its dependencies,
// devDependencies, optionalDependencies or peerDependencies and it is the
// copy Node's resolution would pick for that folder; every other package is
// transitive. Version 1 files do not list the root's dependencies, so the
// package.json beside the lockfile is read from Input.Root: top-level
// packages it lists are direct, other top-level packages transitive; without
// a readable package.json they are unknown. Nested packages are always
// transitive. Dev is the lockfile's "dev" flag.
//
// An entry with a field of the wrong type is an error at its line and is
// not reported; the other entries are. A file that is not JSON is not read.
package packagelock

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// maxDepth bounds the nesting of version 1 "dependencies" trees.
const maxDepth = 1000

// Extractor reads package-lock.json and npm-shrinkwrap.json files.
type Extractor struct{}

// New returns a package-lock.json extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "npm/package-lock" }

// FileRequired reports whether path is a package-lock.json or
// npm-shrinkwrap.json outside node_modules.
func (*Extractor) FileRequired(p string) bool {
	dir, base := path.Split(p)
	if base != "package-lock.json" && base != "npm-shrinkwrap.json" {
		return false
	}
	for _, seg := range strings.Split(dir, "/") {
		if seg == "node_modules" {
			return false
		}
	}
	return true
}

// Extract implements inventory.Extractor.
func (x *Extractor) Extract(ctx context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	if skip := shadowed(in); skip != nil {
		return nil, inventory.Problems{skip}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &inventory.ParseError{Path: in.Path, Err: errors.New("empty file: expected a JSON object with a lockfileVersion")}
	}
	p := &parser{path: in.Path, s: scanner{data: data, line: 1}}
	if err := p.parse(ctx); err != nil {
		return nil, err
	}
	switch {
	case p.version == 0 && !p.sawV1:
		return nil, &inventory.ParseError{Path: in.Path, Field: "lockfileVersion", Err: errors.New("missing lockfileVersion and no dependencies: not a package-lock.json")}
	case p.version >= 2 && p.sawPackages:
		return p.problems.Result(p.v2Packages())
	case p.version == 3 && !p.sawV1:
		return p.problems.Result(nil)
	default:
		return p.problems.Result(p.v1Packages(readManifest(in)))
	}
}

// shadowed returns a warning when in is a package-lock.json with an
// npm-shrinkwrap.json beside it: npm then ignores the package-lock.json
// and installs what the shrinkwrap says, so only the shrinkwrap (which the
// scan reads as well) is reported.
func shadowed(in *inventory.Input) *inventory.ParseError {
	if in.Root == nil || path.Base(in.Path) != "package-lock.json" {
		return nil
	}
	sibling := path.Join(path.Dir(in.Path), "npm-shrinkwrap.json")
	fi, err := fs.Stat(in.Root, sibling)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	return &inventory.ParseError{Path: in.Path, Warning: true,
		Err: fmt.Errorf("not read: npm uses %s beside it instead, and that file is reported", sibling)}
}

// record is one package entry found in the file.
type record struct {
	key      string // install path, e.g. node_modules/a/node_modules/b
	name     string
	version  string
	span     *inventory.Span
	source   *inventory.Source
	license  string
	deps     []dep // what it depends on, resolved from its folder
	dev      bool
	line     int
	topLevel bool // v1: directly under the root "dependencies"
	direct   bool
	link     bool // a linked folder: reported only when depended on
	parents  []inventory.Ref
}

// importer is a folder whose dependencies make packages direct: the root
// project, a workspace member or a linked folder.
type importer struct {
	key  string
	deps []dep
	// What the folder's entry says of itself, for links to it.
	name, version, license string
	span                   *inventory.Span
}

type parser struct {
	path string
	s    scanner
	// keyBuf builds resolve's lookup keys without allocating.
	keyBuf []byte

	version     int
	sawPackages bool
	sawV1       bool
	packages    []record
	problems    inventory.Problems
	byKey       map[string]int
	importers   []importer
	links       []link
	v1          []record
	v1Keys      map[string]int
}

// link is a "packages" entry that links a folder outside node_modules
// (a "file:" dependency or a workspace member) into node_modules.
type link struct {
	key, name, target string
	line              int
}

// fail turns an error of the scanner into a ParseError. line is where the
// value being read starts, for type errors; want names the type expected.
func (p *parser) fail(err error, line int, f field, want string) error {
	var syn *syntaxError
	switch {
	case errors.As(err, &syn):
		return &inventory.ParseError{Path: p.path, Line: syn.line, Field: f.String(), Err: syn.err}
	case errors.Is(err, errType):
		return &inventory.ParseError{Path: p.path, Line: line, Field: f.String(), Err: fmt.Errorf("want %s", want)}
	}
	return &inventory.ParseError{Path: p.path, Line: line, Field: f.String(), Err: err}
}

func (p *parser) parse(ctx context.Context) error {
	if err := p.s.open('{', "a JSON object"); err != nil {
		return p.fail(err, 0, field{}, "")
	}
	for first := true; ; first = false {
		more, err := p.s.next(first, '}')
		if err != nil {
			return p.fail(err, 0, field{}, "")
		}
		if !more {
			if p.s.ws(); p.s.pos < len(p.s.data) {
				return p.fail(p.s.errorf("data after the top-level object"), 0, field{}, "")
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := p.s.key()
		if err != nil {
			return p.fail(err, 0, field{}, "")
		}
		switch string(k) {
		case "lockfileVersion":
			err = p.lockfileVersion()
		case "packages":
			err = p.parsePackages(ctx)
		case "dependencies":
			if p.version >= 2 && p.sawPackages {
				// The version 1 view that version 2 files carry for old npm,
				// after the "packages" map that supersedes it.
				err = p.skip(field{section: "dependencies"})
				break
			}
			// A version 2 file without a "packages" map (written by hand,
			// or cut down by a tool) still lists its packages here.
			p.sawV1 = true
			err = p.parseV1(ctx, "", 0)
		default:
			err = p.skip(field{section: string(k)})
		}
		if err != nil {
			return err
		}
	}
}

func (p *parser) skip(f field) error {
	if err := p.s.skip(0); err != nil {
		return p.fail(err, 0, f, "")
	}
	return nil
}

func (p *parser) lockfileVersion() error {
	f := field{section: "lockfileVersion"}
	p.s.ws()
	line, start := p.s.line, p.s.pos
	if err := p.s.skip(0); err != nil {
		return p.fail(err, line, f, "")
	}
	raw := string(p.s.data[start:p.s.pos])
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 || v > 3 {
		return &inventory.ParseError{Path: p.path, Line: line, Field: f.String(), Err: fmt.Errorf("unsupported lockfileVersion %s: want 1, 2 or 3", truncate(raw))}
	}
	p.version = v
	return nil
}

// member reads the next key of an object being iterated and reports the
// line the key is on; ok is false at the end of the object.
func (p *parser) member(first bool, f field) (key []byte, line int, ok bool, err error) {
	more, err := p.s.next(first, '}')
	if err != nil || !more {
		return nil, 0, false, p.failIf(err, f)
	}
	line = p.s.line
	key, err = p.s.key()
	if err != nil {
		return nil, 0, false, p.fail(err, line, f, "")
	}
	return key, line, true, nil
}

// soft returns nil for a value of the wrong type, which the scanner has
// skipped whole, after adding it to the problems: the entry is not
// reported, and the next one can be read. Any other error is returned as
// fail returns it.
func (p *parser) soft(err error, line int, f field, want string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errType) {
		p.problems.Add(p.fail(err, line, f, want).(*inventory.ParseError))
		return nil
	}
	return p.fail(err, line, f, want)
}

// skipped returns nil for a value of the wrong type, which the scanner
// has skipped: the field is informational and its entry is still read.
func (p *parser) skipped(err error, line int, f field) error {
	if err == nil || errors.Is(err, errType) {
		return nil
	}
	return p.fail(err, line, f, "")
}

func (p *parser) failIf(err error, f field) error {
	if err == nil {
		return nil
	}
	return p.fail(err, 0, f, "")
}

// object opens an object value.
func (p *parser) object(f field) error {
	line := p.s.line
	if err := p.s.open('{', "'{'"); err != nil {
		return p.fail(err, line, f, "")
	}
	return nil
}

// entry is what is read of one value of the "packages" map.
type entry struct {
	name, version     string
	span              *inventory.Span // of version, when written without escapes
	resolved, license string
	link, dev         bool
	bad               bool  // a field had the wrong type: not reported
	deps              []dep // dependencies (importers: devDependencies too)
}

func (p *parser) parsePackages(ctx context.Context) error {
	if err := p.object(field{section: "packages"}); err != nil {
		return err
	}
	p.sawPackages = true
	p.byKey = make(map[string]int)
	for first := true; ; first = false {
		kb, line, ok, err := p.member(first, field{section: "packages"})
		if err != nil || !ok {
			return err
		}
		if len(p.packages)%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k := string(kb)
		name, nested := installedName(k)
		e, err := p.entry(field{section: "packages", key: k}, !nested)
		if err != nil {
			return err
		}
		if !nested {
			p.importers = append(p.importers, importer{key: k, deps: e.deps, version: e.version, span: e.span, name: e.name, license: e.license})
			continue
		}
		if e.bad {
			continue
		}
		if e.link {
			if name != "" {
				p.links = append(p.links, link{key: k, name: name, target: e.resolved, line: line})
			}
			continue
		}
		if e.name != "" {
			name = e.name
		}
		version, span := e.version, e.span
		if n, v, ok := alias(version); ok {
			name, version = n, v
			span = tail(span, len(v))
		}
		src := source(e.resolved, name)
		if !inventory.ExactSemver(version) {
			// Only a dependency from elsewhere than the registry can be
			// reported without a version: its source says what it is.
			if src == nil || src.Type == inventory.SourceRegistry {
				continue
			}
			version, span = "", nil
		}
		if name == "" {
			continue
		}
		r := record{key: k, name: name, version: version, span: span, source: src, license: e.license, deps: e.deps, dev: e.dev, line: line}
		if i, dup := p.byKey[k]; dup {
			// A repeated key replaces the earlier one, as in JSON.parse.
			p.packages[i] = r
			continue
		}
		p.byKey[k] = len(p.packages)
		p.packages = append(p.packages, r)
	}
}

// entry reads one value of the "packages" map, with the names of its
// dependencies (for importers, development ones too).
func (p *parser) entry(f field, importer bool) (entry, error) {
	var e entry
	if err := p.object(f); err != nil {
		return e, err
	}
	for first := true; ; first = false {
		k, _, ok, err := p.member(first, f)
		if err != nil || !ok {
			return e, err
		}
		p.s.ws()
		line := p.s.line
		switch string(k) {
		case "name":
			var serr error
			e.name, serr = p.s.stringValue()
			if err := p.soft(serr, line, f.with("name"), "a string"); err != nil {
				return e, err
			} else if serr != nil {
				e.bad = true
			}
		case "version":
			var serr error
			start := p.s.pos
			e.version, serr = p.s.stringValue()
			if err := p.soft(serr, line, f.with("version"), "a string"); err != nil {
				return e, err
			} else if serr != nil {
				e.bad = true
			}
			e.span = p.s.span(start, e.version)
		case "resolved":
			// Informational: a value of another type is ignored.
			r, serr := p.s.stringValue()
			if err := p.skipped(serr, line, f.with("resolved")); err != nil {
				return e, err
			}
			e.resolved = r
		case "license":
			// A string in the lockfiles npm writes; old package.json forms
			// ({"type": ...}, arrays) are not a license expression.
			l, serr := p.s.stringValue()
			if err := p.skipped(serr, line, f.with("license")); err != nil {
				return e, err
			}
			e.license = l
		case "link":
			var berr error
			e.link, berr = p.s.boolValue()
			if err := p.soft(berr, line, f.with("link"), "true or false"); err != nil {
				return e, err
			} else if berr != nil {
				e.bad = true
			}
		case "dev":
			var berr error
			e.dev, berr = p.s.boolValue()
			if err := p.soft(berr, line, f.with("dev"), "true or false"); err != nil {
				return e, err
			} else if berr != nil {
				e.bad = true
			}
		case "dependencies", "devDependencies", "optionalDependencies", "peerDependencies":
			if !importer && string(k) == "devDependencies" {
				if err := p.s.skip(0); err != nil {
					return e, p.fail(err, line, f.with(string(k)), "")
				}
				break
			}
			sub := string(k)
			e.deps, err = p.s.stringMap(e.deps)
			if err != nil && (importer || !errors.Is(err, errType)) {
				return e, p.fail(err, line, f.with(sub), "an object of strings")
			}
		default:
			if err := p.s.skip(0); err != nil {
				return e, p.fail(err, line, f.with(string(k)), "")
			}
		}
	}
}

// parseV1 reads a version 1 "dependencies" object whose install folder is
// prefix ("" for the root).
func (p *parser) parseV1(ctx context.Context, prefix string, depth int) error {
	f := field{section: "dependencies", key: strings.TrimSuffix(prefix, "/")}
	if depth > maxDepth {
		return &inventory.ParseError{Path: p.path, Line: p.s.line, Field: f.String(), Err: fmt.Errorf("dependencies nested more than %d deep", maxDepth)}
	}
	if err := p.object(f); err != nil {
		return err
	}
	for first := true; ; first = false {
		nb, line, ok, err := p.member(first, f)
		if err != nil || !ok {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := string(nb)
		slot := len(p.v1)
		p.v1 = append(p.v1, record{}) // filled in below, so parents precede children
		key := prefix + "node_modules/" + name
		ef := field{section: "dependencies", key: key}
		if err := p.object(ef); err != nil {
			return err
		}
		var version, resolved, from string
		var span *inventory.Span
		var requires []dep
		var dev, bad bool
		for first := true; ; first = false {
			k, _, ok, err := p.member(first, ef)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			p.s.ws()
			vline := p.s.line
			switch string(k) {
			case "version":
				start := p.s.pos
				version, err = p.s.stringValue()
				if err != nil {
					bad = true
				}
				if err := p.soft(err, vline, ef.with("version"), "a string"); err != nil {
					return err
				}
				span = p.s.span(start, version)
			case "resolved", "from":
				v, serr := p.s.stringValue()
				if err := p.skipped(serr, vline, ef.with(string(k))); err != nil {
					return err
				}
				if string(k) == "from" {
					from = v
				} else {
					resolved = v
				}
			case "requires":
				var rerr error
				requires, rerr = p.s.stringMap(requires[:0])
				if err := p.skipped(rerr, vline, ef.with("requires")); err != nil {
					return err
				}
			case "dev":
				var berr error
				dev, berr = p.s.boolValue()
				if err := p.soft(berr, vline, ef.with("dev"), "true or false"); err != nil {
					return err
				} else if berr != nil {
					bad = true // not reported
				}
			case "dependencies":
				if err := p.parseV1(ctx, key+"/", depth+1); err != nil {
					return err
				}
			default:
				if err := p.s.skip(0); err != nil {
					return p.fail(err, vline, ef.with(string(k)), "")
				}
			}
		}
		if bad {
			continue
		}
		pkgName := name
		if n, v, ok := alias(version); ok {
			pkgName, version = n, v
			span = tail(span, len(v))
		}
		if pkgName == "" {
			continue
		}
		r := record{key: key, name: pkgName, version: version, span: span, deps: requires, dev: dev, line: line, topLevel: prefix == ""}
		if !inventory.ExactSemver(version) {
			// Version 1 records a URL or path instead of the version of a
			// dependency from elsewhere than the registry.
			r.version, r.span = "", nil
			r.source = source(version, pkgName)
			if r.source == nil {
				continue
			}
			switch r.source.Type {
			case inventory.SourceGit:
				if ref := gitRef(from); ref != "" {
					r.source.Ref = ref
				}
				r.version = tagVersion(r.source.Ref)
			case inventory.SourceRegistry:
				r.version = tarballVersion(version, pkgName)
			}
		} else {
			r.source = source(resolved, pkgName)
		}
		p.v1[slot] = r
	}
}

func (p *parser) v2Packages() []inventory.Package {
	// Links are packages too, with a path source and what the linked
	// folder's own entry says, when a folder depends on them ("file:"
	// dependencies); workspace members, which no folder lists, are the
	// project itself and are left out below.
	imps := make(map[string]importer, len(p.importers))
	for _, imp := range p.importers {
		imps[imp.key] = imp
	}
	linkOf := make(map[string]int) // linked folder to its package
	for _, l := range p.links {
		t, ok := imps[l.target]
		r := record{key: l.key, name: l.name, line: l.line, link: true, license: t.license,
			source: &inventory.Source{Type: inventory.SourcePath, Path: l.target}}
		if ok && inventory.ExactSemver(t.version) {
			r.version, r.span = t.version, t.span
		}
		if _, dup := p.byKey[l.key]; dup {
			continue
		}
		if ok && l.target != "" {
			linkOf[l.target] = len(p.packages)
		}
		p.byKey[l.key] = len(p.packages)
		p.packages = append(p.packages, r)
	}
	for _, imp := range p.importers {
		parent, linked := linkOf[imp.key]
		for _, d := range imp.deps {
			i, ok := p.resolve(imp.key, d.name)
			if !ok {
				continue
			}
			p.packages[i].direct = true
			p.pinGit(i, d.spec)
			if linked {
				p.edge(parent, i)
			}
		}
	}
	for parent := range p.packages {
		r := &p.packages[parent]
		for _, d := range r.deps {
			if i, ok := p.resolve(r.key, d.name); ok && i != parent {
				p.edge(parent, i)
				p.pinGit(i, d.spec)
			}
		}
	}
	out := make([]inventory.Package, 0, len(p.packages))
	for _, r := range p.packages {
		if r.link && !r.direct {
			continue
		}
		rel := inventory.RelationTransitive
		if r.direct {
			rel = inventory.RelationDirect
		}
		out = append(out, p.pkg(r, rel))
	}
	// Links were added after the file's entries: put them in file order.
	slices.SortStableFunc(out, func(a, b inventory.Package) int { return cmp.Compare(a.Location.Line, b.Location.Line) })
	return out
}

// edge records that the package at parent depends on the one at child,
// unless parent is a workspace member left out of the report.
func (p *parser) edge(parent, child int) {
	par := p.packages[parent]
	if par.link && !par.direct {
		return
	}
	ref := inventory.Ref{Name: par.name, Version: par.version}
	c := &p.packages[child]
	if !slices.Contains(c.parents, ref) {
		c.parents = append(c.parents, ref)
	}
}

// pinGit completes a git package from the spec that depends on it: the
// tag or range the spec names is its source's Ref, and a package whose
// entry records no version gets the version its tag names.
func (p *parser) pinGit(i int, spec []byte) {
	r := &p.packages[i]
	if r.source == nil || r.source.Type != inventory.SourceGit {
		return
	}
	ref := gitRef(string(spec))
	if ref == "" {
		return
	}
	if r.source.Ref == "" {
		r.source.Ref = ref
	}
	if r.version == "" {
		r.version = tagVersion(ref)
	}
}

// resolve finds the package Node would load for dep from the folder dir,
// walking up through the node_modules folders above it.
func (p *parser) resolve(dir string, dep []byte) (int, bool) {
	for {
		// The key is built in a reused buffer: a map lookup by
		// string(bytes) does not allocate.
		k := p.keyBuf[:0]
		if dir != "" {
			k = append(append(k, dir...), '/')
		}
		k = append(append(k, "node_modules/"...), dep...)
		p.keyBuf = k
		if i, ok := p.byKey[string(k)]; ok {
			return i, true
		}
		if dir == "" {
			return 0, false
		}
		dir = parentDir(dir)
	}
}

// parentDir is the folder above dir.
func parentDir(dir string) string {
	i := strings.LastIndexByte(dir, '/')
	if i < 0 {
		return ""
	}
	return dir[:i]
}

func (p *parser) v1Packages(m *manifest) []inventory.Package {
	p.byKey = make(map[string]int, len(p.v1))
	for i, r := range p.v1 {
		if r.name != "" {
			p.byKey[r.key] = i
		}
	}
	p.packages = p.v1
	for parent, r := range p.v1 {
		for _, d := range r.deps {
			if i, ok := p.resolve(r.key, d.name); ok && i != parent {
				p.edge(parent, i)
			}
		}
	}
	out := make([]inventory.Package, 0, len(p.v1))
	for _, r := range p.v1 {
		if r.name == "" {
			continue // skipped entry
		}
		rel := inventory.RelationTransitive
		if r.topLevel {
			switch {
			case m == nil:
				rel = inventory.RelationUnknown
			case m.lists(installName(r.key)):
				rel = inventory.RelationDirect
			}
		}
		out = append(out, p.pkg(r, rel))
	}
	return out
}

func (p *parser) pkg(r record, rel inventory.Relation) inventory.Package {
	slices.SortFunc(r.parents, func(a, b inventory.Ref) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
	return inventory.Package{
		Ecosystem:   inventory.NPM,
		Name:        r.name,
		Version:     r.version,
		Relation:    rel,
		Dev:         r.dev,
		Location:    inventory.Location{Path: p.path, Line: r.line},
		VersionSpan: r.span,
		Parents:     r.parents,
		Source:      r.source,
		License:     r.license,
	}
}

// installedName returns the folder name a "packages" key installs under
// (the part after its last node_modules/), and whether the key is inside a
// node_modules folder at all.
func installedName(key string) (string, bool) {
	const nm = "node_modules/"
	i := strings.LastIndex(key, nm)
	if i < 0 || (i > 0 && key[i-1] != '/') {
		return "", false
	}
	return key[i+len(nm):], true
}

// installName is the name a record's key installs under.
func installName(key string) string {
	n, _ := installedName(key)
	return n
}

// depNames lists the keys of the dependency maps.
func depNames(maps ...map[string]string) []string {
	var names []string
	for _, m := range maps {
		for k := range m {
			names = append(names, k)
		}
	}
	return names
}

// alias splits an npm alias version "npm:name@version".
func alias(v string) (name, version string, ok bool) {
	rest, ok := strings.CutPrefix(v, "npm:")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '@')
	if i <= 0 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// manifest is the dependency lists of a package.json.
type manifest struct {
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

func (m *manifest) lists(name string) bool {
	for _, deps := range []map[string]string{m.Dependencies, m.DevDependencies, m.OptionalDependencies, m.PeerDependencies} {
		if _, ok := deps[name]; ok {
			return true
		}
	}
	return false
}

// readManifest reads the package.json beside the lockfile, or returns nil
// when there is none or it cannot be read.
func readManifest(in *inventory.Input) *manifest {
	if in.Root == nil {
		return nil
	}
	b, err := fs.ReadFile(in.Root, path.Join(path.Dir(in.Path), "package.json"))
	if err != nil {
		return nil
	}
	var m manifest
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return &m
}

// field names a place in the lockfile for errors. It is formatted only
// when there is an error to report.
type field struct {
	section string // top-level key
	key     string // entry key within the section
	sub     string // field within the entry
}

func (f field) with(sub string) field {
	f.sub = sub
	return f
}

func (f field) String() string {
	s := f.section
	if f.key != "" {
		s += "[" + strconv.Quote(f.key) + "]"
	}
	if f.sub != "" {
		if s != "" {
			s += "."
		}
		s += f.sub
	}
	return s
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
