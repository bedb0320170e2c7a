// Package pipfilelock extracts PyPI dependencies from Pipenv's Pipfile.lock.
//
// Every entry of the "default" section is a pinned package; entries of
// "develop", and of the other package categories that newer Pipenv
// versions lock in sections of their own, are development dependencies.
// Each is reported at the line of its name key. Versions are written as
// "==1.2.3"; an entry whose version is anything else is reported unpinned,
// with the version as its constraint.
//
// Which packages are direct comes from the sibling Pipfile, when the
// scanned tree has one: names under [packages], [dev-packages] and other
// category tables are direct, every other locked package transitive.
// Without a readable Pipfile the relation is unknown.
//
// Entries installed from git or other version control, a local path or a
// file or URL are skipped: their version does not identify a release on a
// package index, so it cannot be matched against advisories.
//
// A package without a name or version is an error at its line; the other
// packages are still reported.
package pipfilelock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Extractor reads Pipfile.lock files.
type Extractor struct{}

// New returns a Pipfile.lock extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "python/pipfilelock" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool { return path.Base(p) == "Pipfile.lock" }

type lockEntry struct {
	Version  string `json:"version"`
	Git      string `json:"git"`
	Hg       string `json:"hg"`
	Svn      string `json:"svn"`
	Bzr      string `json:"bzr"`
	Path     string `json:"path"`
	File     string `json:"file"`
	Editable bool   `json:"editable"`
}

// notFromIndex reports whether the entry is installed from somewhere other
// than a package index.
func (e lockEntry) notFromIndex() bool {
	return e.Git != "" || e.Hg != "" || e.Svn != "" || e.Bzr != "" || e.Path != "" || e.File != "" || e.Editable
}

// Extract implements inventory.Extractor.
func (*Extractor) Extract(ctx context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	var lock struct {
		Default map[string]lockEntry `json:"default"`
		Develop map[string]lockEntry `json:"develop"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, jsonError(in.Path, data, memberLines(data), err)
	}
	sections := map[string]map[string]lockEntry{"default": lock.Default, "develop": lock.Develop}
	// Other package categories (Pipenv 2023 and later) have sections of
	// their own; top-level keys that are not a map of entries are not one.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(in.Path, data, nil, err)
	}
	for name, raw := range top {
		if _, ok := sections[name]; ok || name == "_meta" {
			continue
		}
		var entries map[string]lockEntry
		if json.Unmarshal(raw, &entries) == nil {
			sections[name] = entries
		}
	}
	keys := memberLines(data)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	direct := readPipfile(in.Root, path.Join(path.Dir(in.Path), "Pipfile"))
	var pkgs []inventory.Package
	var ps inventory.Problems
	seen := map[keyLine]bool{}
	for _, k := range keys {
		e, ok := sections[k.section][k.name]
		if !ok || seen[keyLine{section: k.section, name: k.name}] {
			continue
		}
		seen[keyLine{section: k.section, name: k.name}] = true
		if e.notFromIndex() {
			continue
		}
		if strings.TrimSpace(k.name) == "" {
			ps.Add(&inventory.ParseError{Path: in.Path, Line: k.line, Field: k.section,
				Err: errors.New("empty package name")})
			continue
		}
		if e.Version == "" || e.Version == "*" {
			ps.Add(&inventory.ParseError{Path: in.Path, Line: k.line, Field: k.section + "." + k.name + ".version",
				Err: errors.New("no version")})
			continue
		}
		pkg := inventory.Package{
			Ecosystem: inventory.PyPI,
			Name:      k.name,
			Dev:       k.section != "default",
			Location:  inventory.Location{Path: in.Path, Line: k.line},
		}
		if v, ok := strings.CutPrefix(e.Version, "==="); ok {
			pkg.Version = v
		} else if v, ok := strings.CutPrefix(e.Version, "=="); ok && !strings.Contains(v, "*") {
			pkg.Version = v
		} else {
			pkg.Constraint = e.Version
		}
		if direct != nil {
			pkg.Relation = inventory.RelationTransitive
			if direct[inventory.NormalizeName(inventory.PyPI, k.name)] {
				pkg.Relation = inventory.RelationDirect
			}
		}
		pkgs = append(pkgs, pkg)
	}
	return ps.Result(pkgs)
}

// readPipfile returns the normalised names a Pipfile declares, or nil when
// there is no readable Pipfile at name.
func readPipfile(root fs.FS, name string) map[string]bool {
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
	names := map[string]bool{}
	for table, v := range doc {
		switch table {
		case "source", "requires", "scripts", "pipenv":
			continue
		}
		pkgs, ok := v.(map[string]any)
		if !ok {
			continue
		}
		for n := range pkgs {
			names[inventory.NormalizeName(inventory.PyPI, n)] = true
		}
	}
	return names
}

// jsonError turns a decoding error into a ParseError. keys, the entries'
// key lines, name the entry a type error is in.
func jsonError(file string, data []byte, keys []keyLine, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &inventory.ParseError{Path: file, Line: inventory.NewLines(data).At(syn.Offset), Err: err}
	case errors.As(err, &typ):
		line := inventory.NewLines(data).At(typ.Offset)
		field := typ.Field
		// The decoder leaves map keys out of the field path: put the entry's
		// name back after the section.
		if section, rest, ok := strings.Cut(field, "."); ok {
			for i := len(keys) - 1; i >= 0; i-- {
				if keys[i].section == section && keys[i].line <= line {
					field = section + "." + keys[i].name + "." + rest
					break
				}
			}
		}
		return &inventory.ParseError{Path: file, Line: line, Field: field,
			Err: fmt.Errorf("JSON %s where %s is expected", typ.Value, typ.Type)}
	}
	return &inventory.ParseError{Path: file, Err: err}
}

// keyLine is a member of a top-level object and the line of its key.
type keyLine struct {
	section, name string
	line          int
}

// memberLines returns, in order, the keys of the objects that are values of
// top-level keys, with their lines, in one pass over a JSON document.
func memberLines(data []byte) []keyLine {
	var out []keyLine
	var stack []byte // open containers: '{' or '['
	expectKey := false
	section := ""
	line := 1
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
		case '{':
			stack = append(stack, c)
			expectKey = true
		case '[':
			stack = append(stack, c)
			expectKey = false
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		case '"':
			start, startLine := i, line
			for i++; i < len(data) && data[i] != '"'; i++ {
				switch data[i] {
				case '\\':
					i++
					if i < len(data) && data[i] == '\n' {
						line++
					}
				case '\n':
					line++
				}
			}
			if !expectKey || i >= len(data) {
				continue
			}
			expectKey = false
			var key string
			if json.Unmarshal(data[start:i+1], &key) != nil {
				continue
			}
			switch len(stack) {
			case 1:
				section = key
			case 2:
				if stack[0] == '{' && stack[1] == '{' && section != "_meta" {
					out = append(out, keyLine{section: section, name: key, line: startLine})
				}
			}
		}
	}
	return out
}
