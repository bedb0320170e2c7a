// Package pnpmlock extracts npm packages from pnpm-lock.yaml files of
// lockfile versions 5.x (pnpm 7 and older: "/name/1.0.0" keys, "_peer@1.0.0"
// suffixes), 6.x (pnpm 8: "/name@1.0.0(peer@1.0.0)") and 9.x (pnpm 9 and
// 10: "name@1.0.0" keys, with a separate snapshots section). It reads the
// YAML that pnpm writes line by line, in one linear pass, rather than
// through a general YAML parser. When a file holds several YAML documents
// (pnpm 10 puts its own toolchain in a first one), only the last is read.
//
// One package is reported per entry of the packages section, at the line of
// its key: for versions 5 and 6 that is one per combination of peer
// dependencies (pnpm installs each separately), for version 9 one per name
// and version. Names are real package names, aliases included. A package is
// reported only when it pins an exact semver version (peer suffixes
// removed), from the key or from the entry's name and version fields, so
// git and tarball entries that record a semver version are reported and
// those that do not are skipped. Workspace links (link:) are not in the
// packages section and are never reported.
//
// Relation: packages that an importer (the project or a workspace member;
// the top-level dependencies of single-project version 5 and 6 files) lists
// are direct, all others transitive. Dev is the "dev: true" flag of
// versions 5 and 6; version 9 files no longer carry it, so there a package
// is Dev when the snapshots graph reaches it only from devDependencies.
//
// A line that cannot be read inside a section is an error at its line,
// and the package entry it belongs to is not reported; the others are. A
// bad line at the top level, or a section that is not a mapping, stops
// the reading: the file is not read.
package pnpmlock

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Extractor reads pnpm-lock.yaml files.
type Extractor struct{}

// New returns a pnpm-lock.yaml extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "npm/pnpm-lock" }

// FileRequired reports whether p is a pnpm-lock.yaml outside node_modules.
func (*Extractor) FileRequired(p string) bool {
	dir, base := path.Split(p)
	if base != "pnpm-lock.yaml" {
		return false
	}
	for _, seg := range strings.Split(dir, "/") {
		if seg == "node_modules" {
			return false
		}
	}
	return true
}

// pkgEntry is one entry of the packages section.
type pkgEntry struct {
	key           string
	line          int
	name, version string // the name: and version: fields
	dev           bool
	bad           bool // a line of it could not be read: not reported
}

// dep is one dependency of an importer or a snapshot.
type dep struct {
	from  string // snapshot key, or "" for an importer
	name  string
	value string // the version, as the format writes it
	dev   bool   // listed in devDependencies
}

type lockfile struct {
	major     int
	versionAt int
	packages  []pkgEntry
	importers []dep
	snapshots []dep
	problems  inventory.Problems
}

// Extract implements inventory.Extractor.
func (x *Extractor) Extract(ctx context.Context, in *inventory.Input) ([]inventory.Package, error) {
	raw, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	data := string(raw)
	if strings.TrimSpace(data) == "" {
		return nil, &inventory.ParseError{Path: in.Path, Err: errors.New("empty file: expected a pnpm lockfile with a lockfileVersion")}
	}
	lf, err := parse(ctx, in.Path, data)
	if err != nil {
		return nil, err
	}
	return lf.problems.Result(lf.packagesOf(in.Path))
}

// parse reads the lockfile's sections. It keeps, for each indentation
// level, the key last seen there, and acts on lines by their path.
func parse(ctx context.Context, file string, data string) (*lockfile, error) {
	fail := func(line int, format string, args ...any) error {
		return &inventory.ParseError{Path: file, Line: line, Err: fmt.Errorf(format, args...)}
	}
	lf := &lockfile{}
	var (
		keys    []string // keys by level
		version string
		sawDoc  bool
		inline  = -1 // level of the last key with a value on its line
		// skipBelow, when not -1, skips the lines indented deeper than
		// that level: the rest of an entry with a bad line.
		skipBelow = -1
	)
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
				return nil, err
			}
		}
		line = strings.TrimRight(line, " \r")
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		body := line[indent:]
		if body == "" || body[0] == '#' {
			continue
		}
		if indent == 0 && (body == "---" || strings.HasPrefix(body, "--- ")) {
			if sawDoc {
				// A later document replaces what came before.
				*lf = lockfile{}
				version, keys, inline = "", keys[:0], -1
			}
			continue
		}
		if indent == 0 && body == "..." {
			continue
		}
		sawDoc = true
		if skipBelow >= 0 && indent > 2*skipBelow {
			continue // inside an entry already reported as unreadable
		}
		skipBelow = -1
		// soft reports a bad line inside a section: the entry it belongs
		// to is dropped, and the file read on. A bad line at the top
		// level leaves the structure unknown, and stops the reading.
		soft := func(format string, args ...any) error {
			level := indent / 2
			if level == 0 || len(keys) == 0 || !isSection(keys[0]) {
				return fail(lineNo, format, args...)
			}
			lf.problems.Add(fail(lineNo, format, args...).(*inventory.ParseError))
			if keys[0] == "packages" && len(lf.packages) > 0 && level >= 2 {
				lf.packages[len(lf.packages)-1].bad = true
			}
			skipBelow = 1
			return nil
		}
		if body[0] == '\t' {
			if err := soft("indentation with a tab"); err != nil {
				return nil, err
			}
			continue
		}
		if body[0] == '-' && (len(body) == 1 || body[1] == ' ') {
			if len(keys) > 0 && indent <= 2 && isSection(keys[0]) && (len(keys) == 1 || indent == 0) {
				return nil, &inventory.ParseError{Path: file, Line: lineNo, Field: keys[0],
					Err: errors.New("want a mapping, got a sequence")}
			}
			continue // a block sequence item: nothing read is a sequence
		}
		if indent%2 != 0 {
			if err := soft("indentation of %d spaces; pnpm indents by 2", indent); err != nil {
				return nil, err
			}
			continue
		}
		level := indent / 2
		if level > len(keys) || inline >= 0 && level > inline {
			continue // the continuation of a long value
		}
		key, value, block, err := keyValue(body)
		if err != nil {
			if err := soft("%v", err); err != nil {
				return nil, err
			}
			continue
		}
		keys = append(keys[:level], key)
		inline = level
		if block {
			inline = -1
			if level == 1 && keys[0] == "packages" {
				lf.packages = append(lf.packages, pkgEntry{key: key, line: lineNo})
			}
			continue
		}
		if level == 0 && isSection(key) && value != "{}" && value != "" && value != "~" && value != "null" {
			return nil, &inventory.ParseError{Path: file, Line: lineNo, Field: key, Err: sectionValueError(value)}
		}
		switch keys[0] {
		case "lockfileVersion":
			if level == 0 {
				version, lf.versionAt = value, lineNo
				major, err := majorVersion(version)
				if err != nil {
					return nil, fail(lineNo, "%v", err)
				}
				lf.major = major
			}
		case "importers":
			// importers.<path>.<section>.<name>: <version>    (5.x)
			// importers.<path>.<section>.<name>.version: <v>  (6.x, 9.x)
			switch {
			case level < 3 || !isDepSection(keys[2]):
			case level == 3:
				lf.importers = append(lf.importers, dep{name: key, value: value, dev: keys[2] == "devDependencies"})
			case level == 4 && key == "version":
				lf.importers = append(lf.importers, dep{name: keys[3], value: value, dev: keys[2] == "devDependencies"})
			}
		case "dependencies", "devDependencies", "optionalDependencies":
			// Single-project files: <section>.<name>: <version> (5.x)
			// or <section>.<name>.version: <v> (6.x).
			switch {
			case level == 1:
				lf.importers = append(lf.importers, dep{name: key, value: value, dev: keys[0] == "devDependencies"})
			case level == 2 && key == "version":
				lf.importers = append(lf.importers, dep{name: keys[1], value: value, dev: keys[0] == "devDependencies"})
			}
		case "packages":
			switch {
			case level == 1:
				// A one-line entry ("key: {}"), which has no fields.
				lf.packages = append(lf.packages, pkgEntry{key: key, line: lineNo})
			case level == 2 && len(lf.packages) > 0:
				e := &lf.packages[len(lf.packages)-1]
				switch key {
				case "name":
					e.name = value
				case "version":
					e.version = value
				case "dev":
					e.dev = value == "true"
				}
			}
		case "snapshots":
			if level == 3 && (keys[2] == "dependencies" || keys[2] == "optionalDependencies") {
				lf.snapshots = append(lf.snapshots, dep{from: keys[1], name: key, value: value})
			}
		}
	}
	if version == "" {
		return nil, fail(0, "no lockfileVersion: not a pnpm lockfile")
	}
	return lf, nil
}

// isSection reports whether a top-level key is a section the extractor
// reads, which must be a mapping.
func isSection(key string) bool {
	switch key {
	case "packages", "importers", "snapshots", "dependencies", "devDependencies", "optionalDependencies":
		return true
	}
	return false
}

// sectionValueError explains why the value on a section's own line is not
// the mapping the section must be.
func sectionValueError(value string) error {
	switch {
	case strings.HasPrefix(value, "*"):
		return fmt.Errorf("want a mapping, got the YAML alias %s, which pnpm never writes (write the mapping out)", inventory.QuoteShort(value))
	case strings.HasPrefix(value, "&"):
		return fmt.Errorf("want a mapping, got the YAML anchor %s on the same line as values, which pnpm never writes", inventory.QuoteShort(value))
	case strings.HasPrefix(value, "["):
		return errors.New("want a mapping, got a sequence")
	case strings.HasPrefix(value, "{"):
		return errors.New("want a mapping in block style, got a flow mapping, which pnpm never writes")
	}
	return fmt.Errorf("want a mapping, got %s", inventory.QuoteShort(value))
}

func isDepSection(s string) bool {
	return s == "dependencies" || s == "devDependencies" || s == "optionalDependencies"
}

// majorVersion checks a lockfileVersion ("5.4", '6.0', '9.0').
func majorVersion(v string) (int, error) {
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if err != nil || (n != 5 && n != 6 && n != 9) {
		return 0, fmt.Errorf("unsupported lockfileVersion %s: want 5.x, 6.x or 9.x", strconv.Quote(v))
	}
	return n, nil
}

// keyValue splits "key: value" or "key:" (a block follows), unquoting a
// quoted key or value. Flow collections ({...}, [...]) are returned as is.
func keyValue(body string) (key, value string, block bool, err error) {
	rest := body
	if rest[0] == '\'' || rest[0] == '"' {
		var n int
		key, n, err = unquote(rest)
		if err != nil {
			return "", "", false, err
		}
		rest = rest[n:]
		if !strings.HasPrefix(rest, ":") {
			return "", "", false, fmt.Errorf("want ':' after the key %s", inventory.QuoteShort(key))
		}
		rest = rest[1:]
	} else if strings.HasSuffix(rest, ":") && !strings.Contains(rest, ": ") {
		key, rest = rest[:len(rest)-1], ""
	} else if i := strings.Index(rest, ": "); i >= 0 {
		key, rest = rest[:i], rest[i+1:]
	} else {
		return "", "", false, fmt.Errorf("want 'key: value', got %s", inventory.QuoteShort(body))
	}
	if i := strings.Index(rest, " #"); i >= 0 && !strings.ContainsAny(rest[:i], "'\"") {
		rest = rest[:i]
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return key, "", true, nil
	}
	if rest[0] == '\'' || rest[0] == '"' {
		v, n, err := unquote(rest)
		if err != nil {
			return "", "", false, err
		}
		if strings.TrimSpace(rest[n:]) != "" {
			return "", "", false, fmt.Errorf("text after the quoted value of %s", inventory.QuoteShort(key))
		}
		return key, v, false, nil
	}
	return key, rest, false, nil
}

// unquote reads the YAML quoted scalar at the start of s, returning it and
// the number of bytes it takes.
func unquote(s string) (string, int, error) {
	q := s[0]
	escaped := false
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case q == '\'' && c == '\'':
			if i+1 < len(s) && s[i+1] == '\'' { // '' is a quote
				escaped = true
				i++
				continue
			}
			v := s[1:i]
			if escaped {
				v = strings.ReplaceAll(v, "''", "'")
			}
			return v, i + 1, nil
		case q == '"' && c == '\\':
			escaped = true
			i++
		case q == '"' && c == '"':
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

// parseKey returns the name and version a packages key names, peer
// suffixes removed.
func parseKey(key string, major int) (name, version string) {
	if major == 5 {
		k := key
		if !strings.HasPrefix(k, "/") {
			// "registry.example.com/name/1.0.0": drop the host.
			if i := strings.IndexByte(k, '/'); i >= 0 && strings.Contains(k[:i], ".") {
				k = k[i:]
			}
		}
		k = strings.TrimPrefix(k, "/")
		i := strings.LastIndexByte(k, '/')
		if i <= 0 {
			return "", ""
		}
		return k[:i], stripPeers(k[i+1:])
	}
	k := strings.TrimPrefix(key, "/")
	if i := strings.IndexByte(k, '('); i >= 0 {
		k = k[:i]
	}
	i := strings.LastIndexByte(k, '@')
	if i <= 0 {
		return "", ""
	}
	return k[:i], stripPeers(k[i+1:])
}

// stripPeers removes a peer-dependency suffix: "1.0.0(react@18.2.0)" or
// "1.0.0_react@18.2.0".
func stripPeers(v string) string {
	if i := strings.IndexAny(v, "(_"); i >= 0 {
		return v[:i]
	}
	return v
}

// depKey is the packages (5.x, 6.x) or snapshots (9.x) key a dependency
// resolves to, or "" for links.
func depKey(d dep, major int) string {
	v := d.value
	if strings.HasPrefix(v, "link:") {
		return ""
	}
	if strings.HasPrefix(v, "file:") && major != 9 {
		return v
	}
	base := v
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = base[:i]
	}
	switch major {
	case 5, 6:
		// A value with a slash is a whole key: an alias ("/real/1.0.0",
		// "/real@1.0.0"), or a git, tarball or other-registry package.
		if strings.Contains(base, "/") {
			return v
		}
		if major == 5 {
			return "/" + d.name + "/" + v
		}
		return "/" + d.name + "@" + v
	}
	if strings.LastIndexByte(base, '@') > 0 && !strings.Contains(base, ":") {
		return v // an alias: "real@1.0.0"
	}
	return d.name + "@" + v
}

// packageKey is the packages key of a version 9 snapshot key.
func packageKey(snapshot string) string {
	if i := strings.IndexByte(snapshot, '('); i >= 0 {
		return snapshot[:i]
	}
	return snapshot
}

func (lf *lockfile) packagesOf(file string) []inventory.Package {
	byKey := make(map[string]int, len(lf.packages))
	for i, e := range lf.packages {
		byKey[e.key] = i
	}
	direct := make([]bool, len(lf.packages))
	for _, d := range lf.importers {
		k := depKey(d, lf.major)
		if lf.major == 9 {
			k = packageKey(k)
		}
		if i, ok := byKey[k]; ok {
			direct[i] = true
		}
	}
	var dev []bool
	if lf.major == 9 {
		dev = lf.devOnly(byKey)
	}
	out := make([]inventory.Package, 0, len(lf.packages))
	for i, e := range lf.packages {
		name, version := parseKey(e.key, lf.major)
		if e.name != "" {
			name = e.name
		}
		if e.version != "" {
			version = stripPeers(e.version)
		}
		if e.bad || name == "" || !inventory.ExactSemver(version) {
			continue
		}
		p := inventory.Package{
			Ecosystem: inventory.NPM,
			Name:      strings.Clone(name), // not to keep the whole file alive
			Version:   strings.Clone(version),
			Relation:  inventory.RelationTransitive,
			Dev:       e.dev,
			Location:  inventory.Location{Path: file, Line: e.line},
		}
		if direct[i] {
			p.Relation = inventory.RelationDirect
		}
		if dev != nil {
			p.Dev = dev[i]
		}
		out = append(out, p)
	}
	return out
}

// devOnly walks the version 9 snapshots graph from the importers and marks
// the packages reached only through devDependencies.
func (lf *lockfile) devOnly(byKey map[string]int) []bool {
	edges := make(map[string][]string, len(lf.snapshots))
	for _, d := range lf.snapshots {
		if k := depKey(d, 9); k != "" {
			edges[d.from] = append(edges[d.from], k)
		}
	}
	walk := func(dev bool) map[string]bool {
		seen := make(map[string]bool)
		var stack []string
		for _, d := range lf.importers {
			if k := depKey(d, 9); d.dev == dev && k != "" && !seen[k] {
				seen[k] = true
				stack = append(stack, k)
			}
		}
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, next := range edges[k] {
				if !seen[next] {
					seen[next] = true
					stack = append(stack, next)
				}
			}
		}
		return seen
	}
	prod, dev := walk(false), walk(true)
	out := make([]bool, len(lf.packages))
	for k := range dev {
		if i, ok := byKey[packageKey(k)]; ok {
			out[i] = true
		}
	}
	for k := range prod {
		if i, ok := byKey[packageKey(k)]; ok {
			out[i] = false
		}
	}
	return out
}
