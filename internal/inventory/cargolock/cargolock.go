// Package cargolock extracts Rust crates from Cargo.lock files, in every
// format Cargo has written: the unversioned "version 1" format (with or
// without the older [root] table and [metadata] checksums) and versions 2
// to 4.
//
// Each [[package]] is reported with its exact version, located at its
// [[package]] header, with the span of its version's text and its source:
//   - a registry ("registry+…" or "sparse+…"): Source registry with the
//     index URL. Packages from registries other than crates.io are reported
//     under the crates.io ecosystem too: such registries are most often
//     mirrors of crates.io, and the lockfile cannot tell a mirror from a
//     private registry.
//   - a repository ("git+URL?tag=v1.2.3#commit"): Source git with the URL,
//     the branch, tag or rev as Ref and the commit. The version is the one
//     the lockfile records (the crate's version at that commit), or, when
//     the lockfile records none, the version a release tag names.
//   - no source: a workspace member or a path dependency, which Cargo.lock
//     does not tell apart. Those that no package of the file depends on are
//     the workspace's roots (a path dependency always has a dependent) and
//     are not reported; the others are reported with Source path (the
//     lockfile records no path, so Path is empty). A workspace member that
//     another member depends on is therefore reported as a path package.
//
// The dependencies lists of the source-less packages (and of a [root]
// table) name the packages the project depends on itself: those are
// RelationDirect and all others RelationTransitive. Every dependencies
// entry ("name", "name version" or "name version (source)") is an edge:
// Parents lists the reported packages that depend on a package. Cargo.lock
// does not record which dependencies are dev-dependencies or
// build-dependencies, so Dev is never set.
//
// A [[package]] that cannot be read (a field of the wrong type, no name, a
// package without a version) is an error at its header; the other packages
// are still reported. A file that is not TOML is not read.
package cargolock

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/tomlfile"
)

// Extractor reads Cargo.lock files.
type Extractor struct{}

// New returns a Cargo.lock extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "rust/cargolock" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool { return path.Base(p) == "Cargo.lock" }

// lockfile is decoded loosely, with the package tables as maps, so that a
// field of the wrong type is reported at its package's line.
type lockfile struct {
	Root     map[string]any   `toml:"root"`
	Packages []map[string]any `toml:"package"`
}

type lockPackage struct {
	name, version, source string
	dependencies          []string
}

// Extract implements inventory.Extractor.
func (*Extractor) Extract(_ context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	var lock lockfile
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil, tomlfile.Error(in.Path, err)
	}

	// Lines come from the [[package]] headers, which Cargo writes one per
	// element of the package array and in its order. A file written some
	// other way (an inline array, a header inside a multi-line string)
	// yields a different count; its packages then get no line rather than
	// a wrong one.
	lines := tomlfile.ArrayTableLines(data, "package")
	if len(lines) != len(lock.Packages) {
		lines = nil
	}

	spans := tomlfile.StringSpans(data, lines, "version")

	// A package that cannot be read is a problem; the others are read.
	// all keeps the readable ones, lineOf their lines and spanOf the spans
	// of their versions.
	var ps inventory.Problems
	all := make([]lockPackage, 0, len(lock.Packages)+1)
	lineOf := make([]int, 0, len(lock.Packages))
	spanOf := make([]*inventory.Span, 0, len(lock.Packages))
	for i, m := range lock.Packages {
		line := 0
		var span *inventory.Span
		if lines != nil {
			line, span = lines[i], spans[i]
		}
		p, err := decodePackage(m)
		switch {
		case err != nil:
			err.Path, err.Line = in.Path, line
			ps.Add(err)
			continue
		case p.name == "":
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line, Field: "name", Err: errors.New("package without a name")})
			continue
		case p.version == "" && !strings.HasPrefix(p.source, "git+"):
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line, Field: "version", Err: fmt.Errorf("package %s without a version", p.name)})
			continue
		}
		all = append(all, p)
		lineOf = append(lineOf, line)
		spanOf = append(spanOf, span)
	}
	roots := all
	if lock.Root != nil {
		p, err := decodePackage(lock.Root)
		if err != nil {
			// The root only names direct dependencies: without it the
			// relations are less precise, the packages still right.
			err.Path, err.Field = in.Path, "root."+err.Field
			ps.Add(err)
		} else {
			p.source = ""
			roots = append(roots[:len(roots):len(roots)], p)
		}
	}
	direct, haveRoot := directDeps(roots)
	parents, dependedOn := edges(all, lock.Root != nil)

	var pkgs []inventory.Package
	for i, p := range all {
		if p.source == "" && !dependedOn[i] {
			continue // a workspace root: the project itself
		}
		rel := inventory.RelationUnknown
		if haveRoot {
			rel = inventory.RelationTransitive
			if direct[p.name+" "+p.version] || direct[p.name] {
				rel = inventory.RelationDirect
			}
		}
		src := source(p.source)
		version := p.version
		if version == "" && src.Type == inventory.SourceGit {
			version = inventory.TagVersion(src.Ref)
		}
		pkgs = append(pkgs, inventory.Package{
			Ecosystem:   inventory.CratesIO,
			Name:        p.name,
			Version:     version,
			Relation:    rel,
			Location:    inventory.Location{Path: in.Path, Line: lineOf[i]},
			VersionSpan: spanText(data, spanOf[i], version),
			Parents:     parents[i],
			Source:      src,
		})
	}
	return ps.Result(pkgs)
}

// spanText returns s when it holds version.
func spanText(data []byte, s *inventory.Span, version string) *inventory.Span {
	if s == nil {
		return nil
	}
	return inventory.SpanOf(data, s.Start, s.End, version)
}

// edges resolves every dependencies entry of pkgs to the package it names
// and returns, per package, the reported packages that depend on it (in
// file order, once each), and whether any package depends on it. A
// source-less package that nothing depends on is a root and is not named
// as a parent; withRoot says a [root] table stands for the project.
func edges(pkgs []lockPackage, withRoot bool) ([][]inventory.Ref, []bool) {
	byName := map[string][]int{}
	for i, p := range pkgs {
		byName[p.name] = append(byName[p.name], i)
	}
	targets := make([][]int, len(pkgs))
	dependedOn := make([]bool, len(pkgs))
	for i, p := range pkgs {
		for _, dep := range p.dependencies {
			if j := resolve(pkgs, byName, dep); j >= 0 && j != i {
				targets[i] = append(targets[i], j)
				dependedOn[j] = true
			}
		}
	}
	parents := make([][]inventory.Ref, len(pkgs))
	seen := map[[2]int]bool{}
	for i, p := range pkgs {
		if p.source == "" && !dependedOn[i] {
			continue
		}
		for _, j := range targets[i] {
			if seen[[2]int{i, j}] {
				continue
			}
			seen[[2]int{i, j}] = true
			parents[j] = append(parents[j], inventory.Ref{Name: p.name, Version: p.version})
		}
	}
	return parents, dependedOn
}

// resolve finds the package a dependencies entry names: "name" (the only
// package of that name), "name version" or "name version (source)"; -1
// when none or several match.
func resolve(pkgs []lockPackage, byName map[string][]int, dep string) int {
	f := strings.Fields(dep)
	if len(f) == 0 {
		return -1
	}
	cands := byName[f[0]]
	if len(f) == 1 {
		if len(cands) == 1 {
			return cands[0]
		}
		return -1
	}
	src := ""
	if len(f) >= 3 {
		src = strings.TrimSuffix(strings.TrimPrefix(f[2], "("), ")")
	}
	found := -1
	for _, j := range cands {
		if pkgs[j].version != f[1] || src != "" && pkgs[j].source != src {
			continue
		}
		if found >= 0 {
			return -1
		}
		found = j
	}
	return found
}

// source reads a package's source field: "registry+URL", "sparse+URL",
// "git+URL?branch=b#commit" or empty (a path).
func source(s string) *inventory.Source {
	switch {
	case s == "":
		return &inventory.Source{Type: inventory.SourcePath}
	case strings.HasPrefix(s, "registry+"):
		return &inventory.Source{Type: inventory.SourceRegistry, URL: strings.TrimPrefix(s, "registry+")}
	case strings.HasPrefix(s, "sparse+"):
		return &inventory.Source{Type: inventory.SourceRegistry, URL: s}
	case strings.HasPrefix(s, "git+"):
		return inventory.GitSource(s)
	default:
		return &inventory.Source{Type: inventory.SourceURL, URL: s}
	}
}

// decodePackage reads the fields of one package table; its error names the
// field but not yet the file or line.
func decodePackage(m map[string]any) (lockPackage, *inventory.ParseError) {
	var p lockPackage
	for _, f := range []struct {
		key string
		dst *string
	}{{"name", &p.name}, {"version", &p.version}, {"source", &p.source}} {
		v, ok := m[f.key]
		if !ok {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return p, &inventory.ParseError{Field: f.key, Err: fmt.Errorf("want a string, got %T", v)}
		}
		*f.dst = s
	}
	if v, ok := m["dependencies"]; ok {
		list, ok := v.([]any)
		if !ok {
			return p, &inventory.ParseError{Field: "dependencies", Err: fmt.Errorf("want an array, got %T", v)}
		}
		for _, d := range list {
			s, ok := d.(string)
			if !ok {
				return p, &inventory.ParseError{Field: "dependencies", Err: fmt.Errorf("want strings, got %T", d)}
			}
			p.dependencies = append(p.dependencies, s)
		}
	}
	return p, nil
}

// directDeps returns the dependencies of the packages without a source,
// keyed "name version" where the entry gives a version and "name" where it
// does not (Cargo writes the name alone when only one version is locked).
// It also reports whether there was any such package.
func directDeps(pkgs []lockPackage) (map[string]bool, bool) {
	direct := make(map[string]bool)
	found := false
	for _, p := range pkgs {
		if p.source != "" {
			continue
		}
		found = true
		for _, dep := range p.dependencies {
			// "name", "name version" or "name version (source)".
			f := strings.Fields(dep)
			switch {
			case len(f) == 1:
				direct[f[0]] = true
			case len(f) >= 2:
				direct[f[0]+" "+f[1]] = true
			}
		}
	}
	return direct, found
}
