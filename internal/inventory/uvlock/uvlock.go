// Package uvlock extracts PyPI dependencies from uv's lock file, uv.lock
// (lock format version 1, all revisions).
//
// Every [[package]] table is one package, reported at its header line with
// the span of its version's text, the packages of the lock file that depend
// on it (Parents, from their dependencies, optional-dependencies and
// dev-dependencies) and its source: a package index ("registry") is Source
// registry with its URL; "git" is Source git with the URL, the tag, branch
// or rev asked for as Ref and the commit after "#"; "url" is Source url;
// "path", "directory", "editable" and "virtual" are Source path with the
// path as written. A package without a version is reported unpinned, or
// with the version its git tag names when that is a release tag; only a
// package from an index must have one.
//
// The project itself is not a dependency: packages whose source is
// editable or virtual and that are the project root (path ".") or a
// workspace member listed under [manifest] are skipped, and their
// dependencies, optional-dependencies and dev-dependencies say which packages
// are direct; all others are transitive. A package that only the project's
// dev-dependencies (dependency groups) need, directly or through the locked
// dependency graph, is a development dependency. When the lock file names no
// project root, the relation is unknown.
//
// A package without a name or version is an error at its [[package]]
// header; the other packages are still reported.
package uvlock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"sort"

	"github.com/BurntSushi/toml"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/tomlfile"
)

// Extractor reads uv.lock files.
type Extractor struct{}

// New returns a uv.lock extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "python/uvlock" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool { return path.Base(p) == "uv.lock" }

type lockFile struct {
	Version  int `toml:"version"`
	Manifest struct {
		Members []string `toml:"members"`
	} `toml:"manifest"`
	Package []lockPackage `toml:"package"`
}

type lockPackage struct {
	Name                 string                  `toml:"name"`
	Version              string                  `toml:"version"`
	Source               map[string]any          `toml:"source"`
	Dependencies         []dependency            `toml:"dependencies"`
	OptionalDependencies map[string][]dependency `toml:"optional-dependencies"`
	DevDependencies      map[string][]dependency `toml:"dev-dependencies"`
}

type dependency struct {
	Name    string `toml:"name"`
	Version string `toml:"version"`
}

// Extract implements inventory.Extractor.
func (*Extractor) Extract(ctx context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	var lock lockFile
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&lock)
	if err != nil {
		return nil, tomlfile.Error(in.Path, err)
	}
	if md.IsDefined("version") && lock.Version != 1 {
		return nil, &inventory.ParseError{Path: in.Path, Field: "version",
			Err: fmt.Errorf("unsupported uv.lock version %d (this reader knows version 1)", lock.Version)}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lines := tomlfile.ArrayTableLines(data, "package")
	if len(lines) != len(lock.Package) {
		lines = nil // packages written as an inline array: no header lines
	}
	spans := tomlfile.StringSpans(data, lines, "version")
	line := func(i int) int {
		if lines == nil {
			return 0
		}
		return lines[i]
	}

	members := map[string]bool{}
	for _, m := range lock.Manifest.Members {
		members[norm(m)] = true
	}
	var ps inventory.Problems
	var roots []lockPackage
	root := make([]bool, len(lock.Package))
	for i, p := range lock.Package {
		if p.Name == "" {
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line(i), Field: "name", Err: errors.New("missing package name")})
			continue
		}
		if isRoot(p, members) {
			roots = append(roots, p)
			root[i] = true
		}
	}
	mainDirect, devDirect := map[string]bool{}, map[string]bool{}
	for _, r := range roots {
		for _, d := range r.Dependencies {
			mainDirect[norm(d.Name)] = true
		}
		for _, list := range r.OptionalDependencies {
			for _, d := range list {
				mainDirect[norm(d.Name)] = true
			}
		}
		for _, list := range r.DevDependencies {
			for _, d := range list {
				devDirect[norm(d.Name)] = true
			}
		}
	}
	forMain := reachable(lock.Package, mainDirect)
	forDev := reachable(lock.Package, devDirect)

	parents := parentsOf(lock.Package, root)
	var pkgs []inventory.Package
	for i, p := range lock.Package {
		if p.Name == "" || root[i] {
			continue
		}
		if p.Version == "" && fromIndex(p.Source) {
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line(i), Field: "version", Err: fmt.Errorf("package %s has no version", p.Name)})
			continue
		}
		key := norm(p.Name)
		src := source(p.Source)
		version := p.Version
		if version == "" && src != nil && src.Type == inventory.SourceGit {
			version = inventory.TagVersion(src.Ref)
		}
		pkg := inventory.Package{
			Ecosystem: inventory.PyPI,
			Name:      p.Name,
			Version:   version,
			Location:  inventory.Location{Path: in.Path, Line: line(i)},
			Parents:   parents[i],
			Source:    src,
		}
		if lines != nil && spans[i] != nil {
			pkg.VersionSpan = inventory.SpanOf(data, spans[i].Start, spans[i].End, version)
		}
		if len(roots) > 0 {
			pkg.Relation = inventory.RelationTransitive
			if mainDirect[key] || devDirect[key] {
				pkg.Relation = inventory.RelationDirect
			}
			pkg.Dev = !forMain[key] && forDev[key]
		}
		pkgs = append(pkgs, pkg)
	}
	return ps.Result(pkgs)
}

func norm(name string) string { return inventory.NormalizeName(inventory.PyPI, name) }

// fromIndex reports whether a package comes from a package index.
func fromIndex(source map[string]any) bool {
	if len(source) == 0 {
		return true
	}
	_, ok := source["registry"]
	return ok
}

// source reads a package's source table; nil when it has none.
func source(m map[string]any) *inventory.Source {
	str := func(k string) (string, bool) {
		v, ok := m[k].(string)
		return v, ok
	}
	if v, ok := str("registry"); ok {
		return &inventory.Source{Type: inventory.SourceRegistry, URL: v}
	}
	if v, ok := str("git"); ok {
		return inventory.GitSource(v)
	}
	if v, ok := str("url"); ok {
		return &inventory.Source{Type: inventory.SourceURL, URL: v}
	}
	for _, k := range []string{"path", "directory", "editable", "virtual"} {
		if v, ok := str(k); ok {
			return &inventory.Source{Type: inventory.SourcePath, Path: v}
		}
	}
	return nil
}

// parentsOf returns, per package, the packages other than the project's
// roots whose dependencies name it (by name, and by version where the
// entry gives one), in file order.
func parentsOf(pkgs []lockPackage, root []bool) [][]inventory.Ref {
	byName := map[string][]int{}
	for i, p := range pkgs {
		byName[norm(p.Name)] = append(byName[norm(p.Name)], i)
	}
	out := make([][]inventory.Ref, len(pkgs))
	for i, p := range pkgs {
		if root[i] || p.Name == "" {
			continue
		}
		ref := inventory.Ref{Name: p.Name, Version: p.Version}
		add := func(d dependency) {
			for _, j := range byName[norm(d.Name)] {
				if j == i || d.Version != "" && pkgs[j].Version != d.Version {
					continue
				}
				if list := out[j]; len(list) == 0 || list[len(list)-1] != ref {
					out[j] = append(list, ref)
				}
			}
		}
		for _, d := range p.Dependencies {
			add(d)
		}
		for _, group := range [](map[string][]dependency){p.OptionalDependencies, p.DevDependencies} {
			names := make([]string, 0, len(group))
			for k := range group {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				for _, d := range group[k] {
					add(d)
				}
			}
		}
	}
	return out
}

// isRoot reports whether p is the project or one of its workspace members.
func isRoot(p lockPackage, members map[string]bool) bool {
	for _, kind := range []string{"editable", "virtual"} {
		if dir, ok := p.Source[kind].(string); ok {
			return path.Clean(dir) == "." || members[norm(p.Name)]
		}
	}
	return false
}

// reachable returns the normalised names of the locked packages that roots
// need, directly or through the dependencies the lock file records.
func reachable(pkgs []lockPackage, roots map[string]bool) map[string]bool {
	deps := map[string][]string{}
	for _, p := range pkgs {
		key := norm(p.Name)
		for _, d := range p.Dependencies {
			deps[key] = append(deps[key], norm(d.Name))
		}
		for _, list := range p.OptionalDependencies {
			for _, d := range list {
				deps[key] = append(deps[key], norm(d.Name))
			}
		}
	}
	seen := map[string]bool{}
	var queue []string
	for r := range roots {
		seen[r] = true
		queue = append(queue, r)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range deps[n] {
			if !seen[d] {
				seen[d] = true
				queue = append(queue, d)
			}
		}
	}
	return seen
}
