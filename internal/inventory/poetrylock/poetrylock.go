// Package poetrylock extracts PyPI dependencies from Poetry's poetry.lock.
//
// Every [[package]] table is one pinned package, reported at its header
// line. All lock file versions are read: 1.x (Poetry before 1.2), which
// marks development packages with category = "dev"; 2.0 (Poetry 1.2 to
// 1.8), which records no groups; and 2.1 (Poetry 2), which lists each
// package's groups.
//
// Which packages are direct comes from the sibling pyproject.toml, when the
// scanned tree has one: names under [tool.poetry.dependencies],
// [tool.poetry.dev-dependencies], [tool.poetry.group.*.dependencies],
// PEP 621 [project] dependencies and optional-dependencies, and PEP 735
// [dependency-groups] are direct, every other locked package transitive.
// Without a readable pyproject.toml the relation is unknown.
//
// A package is a development dependency when its category is "dev", when
// its groups do not include "main", or, for 2.0 lock files, when the
// pyproject.toml names it in a non-main group and no main dependency needs
// it, directly or through the locked dependency graph.
//
// Each package carries the span of its version's text, the packages that
// depend on it (Parents, from their [package.dependencies]) and, when the
// lock file records one, its [package.source]: another index (type
// "legacy", a private mirror) is Source registry with its URL; "git" is
// Source git with the URL, the reference asked for (a branch, tag or
// commit) as Ref and resolved_reference as Commit; "directory" and "file"
// are Source path with the path as written; "url" is Source url. All are
// reported with the version the lock file records (for a git source, the
// version of the project at that commit, which a release tag names too).
// A package without a [package.source] comes from PyPI; Source is not set.
//
// A package without a name or version is an error at its [[package]]
// header; the other packages are still reported.
package poetrylock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/BurntSushi/toml"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/tomlfile"
)

// Extractor reads poetry.lock files.
type Extractor struct{}

// New returns a poetry.lock extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "python/poetrylock" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool { return path.Base(p) == "poetry.lock" }

type lockFile struct {
	Package []lockPackage `toml:"package"`
}

type lockPackage struct {
	Name         string         `toml:"name"`
	Version      string         `toml:"version"`
	Category     string         `toml:"category"` // lock 1.x: "main" or "dev"
	Groups       []string       `toml:"groups"`   // lock 2.1
	Source       lockSource     `toml:"source"`
	Dependencies map[string]any `toml:"dependencies"`
}

type lockSource struct {
	Type              string `toml:"type"` // git, directory, file, url, legacy
	URL               string `toml:"url"`
	Reference         string `toml:"reference"`
	ResolvedReference string `toml:"resolved_reference"`
}

// Extract implements inventory.Extractor.
func (*Extractor) Extract(ctx context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	var lock lockFile
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&lock); err != nil {
		return nil, tomlfile.Error(in.Path, err)
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
	span := func(i int) *inventory.Span {
		if lines == nil || spans[i] == nil {
			return nil
		}
		return inventory.SpanOf(data, spans[i].Start, spans[i].End, lock.Package[i].Version)
	}
	// A package without a name or version is a problem; the others are
	// read. valid keeps the readable ones, at lineOf.
	var ps inventory.Problems
	valid := lock.Package[:0:0]
	var lineOf []int
	var spanOf []*inventory.Span
	for i, p := range lock.Package {
		switch {
		case p.Name == "":
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line(i), Field: "name", Err: errors.New("missing package name")})
		case p.Version == "":
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line(i), Field: "version", Err: fmt.Errorf("package %s has no version", p.Name)})
		default:
			valid = append(valid, p)
			lineOf = append(lineOf, line(i))
			spanOf = append(spanOf, span(i))
		}
	}
	lock.Package = valid

	proj := readProject(in.Root, path.Join(path.Dir(in.Path), "pyproject.toml"))
	var forMain, forDev map[string]bool
	if proj != nil {
		forMain = reachable(lock.Package, proj.main)
		forDev = reachable(lock.Package, proj.dev)
	}

	parents := parentsOf(lock.Package)
	var pkgs []inventory.Package
	for i, p := range lock.Package {
		key := inventory.NormalizeName(inventory.PyPI, p.Name)
		pkg := inventory.Package{
			Ecosystem:   inventory.PyPI,
			Name:        p.Name,
			Version:     p.Version,
			Location:    inventory.Location{Path: in.Path, Line: lineOf[i]},
			VersionSpan: spanOf[i],
			Parents:     parents[key],
			Source:      p.Source.source(),
		}
		switch {
		case p.Category != "":
			pkg.Dev = p.Category == "dev"
		case len(p.Groups) > 0:
			pkg.Dev = !contains(p.Groups, "main")
		case proj != nil:
			pkg.Dev = !forMain[key] && forDev[key]
		}
		if proj != nil {
			pkg.Relation = inventory.RelationTransitive
			if proj.main[key] || proj.dev[key] {
				pkg.Relation = inventory.RelationDirect
			}
		}
		pkgs = append(pkgs, pkg)
	}
	return ps.Result(pkgs)
}

// source is the package's Source, nil for PyPI itself.
func (s lockSource) source() *inventory.Source {
	switch s.Type {
	case "":
		return nil
	case "git":
		return &inventory.Source{Type: inventory.SourceGit, URL: s.URL, Ref: s.Reference, Commit: s.ResolvedReference}
	case "directory", "file":
		return &inventory.Source{Type: inventory.SourcePath, Path: s.URL}
	case "url":
		return &inventory.Source{Type: inventory.SourceURL, URL: s.URL}
	default: // "legacy" and any later index type
		return &inventory.Source{Type: inventory.SourceRegistry, URL: s.URL}
	}
}

// parentsOf returns, by normalised name, the packages whose
// [package.dependencies] name that package, in file order.
func parentsOf(pkgs []lockPackage) map[string][]inventory.Ref {
	out := map[string][]inventory.Ref{}
	for _, p := range pkgs {
		ref := inventory.Ref{Name: p.Name, Version: p.Version}
		for d := range p.Dependencies {
			key := inventory.NormalizeName(inventory.PyPI, d)
			if list := out[key]; len(list) == 0 || list[len(list)-1] != ref {
				out[key] = append(list, ref)
			}
		}
	}
	return out
}

// reachable returns the normalised names of the locked packages that roots
// need, directly or through the dependencies the lock file records.
func reachable(pkgs []lockPackage, roots map[string]bool) map[string]bool {
	deps := map[string][]string{}
	for _, p := range pkgs {
		key := inventory.NormalizeName(inventory.PyPI, p.Name)
		for d := range p.Dependencies {
			deps[key] = append(deps[key], inventory.NormalizeName(inventory.PyPI, d))
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// project is what pyproject.toml says about direct dependencies, by
// normalised name.
type project struct {
	main map[string]bool
	dev  map[string]bool // in a group other than main
}

// readProject reads the direct dependencies from pyproject.toml at name. It
// returns nil when there is no such file, it is not valid TOML, or it
// declares no dependencies at all: then the lock file alone cannot tell
// direct from transitive.
func readProject(root fs.FS, name string) *project {
	if root == nil {
		return nil
	}
	data, err := fs.ReadFile(root, name)
	if err != nil {
		return nil
	}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil
	}
	p := &project{main: map[string]bool{}, dev: map[string]bool{}}
	declared := false
	add := func(set map[string]bool, name string) {
		declared = true
		if name == "" {
			return
		}
		if n := inventory.NormalizeName(inventory.PyPI, name); n != "python" {
			set[n] = true
		}
	}

	poetry := table(table(doc, "tool"), "poetry")
	if deps, ok := poetry["dependencies"].(map[string]any); ok {
		for n := range deps {
			add(p.main, n)
		}
	}
	if deps, ok := poetry["dev-dependencies"].(map[string]any); ok {
		for n := range deps {
			add(p.dev, n)
		}
	}
	for g, v := range table(poetry, "group") {
		group, _ := v.(map[string]any)
		set := p.dev
		if g == "main" {
			set = p.main
		}
		for n := range table(group, "dependencies") {
			add(set, n)
		}
	}

	proj := table(doc, "project")
	for _, s := range stringList(proj["dependencies"]) {
		add(p.main, requirementName(s))
	}
	for _, v := range table(proj, "optional-dependencies") {
		for _, s := range stringList(v) {
			add(p.main, requirementName(s))
		}
	}
	for _, v := range table(doc, "dependency-groups") {
		for _, s := range stringList(v) {
			add(p.dev, requirementName(s))
		}
	}
	if !declared {
		return nil
	}
	return p
}

// table returns the sub-table key of t, or nil.
func table(t map[string]any, key string) map[string]any {
	m, _ := t[key].(map[string]any)
	return m
}

// stringList returns the string elements of a TOML array.
func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// requirementName returns the project name at the start of a PEP 508
// requirement string, or "" if there is none.
func requirementName(s string) string {
	start := 0
	for start < len(s) && (s[start] == ' ' || s[start] == '\t') {
		start++
	}
	end := start
	for end < len(s) {
		c := s[end]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			break
		}
		end++
	}
	return s[start:end]
}
