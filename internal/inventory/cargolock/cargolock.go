// Package cargolock extracts Rust crates from Cargo.lock files, in every
// format Cargo has written: the unversioned "version 1" format (with or
// without the older [root] table and [metadata] checksums) and versions 2
// to 4.
//
// Each [[package]] whose source is a registry ("registry+…" or
// "sparse+…") is reported with its exact version, located at its
// [[package]] header. Packages from registries other than crates.io are
// reported too, under the crates.io ecosystem: such registries are most
// often mirrors of crates.io, and the lockfile cannot tell a mirror from a
// private registry. Packages without a source are the workspace's own
// members and path dependencies, and packages with a "git+…" source are
// built from a repository commit; neither comes from a registry, so neither
// has a registry version to match advisories against, and both are
// skipped. The dependencies lists of the source-less packages (and of a
// [root] table) name the registry packages the project depends on itself:
// those are RelationDirect and all others RelationTransitive. Cargo.lock
// does not record which dependencies are dev-dependencies or
// build-dependencies, so Dev is never set.
//
// A [[package]] that cannot be read (a field of the wrong type, no name, a
// registry package without a version) is an error at its header; the
// other packages are still reported. A file that is not TOML is not read.
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

	// A package that cannot be read is a problem; the others are read.
	// all keeps the readable ones, lineOf their lines.
	var ps inventory.Problems
	all := make([]lockPackage, 0, len(lock.Packages)+1)
	lineOf := make([]int, 0, len(lock.Packages))
	for i, m := range lock.Packages {
		line := 0
		if lines != nil {
			line = lines[i]
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
		case p.version == "" && fromRegistry(p.source):
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line, Field: "version", Err: fmt.Errorf("package %s without a version", p.name)})
			continue
		}
		all = append(all, p)
		lineOf = append(lineOf, line)
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

	var pkgs []inventory.Package
	for i, p := range all {
		if !fromRegistry(p.source) {
			continue
		}
		line := lineOf[i]
		rel := inventory.RelationUnknown
		if haveRoot {
			rel = inventory.RelationTransitive
			if direct[p.name+" "+p.version] || direct[p.name] {
				rel = inventory.RelationDirect
			}
		}
		pkgs = append(pkgs, inventory.Package{
			Ecosystem: inventory.CratesIO,
			Name:      p.name,
			Version:   p.version,
			Relation:  rel,
			Location:  inventory.Location{Path: in.Path, Line: line},
		})
	}
	return ps.Result(pkgs)
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

func fromRegistry(source string) bool {
	return strings.HasPrefix(source, "registry+") || strings.HasPrefix(source, "sparse+")
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
