// Package nugetlock extracts .NET packages from NuGet's packages.lock.json.
//
// The lockfile lists, per target framework (and runtime identifier), every
// package restored for the project, with its "type" and "resolved"
// version. Direct packages are RelationDirect; Transitive and
// CentralTransitive ones (the latter pinned by central package management
// but not referenced by the project) are RelationTransitive. Entries of
// type Project are other projects of the same solution, not packages from
// a feed, and are skipped. A package resolved to the same version for
// several frameworks is reported once, at the line of its first "Name": {
// key, and as direct if any framework references it directly. The
// lockfile does not mark development-only packages, so Dev is never set.
//
// Parents come from each entry's "dependencies", matched to the packages
// of the same framework; VersionSpan covers the first "resolved" value.
//
// A package that cannot be read (no name, no resolved version, a field of
// the wrong type) is an error at its line; the other packages are still
// reported.
package nugetlock

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Extractor reads packages.lock.json files.
type Extractor struct{}

// New returns a packages.lock.json extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "dotnet/nugetlock" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool { return path.Base(p) == "packages.lock.json" }

type entry struct {
	Type         string            `json:"type"`
	Resolved     string            `json:"resolved"`
	Dependencies map[string]string `json:"dependencies"`
}

// edge is a dependency of the package at parent, on a package of the same
// framework.
type edge struct {
	parent          int
	framework, name string
}

// reader walks the lockfile's tokens, keeping track of lines.
type reader struct {
	path  string
	data  []byte
	d     *json.Decoder
	lines *inventory.Lines
	field string
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
	r := &reader{path: in.Path, data: data, d: json.NewDecoder(bytes.NewReader(data)), lines: inventory.NewLines(data)}

	var pkgs []inventory.Package
	var ps inventory.Problems
	index := make(map[string]int)             // name and version to position in pkgs
	frameworks := map[string]map[string]int{} // framework to name to position
	var edges []edge
	err = r.object(func(key string) error {
		if key != "dependencies" {
			return r.skip()
		}
		r.field = "dependencies"
		return r.object(func(framework string) error {
			r.field = "dependencies." + framework
			return r.object(func(name string) error {
				line := r.lines.At(r.d.InputOffset())
				var raw json.RawMessage
				if err := r.d.Decode(&raw); err != nil {
					return r.fail(err)
				}
				objStart := r.d.InputOffset() - int64(len(raw))
				var e entry
				if err := json.Unmarshal(raw, &e); err != nil {
					// A field of the wrong type leaves the decoder after
					// the entry, so the next one can be read.
					var te *json.UnmarshalTypeError
					if !errors.As(err, &te) {
						return r.fail(err)
					}
					field := r.field + "." + name
					if te.Field != "" {
						field += "." + te.Field
					}
					ps.Add(&inventory.ParseError{Path: r.path, Line: line, Field: field,
						Err: fmt.Errorf("%w: package not read", inventory.TypeMismatch(te))})
					return nil
				}
				rel := inventory.RelationUnknown
				switch e.Type {
				case "Project":
					return nil
				case "Direct":
					rel = inventory.RelationDirect
				case "Transitive", "CentralTransitive":
					rel = inventory.RelationTransitive
				}
				if name == "" {
					ps.Add(&inventory.ParseError{Path: r.path, Line: line, Field: r.field, Err: errors.New("package without a name")})
					return nil
				}
				if e.Resolved == "" {
					ps.Add(&inventory.ParseError{Path: r.path, Line: line, Field: r.field + "." + name, Err: errors.New("package without a resolved version")})
					return nil
				}
				key := inventory.NormalizeName(inventory.NuGet, name) + "@" + e.Resolved
				i, ok := index[key]
				if ok {
					if rel == inventory.RelationDirect {
						pkgs[i].Relation = rel
					}
				} else {
					i = len(pkgs)
					index[key] = i
					pkg := inventory.Package{
						Ecosystem: inventory.NuGet,
						Name:      name,
						Version:   e.Resolved,
						Relation:  rel,
						Location:  inventory.Location{Path: r.path, Line: line},
					}
					if sp, ok := inventory.JSONStringSpan(raw, objStart, "resolved"); ok {
						pkg.VersionSpan = &sp
					}
					pkgs = append(pkgs, pkg)
				}
				fw := frameworks[framework]
				if fw == nil {
					fw = map[string]int{}
					frameworks[framework] = fw
				}
				fw[inventory.NormalizeName(inventory.NuGet, name)] = i
				for dep := range e.Dependencies {
					edges = append(edges, edge{i, framework, inventory.NormalizeName(inventory.NuGet, dep)})
				}
				return nil
			})
		})
	})
	if err != nil {
		return nil, err
	}
	if _, err := r.d.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the top-level object")
		}
		r.field = ""
		return nil, r.fail(err)
	}
	for _, e := range edges {
		c, ok := frameworks[e.framework][e.name]
		if !ok || c == e.parent {
			continue
		}
		ref := inventory.Ref{Name: pkgs[e.parent].Name, Version: pkgs[e.parent].Version}
		if !slices.Contains(pkgs[c].Parents, ref) {
			pkgs[c].Parents = append(pkgs[c].Parents, ref)
		}
	}
	for i := range pkgs {
		slices.SortFunc(pkgs[i].Parents, func(a, b inventory.Ref) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
		})
	}
	return ps.Result(pkgs)
}

// object reads a JSON object, calling member for each key with the decoder
// positioned at the key's value, which member must consume. A null stands
// for an empty object.
func (r *reader) object(member func(key string) error) error {
	tok, err := r.d.Token()
	if err != nil {
		return r.fail(err)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('{') {
		return r.fail(fmt.Errorf("want an object, got %v", tok))
	}
	for r.d.More() {
		tok, err := r.d.Token()
		if err != nil {
			return r.fail(err)
		}
		key, ok := tok.(string)
		if !ok {
			return r.fail(fmt.Errorf("want a key, got %v", tok))
		}
		field := r.field
		if err := member(key); err != nil {
			return err
		}
		r.field = field
	}
	if _, err := r.d.Token(); err != nil {
		return r.fail(err)
	}
	return nil
}

func (r *reader) skip() error {
	var v json.RawMessage
	if err := r.d.Decode(&v); err != nil {
		return r.fail(err)
	}
	return nil
}

// fail wraps err with the file, field and line.
func (r *reader) fail(err error) error {
	off := inventory.JSONErrorOffset(r.data, err, r.d.InputOffset())
	return &inventory.ParseError{Path: r.path, Line: r.lines.At(off), Field: r.field, Err: err}
}
