// Package yarnlock extracts npm packages from yarn.lock files, both the
// classic format of Yarn 1 ("# yarn lockfile v1", `version "1.0.0"`) and the
// YAML format of Yarn 2 and later (berry: a __metadata entry of version 2 to
// 8, `resolution: "name@npm:1.0.0"`). It reads the files line by line
// rather than through a YAML parser, in one linear pass.
//
// Each entry is reported once, however many ranges its key lists
// ("a@^1.0.0, a@^1.1.0":), at the line of that key. Names are real package
// names: the target of an alias ("alias@npm:real@^1") in classic files and
// the name in the resolution in berry files.
//
// A package is reported only when its entry pins an exact semver version,
// whatever the source (registry, git, tarball or file), and is skipped
// otherwise. Berry entries are also skipped when they are workspaces, links
// or portals (linkType: soft), and patch: entries are skipped when the
// unpatched package of the same version is in the file (it always is for
// Yarn's own builtin patches), so that a patched package is reported once.
//
// Relation and Dev come from the dependency graph of the lockfile and the
// package.json files in Input.Root. Classic files list neither the project
// nor its workspaces, so the package.json beside the lockfile and those of
// its workspaces are read: packages they depend on are direct, all others
// transitive, and without a package.json every package's relation is
// unknown. Berry files carry an entry per workspace, whose dependencies are
// direct; the workspaces' package.json files are read only to tell dev
// dependencies apart. A package is Dev when it is reached only through
// devDependencies.
//
// An entry with a line that cannot be read is an error at that line and is
// not reported; the other entries are.
package yarnlock

import (
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

// Extractor reads yarn.lock files.
type Extractor struct{}

// New returns a yarn.lock extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "npm/yarn-lock" }

// FileRequired reports whether p is a yarn.lock outside node_modules.
func (*Extractor) FileRequired(p string) bool {
	dir, base := path.Split(p)
	if base != "yarn.lock" {
		return false
	}
	for _, seg := range strings.Split(dir, "/") {
		if seg == "node_modules" {
			return false
		}
	}
	return true
}

// entry is one top-level entry of the lockfile.
type entry struct {
	line       int
	specs      []string // the descriptors of the key
	version    string
	resolution string   // berry only
	linkType   string   // berry only
	deps       []string // descriptors of dependencies and optionalDependencies
	bad        bool     // a line of it could not be read
}

// Extract implements inventory.Extractor.
func (x *Extractor) Extract(ctx context.Context, in *inventory.Input) ([]inventory.Package, error) {
	raw, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	data := string(raw)
	if strings.TrimSpace(data) == "" {
		return nil, &inventory.ParseError{Path: in.Path, Err: errors.New("empty file: expected yarn.lock entries or its header comment")}
	}
	entries, berry, ps, err := parse(ctx, in.Path, data)
	if err != nil {
		return nil, err
	}
	pkgs := make([]inventory.Package, len(entries))
	keep := make([]bool, len(entries))
	plain := make(map[string]bool) // name@version of unpatched berry entries
	var patched []int
	for i := range entries {
		e := &entries[i]
		name, version, patch, ok := identify(e, berry)
		if !ok {
			continue
		}
		pkgs[i] = inventory.Package{
			Ecosystem: inventory.NPM,
			Name:      strings.Clone(name), // not to keep the whole file alive
			Version:   strings.Clone(version),
			Location:  inventory.Location{Path: in.Path, Line: e.line},
		}
		if patch {
			patched = append(patched, i)
			continue
		}
		keep[i] = true
		plain[name+"@"+version] = true
	}
	for _, i := range patched {
		if id := pkgs[i].Name + "@" + pkgs[i].Version; !plain[id] {
			keep[i] = true
			plain[id] = true
		}
	}
	relate(in, entries, berry, pkgs)
	out := make([]inventory.Package, 0, len(entries))
	for i, p := range pkgs {
		if keep[i] {
			out = append(out, p)
		}
	}
	return ps.Result(out)
}

// identify returns the package an entry installs, or false when the entry
// is not reported.
func identify(e *entry, berry bool) (name, version string, patch, ok bool) {
	if !inventory.ExactSemver(e.version) || len(e.specs) == 0 {
		return "", "", false, false
	}
	if !berry {
		for _, s := range e.specs {
			if n, _ := realName(s); n != "" {
				return n, e.version, false, true
			}
		}
		return "", "", false, false
	}
	if e.linkType == "soft" {
		return "", "", false, false
	}
	res := e.resolution
	if res == "" {
		res = e.specs[0]
	}
	n, ref := splitSpec(res)
	proto, _, _ := strings.Cut(ref, ":")
	switch proto {
	case "workspace", "link", "portal":
		return "", "", false, false
	}
	if n == "" {
		return "", "", false, false
	}
	return n, e.version, proto == "patch", true
}

// splitSpec splits a descriptor "name@range" ("@scope/name@range").
func splitSpec(s string) (name, ref string) {
	from := 0
	if strings.HasPrefix(s, "@") {
		from = 1
	}
	i := strings.IndexByte(s[from:], '@')
	if i < 0 {
		return s, ""
	}
	return s[:from+i], s[from+i+1:]
}

// realName is the name of the package a classic descriptor installs: the
// target of an alias ("alias@npm:real@^1"), else the descriptor's name.
func realName(spec string) (name, ref string) {
	name, ref = splitSpec(spec)
	if target, ok := strings.CutPrefix(ref, "npm:"); ok && strings.Contains(target[min(1, len(target)):], "@") {
		return splitSpec(target)
	}
	return name, ref
}

// parse reads the entries of the lockfile; berry reports the Yarn 2+
// format. An entry with a line that cannot be read is left out, and the
// line is a problem; the entries around it are read.
func parse(ctx context.Context, file string, data string) (entries []entry, berry bool, ps inventory.Problems, err error) {
	var (
		cur       *entry // entry being read, nil in __metadata
		inEntry   bool
		section   string // indent-2 block being read
		metaLine  int
		metaVer   string
		sawFields bool
	)
	fail := func(line int, field, format string, args ...any) error {
		return &inventory.ParseError{Path: file, Line: line, Field: field, Err: fmt.Errorf(format, args...)}
	}
	// skipping is set by a bad line: the rest of its entry is skipped, and
	// the entry dropped.
	skipping := false
	bad := func(line int, field, format string, args ...any) {
		ps.Add(fail(line, field, format, args...).(*inventory.ParseError))
		if cur != nil && inEntry {
			cur.bad = true
		}
		skipping = true
	}
	// Entries are separated by blank lines; sizing up front saves copying.
	entries = make([]entry, 0, strings.Count(data, "\n\n")+1)
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line string
		if i := strings.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, ""
		}
		if lineNo%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, false, nil, err
			}
		}
		line = strings.TrimRight(line, " \t\r")
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		body := line[indent:]
		if body == "" || body[0] == '#' {
			continue
		}
		if indent == 0 {
			skipping = false
		}
		if skipping {
			continue
		}
		if strings.HasPrefix(body, "\t") {
			bad(lineNo, "", "indentation with a tab")
			continue
		}
		switch {
		case indent == 0:
			section = ""
			inEntry = true
			key, ok := strings.CutSuffix(body, ":")
			if !ok {
				cur = nil
				bad(lineNo, "", "entry key %s does not end with ':'", inventory.QuoteShort(body))
				continue
			}
			if key == "__metadata" {
				if sawFields || berry {
					return nil, false, nil, fail(lineNo, "__metadata", "__metadata must come first, and once")
				}
				berry, cur, metaLine = true, nil, lineNo
				continue
			}
			specs, err := splitKey(key)
			if err != nil {
				cur = nil
				bad(lineNo, "", "entry key %s: %v", inventory.QuoteShort(key), err)
				continue
			}
			entries = append(entries, entry{line: lineNo, specs: specs})
			cur = &entries[len(entries)-1]
		case !inEntry:
			bad(lineNo, "", "indented line outside any entry")
		case indent == 2:
			sawFields = true
			name, value, block, err := field(body, berry)
			if err != nil {
				bad(lineNo, "", "%v", err)
				continue
			}
			section = ""
			if block {
				section = name
				continue
			}
			if cur == nil {
				if name == "version" {
					metaVer = value
				}
				continue
			}
			switch name {
			case "version":
				cur.version = value
			case "resolution":
				cur.resolution = value
			case "linkType":
				cur.linkType = value
			}
		case indent == 4 && cur != nil && (section == "dependencies" || section == "optionalDependencies"):
			name, value, block, err := field(body, berry)
			if err != nil {
				bad(lineNo, section, "%v", err)
				continue
			}
			if !block {
				cur.deps = append(cur.deps, name+"@"+value)
			}
		}
	}
	if berry {
		v, err := strconv.Atoi(metaVer)
		if err != nil || v < 2 || v > 8 {
			return nil, false, nil, fail(metaLine, "__metadata.version", "unsupported yarn.lock version %s: want 2 to 8", inventory.QuoteShort(metaVer))
		}
	}
	// Drop the entries with a bad line.
	kept := entries[:0]
	for _, e := range entries {
		if !e.bad {
			kept = append(kept, e)
		}
	}
	return kept, berry, ps, nil
}

// splitKey splits an entry key into its descriptors: `a@^1, "a@^2"`.
func splitKey(key string) ([]string, error) {
	var specs []string
	for rest := key; rest != ""; {
		var spec string
		if rest[0] == '"' {
			s, n, err := unquotePrefix(rest)
			if err != nil {
				return nil, err
			}
			spec, rest = s, rest[n:]
		} else if i := strings.IndexByte(rest, ','); i >= 0 {
			spec, rest = rest[:i], rest[i:]
		} else {
			spec, rest = rest, ""
		}
		// Berry quotes the whole list: "a@npm:^1, a@npm:^2".
		for one := range strings.SplitSeq(spec, ",") {
			one = strings.TrimSpace(one)
			if one == "" {
				return nil, errors.New("empty descriptor")
			}
			specs = append(specs, one)
		}
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return nil, fmt.Errorf("want ',' after %s", inventory.QuoteShort(spec))
		}
		rest = strings.TrimLeft(rest[1:], " ")
		if rest == "" {
			return nil, errors.New("trailing ','")
		}
	}
	return specs, nil
}

// field parses an indented line: classic `name value` or `name:`, berry
// `name: value` or `name:`, with name and value possibly quoted. block
// reports a line that opens a nested block.
func field(body string, berry bool) (name, value string, block bool, err error) {
	rest := body
	if rest[0] == '"' {
		var n int
		name, n, err = unquotePrefix(rest)
		if err != nil {
			return "", "", false, err
		}
		rest = rest[n:]
	} else {
		i := strings.IndexAny(rest, " :")
		if i < 0 {
			return "", "", false, fmt.Errorf("field %s has no value", inventory.QuoteShort(body))
		}
		name, rest = rest[:i], rest[i:]
	}
	if strings.HasPrefix(rest, ":") {
		rest = rest[1:]
		if rest == "" {
			return name, "", true, nil
		}
		if rest[0] != ' ' {
			return "", "", false, fmt.Errorf("want a space after ':' in %s", inventory.QuoteShort(body))
		}
	} else if berry {
		return "", "", false, fmt.Errorf("want ':' after %s", inventory.QuoteShort(name))
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return "", "", false, fmt.Errorf("field %s has no value", inventory.QuoteShort(name))
	}
	if rest[0] == '"' {
		v, n, err := unquotePrefix(rest)
		if err != nil {
			return "", "", false, err
		}
		if strings.TrimSpace(rest[n:]) != "" {
			return "", "", false, fmt.Errorf("text after the quoted value of %s", inventory.QuoteShort(name))
		}
		return name, v, false, nil
	}
	return name, rest, false, nil
}

// unquotePrefix reads the double-quoted string at the start of s and
// returns it with the number of bytes it takes.
func unquotePrefix(s string) (string, int, error) {
	escaped := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			if !escaped {
				return s[1:i], i + 1, nil
			}
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", 0, fmt.Errorf("bad quoted string %s", inventory.QuoteShort(s[:i+1]))
			}
			return v, i + 1, nil
		}
	}
	return "", 0, fmt.Errorf("unterminated quoted string %s", inventory.QuoteShort(s))
}

// relate sets Relation and Dev from the dependency graph.
func relate(in *inventory.Input, entries []entry, berry bool, pkgs []inventory.Package) {
	bySpec := make(map[string]int, len(entries))
	for i, e := range entries {
		for _, s := range e.specs {
			bySpec[s] = i
		}
	}
	var prod, dev []string // root descriptors
	known := false         // whether the roots are known
	dir := path.Dir(in.Path)
	if berry {
		known = true
		for _, e := range entries {
			_, ref := splitSpec(e.resolution)
			ws, ok := strings.CutPrefix(ref, "workspace:")
			if !ok {
				continue
			}
			m := readManifest(in.Root, path.Join(dir, ws, "package.json"))
			for _, d := range e.deps {
				n, _ := splitSpec(d)
				if m != nil && m.devOnly(n) {
					dev = append(dev, d)
				} else {
					prod = append(prod, d)
				}
			}
		}
	} else if m := readManifest(in.Root, path.Join(dir, "package.json")); m != nil {
		known = true
		ms := []*manifest{m}
		for _, pattern := range m.workspaces() {
			files, _ := fs.Glob(in.Root, path.Join(dir, pattern, "package.json"))
			for _, f := range files {
				if w := readManifest(in.Root, f); w != nil {
					ms = append(ms, w)
				}
			}
		}
		for _, m := range ms {
			for _, deps := range []map[string]string{m.Dependencies, m.OptionalDependencies, m.PeerDependencies} {
				for n, r := range deps {
					prod = append(prod, n+"@"+r)
				}
			}
			for n, r := range m.DevDependencies {
				dev = append(dev, n+"@"+r)
			}
		}
	}
	if !known {
		return
	}
	isProd := walk(entries, bySpec, prod)
	isDev := walk(entries, bySpec, dev)
	direct := make([]bool, len(entries))
	for _, d := range slices.Concat(prod, dev) {
		if i, ok := bySpec[d]; ok {
			direct[i] = true
		}
	}
	for i := range pkgs {
		pkgs[i].Relation = inventory.RelationTransitive
		if direct[i] {
			pkgs[i].Relation = inventory.RelationDirect
		}
		pkgs[i].Dev = isDev[i] && !isProd[i]
	}
}

// walk marks the entries reachable from the root descriptors.
func walk(entries []entry, bySpec map[string]int, roots []string) []bool {
	seen := make([]bool, len(entries))
	var stack []int
	push := func(spec string) {
		if i, ok := bySpec[spec]; ok && !seen[i] {
			seen[i] = true
			stack = append(stack, i)
		}
	}
	for _, r := range roots {
		push(r)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range entries[i].deps {
			push(d)
		}
	}
	return seen
}

// manifest is the part of a package.json that names dependencies.
type manifest struct {
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	Workspaces           json.RawMessage   `json:"workspaces"`
}

// devOnly reports whether name is listed only as a dev dependency.
func (m *manifest) devOnly(name string) bool {
	_, dev := m.DevDependencies[name]
	_, p := m.Dependencies[name]
	_, o := m.OptionalDependencies[name]
	_, pe := m.PeerDependencies[name]
	return dev && !p && !o && !pe
}

// workspaces returns the workspace patterns: "workspaces": [...] or
// "workspaces": {"packages": [...]}.
func (m *manifest) workspaces() []string {
	var list []string
	if json.Unmarshal(m.Workspaces, &list) == nil {
		return list
	}
	var obj struct {
		Packages []string `json:"packages"`
	}
	if json.Unmarshal(m.Workspaces, &obj) == nil {
		return obj.Packages
	}
	return nil
}

// readManifest reads a package.json, or returns nil when there is none or
// it cannot be read.
func readManifest(root fs.FS, name string) *manifest {
	if root == nil || !fs.ValidPath(name) {
		return nil
	}
	b, err := fs.ReadFile(root, name)
	if err != nil {
		return nil
	}
	var m manifest
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return &m
}
