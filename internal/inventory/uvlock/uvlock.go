// Package uvlock extracts PyPI dependencies from uv's lock file, uv.lock
// (lock format version 1, all revisions).
//
// Every [[package]] table from a package index (source "registry", or no
// source) is one pinned package, reported at its header line.
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
// Also skipped are packages from git, a URL, a local path or directory, or
// editable path dependencies: their version does not identify a release on
// a package index, so it cannot be matched against advisories.
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
	Name string `toml:"name"`
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
	for i, p := range lock.Package {
		if p.Name == "" {
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line(i), Field: "name", Err: errors.New("missing package name")})
			continue
		}
		if isRoot(p, members) {
			roots = append(roots, p)
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

	var pkgs []inventory.Package
	for i, p := range lock.Package {
		if p.Name == "" || !fromIndex(p.Source) {
			continue
		}
		if p.Version == "" {
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line(i), Field: "version", Err: fmt.Errorf("package %s has no version", p.Name)})
			continue
		}
		key := norm(p.Name)
		pkg := inventory.Package{
			Ecosystem: inventory.PyPI,
			Name:      p.Name,
			Version:   p.Version,
			Location:  inventory.Location{Path: in.Path, Line: line(i)},
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
