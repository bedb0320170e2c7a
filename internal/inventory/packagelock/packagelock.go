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
// A package is reported only when it is installed under node_modules and
// pins an exact semver version. Skipped are the root project, workspace
// members and other linked folders ("link": true, or keys outside
// node_modules), and entries whose version is not semver: in version 1 files
// git, file and tarball dependencies record a URL instead of a version. A
// git or tarball dependency whose entry does carry a semver version (as in
// versions 2 and 3) is reported with that version.
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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
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
	dev      bool
	line     int
	topLevel bool // v1: directly under the root "dependencies"
	direct   bool
}

// importer is a folder whose dependencies make packages direct: the root
// project, a workspace member or a linked folder.
type importer struct {
	key  string
	deps []string
}

type parser struct {
	path string
	s    scanner

	version     int
	sawPackages bool
	sawV1       bool
	packages    []record
	problems    inventory.Problems
	byKey       map[string]int
	importers   []importer
	v1          []record
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
	name, version string
	link, dev     bool
	bad           bool     // a field had the wrong type: not reported
	deps          []string // importers only
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
			p.importers = append(p.importers, importer{key: k, deps: e.deps})
			continue
		}
		if e.link || e.bad {
			continue
		}
		if e.name != "" {
			name = e.name
		}
		version := e.version
		if n, v, ok := alias(version); ok {
			name, version = n, v
		}
		if name == "" || !inventory.ExactSemver(version) {
			continue
		}
		r := record{key: k, name: name, version: version, dev: e.dev, line: line}
		if i, dup := p.byKey[k]; dup {
			// A repeated key replaces the earlier one, as in JSON.parse.
			p.packages[i] = r
			continue
		}
		p.byKey[k] = len(p.packages)
		p.packages = append(p.packages, r)
	}
}

// entry reads one value of the "packages" map; for importers it also
// collects the names of their dependencies.
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
			e.version, serr = p.s.stringValue()
			if err := p.soft(serr, line, f.with("version"), "a string"); err != nil {
				return e, err
			} else if serr != nil {
				e.bad = true
			}
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
			if !importer {
				if err := p.s.skip(0); err != nil {
					return e, p.fail(err, line, f.with(string(k)), "")
				}
				break
			}
			sub := string(k)
			e.deps, err = p.s.stringMapKeys(e.deps)
			if err != nil {
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
		var version string
		var dev bool
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
				version, err = p.s.stringValue()
				if err := p.soft(err, vline, ef.with("version"), "a string"); err != nil {
					return err
				}
			case "dev":
				var berr error
				dev, berr = p.s.boolValue()
				if err := p.soft(berr, vline, ef.with("dev"), "true or false"); err != nil {
					return err
				} else if berr != nil {
					version = "" // not reported
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
		pkgName := name
		if n, v, ok := alias(version); ok {
			pkgName, version = n, v
		}
		if pkgName == "" || !inventory.ExactSemver(version) {
			continue
		}
		p.v1[slot] = record{key: key, name: pkgName, version: version, dev: dev, line: line, topLevel: prefix == ""}
	}
}

func (p *parser) v2Packages() []inventory.Package {
	for _, imp := range p.importers {
		for _, dep := range imp.deps {
			if i, ok := p.resolve(imp.key, dep); ok {
				p.packages[i].direct = true
			}
		}
	}
	out := make([]inventory.Package, 0, len(p.packages))
	for _, r := range p.packages {
		rel := inventory.RelationTransitive
		if r.direct {
			rel = inventory.RelationDirect
		}
		out = append(out, p.pkg(r, rel))
	}
	return out
}

// resolve finds the package Node would load for dep from the folder dir,
// walking up through the node_modules folders above it.
func (p *parser) resolve(dir, dep string) (int, bool) {
	for {
		k := "node_modules/" + dep
		if dir != "" {
			k = dir + "/" + k
		}
		if i, ok := p.byKey[k]; ok {
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
	return inventory.Package{
		Ecosystem: inventory.NPM,
		Name:      r.name,
		Version:   r.version,
		Relation:  rel,
		Dev:       r.dev,
		Location:  inventory.Location{Path: p.path, Line: r.line},
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
