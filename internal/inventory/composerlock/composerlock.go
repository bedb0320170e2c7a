// Package composerlock extracts PHP packages from Composer's composer.lock.
//
// Every entry of "packages" is reported, and every entry of "packages-dev"
// with Dev set, located at the line of the entry's opening brace. Versions
// lose a leading "v" when a digit follows ("v6.3.5" becomes "6.3.5"), as
// Packagist advisories write them. Branch versions ("dev-main",
// "2.x-dev") name a moving commit rather than a release: those packages
// are not pinned, and the branch is their Constraint.
//
// The lockfile does not say which packages the project requires itself.
// When a composer.json beside it can be read, packages named in its
// "require" or "require-dev" are RelationDirect and the others
// RelationTransitive; without one (or when it is not valid JSON, which is
// for the composer.json extractor to report) the relation is unknown.
//
// Parents come from the packages' "require" lists. Source is a local path
// for a "dist" of type path, the registry host of a "notification-url"
// (with the git commit of "source", when there is one), else the git
// repository and commit of "source", else the "dist" URL. License joins
// the "license" list as an SPDX disjunction ("MIT OR GPL-2.0-only").
// VersionSpan covers the version as reported (without a leading "v").
//
// A package that cannot be read (no name, a field of the wrong type) is an
// error at its line; the other packages are still reported.
package composerlock

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Extractor reads composer.lock files.
type Extractor struct{}

// New returns a composer.lock extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "php/composerlock" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool { return path.Base(p) == "composer.lock" }

type lockPackage struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Source          *location         `json:"source"`
	Dist            *location         `json:"dist"`
	NotificationURL string            `json:"notification-url"`
	License         json.RawMessage   `json:"license"`
	Require         map[string]string `json:"require"`
}

// location is a package's "source" or "dist".
type location struct {
	Type      string `json:"type"`
	URL       string `json:"url"`
	Reference string `json:"reference"`
}

// Extract implements inventory.Extractor.
func (*Extractor) Extract(_ context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	lines := inventory.NewLines(data)
	fail := func(field string, off int64, err error) error {
		off = inventory.JSONErrorOffset(data, err, off)
		return &inventory.ParseError{Path: in.Path, Line: lines.At(off), Field: field, Err: err}
	}

	d := json.NewDecoder(bytes.NewReader(data))
	if tok, err := d.Token(); err != nil {
		return nil, fail("", d.InputOffset(), err)
	} else if tok != json.Delim('{') {
		return nil, fail("", d.InputOffset(), errors.New("not a JSON object"))
	}
	var pkgs []inventory.Package
	var requires []map[string]string // of each package
	var ps inventory.Problems
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, fail("", d.InputOffset(), err)
		}
		key, _ := tok.(string)
		if key != "packages" && key != "packages-dev" {
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return nil, fail(key, d.InputOffset(), err)
			}
			continue
		}
		start := d.InputOffset()
		if tok, err := d.Token(); err != nil {
			return nil, fail(key, d.InputOffset(), err)
		} else if tok == nil {
			continue // "packages": null
		} else if tok != json.Delim('[') {
			return nil, fail(key, start, errors.New("not an array"))
		}
		for d.More() {
			start := d.InputOffset()
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				return nil, fail(key, start, err)
			}
			var p lockPackage
			if err := json.Unmarshal(raw, &p); err != nil {
				// A field of the wrong type spoils only its package.
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					return nil, fail(key, start, err)
				}
				field := key
				if te.Field != "" {
					field += "." + te.Field
				}
				ps.Add(&inventory.ParseError{Path: in.Path, Line: lines.At(valueStart(data, start)), Field: field,
					Err: fmt.Errorf("%w: package not read", inventory.TypeMismatch(te))})
				continue
			}
			line := lines.At(valueStart(data, start))
			if p.Name == "" {
				ps.Add(&inventory.ParseError{Path: in.Path, Line: line, Field: key, Err: errors.New("package without a name")})
				continue
			}
			pkg := inventory.Package{
				Ecosystem: inventory.Packagist,
				Name:      p.Name,
				Dev:       key == "packages-dev",
				Location:  inventory.Location{Path: in.Path, Line: line},
			}
			pkg.Version, pkg.Constraint = version(p.Version)
			if pkg.Version != "" {
				objStart := valueStart(data, start)
				if sp, ok := inventory.JSONStringSpan(raw, objStart, "version"); ok {
					sp.Start = sp.End - len(pkg.Version) // past a leading "v"
					pkg.VersionSpan = &sp
				}
			}
			pkg.Source = source(p)
			pkg.License = license(p.License)
			pkgs = append(pkgs, pkg)
			requires = append(requires, p.Require)
		}
		if _, err := d.Token(); err != nil {
			return nil, fail(key, d.InputOffset(), err)
		}
	}
	if _, err := d.Token(); err != nil {
		return nil, fail("", d.InputOffset(), err)
	}

	parents(pkgs, requires)
	if direct, ok := required(in); ok {
		for i := range pkgs {
			pkgs[i].Relation = inventory.RelationTransitive
			if direct[strings.ToLower(pkgs[i].Name)] {
				pkgs[i].Relation = inventory.RelationDirect
			}
		}
	}
	return ps.Result(pkgs)
}

// parents sets each package's Parents from the "require" lists of the
// others (Composer's names are case-insensitive).
func parents(pkgs []inventory.Package, requires []map[string]string) {
	index := make(map[string]int, len(pkgs))
	for i, p := range pkgs {
		index[strings.ToLower(p.Name)] = i
	}
	for i, req := range requires {
		for name := range req {
			if c, ok := index[strings.ToLower(name)]; ok && c != i {
				pkgs[c].Parents = append(pkgs[c].Parents, inventory.Ref{Name: pkgs[i].Name, Version: pkgs[i].Version})
			}
		}
	}
	for i := range pkgs {
		slices.SortFunc(pkgs[i].Parents, func(a, b inventory.Ref) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
		})
	}
}

// source says where a package comes from: a local path ("dist" of type
// path), the registry that its "notification-url" names (Packagist and
// other Composer repositories), a git repository at a commit, or the
// archive it was downloaded as.
func source(p lockPackage) *inventory.Source {
	switch {
	case p.Dist != nil && p.Dist.Type == "path":
		return &inventory.Source{Type: inventory.SourcePath, Path: p.Dist.URL}
	case p.NotificationURL != "":
		u, err := url.Parse(p.NotificationURL)
		if err != nil || u.Host == "" {
			break
		}
		src := &inventory.Source{Type: inventory.SourceRegistry, URL: u.Scheme + "://" + u.Host}
		if p.Source != nil && p.Source.Type == "git" {
			src.Commit = p.Source.Reference
		}
		return src
	}
	switch {
	case p.Source != nil && p.Source.Type == "git":
		return &inventory.Source{Type: inventory.SourceGit, URL: p.Source.URL, Commit: p.Source.Reference}
	case p.Dist != nil && p.Dist.URL != "":
		return &inventory.Source{Type: inventory.SourceURL, URL: p.Dist.URL}
	}
	return nil
}

// license joins the package's licenses as an SPDX expression: Composer
// lists alternatives ("A OR B"). A lone string is taken as written.
func license(raw json.RawMessage) string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(raw, &many) != nil {
		return ""
	}
	if len(many) > 1 {
		for i, l := range many {
			if strings.Contains(l, " ") {
				many[i] = "(" + l + ")"
			}
		}
	}
	return strings.Join(many, " OR ")
}

// version returns the pinned version, or the branch as the constraint.
func version(v string) (version, constraint string) {
	if strings.HasPrefix(v, "dev-") || strings.HasSuffix(v, "-dev") {
		return "", v
	}
	if len(v) > 1 && v[0] == 'v' && '0' <= v[1] && v[1] <= '9' {
		return v[1:], ""
	}
	return v, ""
}

// valueStart returns the offset of the value that follows off, past the
// whitespace and the separating comma that precede it.
func valueStart(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// required returns the lower-cased names that the composer.json beside the
// lockfile requires, and whether it could be read.
func required(in *inventory.Input) (map[string]bool, bool) {
	if in.Root == nil {
		return nil, false
	}
	data, err := fs.ReadFile(in.Root, path.Join(path.Dir(in.Path), "composer.json"))
	if err != nil {
		return nil, false
	}
	var manifest struct {
		Require    map[string]json.RawMessage `json:"require"`
		RequireDev map[string]json.RawMessage `json:"require-dev"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, false
	}
	names := make(map[string]bool, len(manifest.Require)+len(manifest.RequireDev))
	for name := range manifest.Require {
		names[strings.ToLower(name)] = true
	}
	for name := range manifest.RequireDev {
		names[strings.ToLower(name)] = true
	}
	return names, true
}
