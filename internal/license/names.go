package license

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// names maps license names as metadata writes them (POM <name>, PyPI
// classifiers and license fields, old npm "type" values) to SPDX ids;
// names that do not say which license they mean ("BSD", "GPL") are not
// here, and stay unknown; keys are lower case with runs of space, comma and punctuation made one
// space.
var names = map[string]string{
	"mit":                            "MIT",
	"mit license":                    "MIT",
	"the mit license":                "MIT",
	"mit x11":                        "MIT",
	"expat":                          "MIT",
	"apache 2":                       "Apache-2.0",
	"apache 2 0":                     "Apache-2.0",
	"apache2":                        "Apache-2.0",
	"apache license 2 0":             "Apache-2.0",
	"apache license version 2 0":     "Apache-2.0",
	"the apache license version 2 0": "Apache-2.0",
	"the apache software license version 2 0":              "Apache-2.0",
	"apache software license":                              "Apache-2.0",
	"apache software license 2 0":                          "Apache-2.0",
	"asl 2 0":                                              "Apache-2.0",
	"new bsd license":                                      "BSD-3-Clause",
	"modified bsd license":                                 "BSD-3-Clause",
	"bsd 3 clause license":                                 "BSD-3-Clause",
	"revised bsd license":                                  "BSD-3-Clause",
	"3 clause bsd license":                                 "BSD-3-Clause",
	"bsd 2 clause license":                                 "BSD-2-Clause",
	"simplified bsd license":                               "BSD-2-Clause",
	"freebsd license":                                      "BSD-2-Clause",
	"isc license":                                          "ISC",
	"isc license iscl":                                     "ISC",
	"mozilla public license 2 0":                           "MPL-2.0",
	"mozilla public license 2 0 mpl 2 0":                   "MPL-2.0",
	"mpl 2 0":                                              "MPL-2.0",
	"eclipse public license 1 0":                           "EPL-1.0",
	"eclipse public license v1 0":                          "EPL-1.0",
	"eclipse public license 2 0":                           "EPL-2.0",
	"eclipse public license v 2 0":                         "EPL-2.0",
	"gnu general public license v2 gplv2":                  "GPL-2.0-only",
	"gnu general public license v3 gplv3":                  "GPL-3.0-only",
	"gnu general public license v2 or later gplv2":         "GPL-2.0-or-later",
	"gnu general public license v3 or later gplv3":         "GPL-3.0-or-later",
	"gnu lesser general public license v2 or later lgplv2": "LGPL-2.0-or-later",
	"gnu lesser general public license v3 lgplv3":          "LGPL-3.0-only",
	"gnu lesser general public license v3 or later lgplv3": "LGPL-3.0-or-later",
	"gnu affero general public license v3":                 "AGPL-3.0-only",
	"gnu affero general public license v3 or later agplv3": "AGPL-3.0-or-later",
	"gplv2":                              "GPL-2.0-only",
	"gplv3":                              "GPL-3.0-only",
	"python software foundation license": "PSF-2.0",
	"psf":                                "PSF-2.0",
	"public domain":                      "LicenseRef-Public-Domain",
	"the unlicense unlicense":            "Unlicense",
	"cc0 1 0 universal":                  "CC0-1.0",
	"cc0 1 0 universal cc0 1 0 public domain dedication":   "CC0-1.0",
	"zlib libpng license":                                  "Zlib",
	"boost software license 1 0 bsl 1 0":                   "BSL-1.0",
	"boost software license 1 0":                           "BSL-1.0",
	"common development and distribution license cddl 1 0": "CDDL-1.0",
	"cddl 1 1":                            "CDDL-1.1",
	"cddl gplv2 with classpath exception": "CDDL-1.1 OR GPL-2.0-only WITH Classpath-exception-2.0",
	"gpl2 w cpe":                          "GPL-2.0-only WITH Classpath-exception-2.0",
	"the json license":                    "JSON",
	"wtfpl":                               "WTFPL",
	"do what the f ck you want to public license":      "WTFPL",
	"mit no attribution":                               "MIT-0",
	"historical permission notice and disclaimer hpnd": "HPND",
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func nameKey(s string) string {
	return strings.TrimSpace(nonWord.ReplaceAllString(strings.ToLower(s), " "))
}

// Normalize turns a declared license into an SPDX expression: a valid
// expression is kept as it is (ids in their canonical case), a known name
// ("The Apache Software License, Version 2.0", a PyPI classifier) becomes
// its id, and names joined with " OR " (as several POM licenses or
// classifiers are) are normalised one by one. ok is false when the text is
// not an expression and not a known name; it is returned unchanged.
func Normalize(declared string) (expr string, ok bool) {
	return Names(nil).Normalize(declared)
}

// wrap parenthesises a compound expression.
func wrap(e string) string {
	if strings.ContainsAny(e, " ") && !strings.HasPrefix(e, "(") {
		return "(" + e + ")"
	}
	return e
}

// valid reports whether s parses as an SPDX expression.
func valid(s string) bool {
	_, err := spdxexp.ExtractLicenses(s)
	return err == nil
}

// Names is a site's table of license names, as package metadata writes
// them, to SPDX expressions (LicenseRef-… for the site's own), consulted
// before the embedded table. It comes with a data bundle (docs/bundles.md).
type Names map[string]string

// NamesFile is a license table, as YAML or JSON: the site's license names
// ({"license_names": {"Acme Corp License v1": "LicenseRef-Acme-1"}}) and
// packages' licenses as the site's legal review settled them
// ({"packages": {"npm/left-pad": "WTFPL", "PyPI/requests@2.31.0":
// "Apache-2.0"}}); either may be absent, not both.
type NamesFile struct {
	LicenseNames map[string]string `json:"license_names,omitempty" yaml:"license_names"`
	Packages     map[string]string `json:"packages,omitempty" yaml:"packages"`
}

// Table is a checked license table.
type Table struct {
	Names    Names
	Packages Packages
}

// NewTable checks both parts of a license table file.
func NewTable(file string, f NamesFile) (*Table, error) {
	if len(f.LicenseNames) == 0 && len(f.Packages) == 0 {
		return nil, fmt.Errorf("%s: neither license_names nor packages holds an entry", file)
	}
	t := &Table{}
	var err error
	if len(f.LicenseNames) > 0 {
		if t.Names, err = NewNames(file, f.LicenseNames); err != nil {
			return nil, err
		}
	}
	if len(f.Packages) > 0 {
		if t.Packages, err = NewPackages(file, f.Packages); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Len is the number of entries.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.Names) + len(t.Packages)
}

// Packages maps "ecosystem/name" and "ecosystem/name@version" (lower case,
// Python names normalised as PEP 503 does) to a license expression.
type Packages map[string]string

// NewPackages checks the packages part of a table: keys
// ECOSYSTEM/NAME or ECOSYSTEM/NAME@VERSION, values SPDX expressions.
func NewPackages(file string, table map[string]string) (Packages, error) {
	out := Packages{}
	from := map[string]string{}
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		eco, rest, ok := strings.Cut(strings.TrimSpace(k), "/")
		name, version, _ := strings.Cut(rest, "@")
		if strings.HasPrefix(rest, "@") { // npm scopes: @scope/name@version
			if i := strings.LastIndex(rest, "@"); i > 0 {
				name, version = rest[:i], rest[i+1:]
			} else {
				name, version = rest, ""
			}
		}
		if !ok || eco == "" || name == "" {
			return nil, fmt.Errorf("%s: packages: %q: give ECOSYSTEM/NAME or ECOSYSTEM/NAME@VERSION (npm/left-pad, PyPI/requests@2.31.0)", file, k)
		}
		expr := strings.TrimSpace(table[k])
		if expr == "" || !valid(expr) {
			return nil, fmt.Errorf("%s: packages.%q: %q is not an SPDX expression", file, k, table[k])
		}
		key := packageKey(eco, name, version)
		if prev := from[key]; prev != "" {
			return nil, fmt.Errorf("%s: packages: %q and %q name the same package", file, prev, k)
		}
		from[key] = k
		out[key] = expr
	}
	return out, nil
}

var pep503 = regexp.MustCompile(`[-_.]+`)

func packageKey(eco, name, version string) string {
	eco, name = strings.ToLower(strings.TrimSpace(eco)), strings.ToLower(strings.TrimSpace(name))
	if eco == "pypi" {
		name = pep503.ReplaceAllString(name, "-")
	}
	k := eco + "/" + name
	if version = strings.TrimSpace(version); version != "" {
		k += "@" + version
	}
	return k
}

// Lookup returns the license of a package version: its own entry, else
// the package's; key is the entry's.
func (p Packages) Lookup(eco, name, version string) (expr, key string, ok bool) {
	if len(p) == 0 {
		return "", "", false
	}
	for _, k := range []string{packageKey(eco, name, version), packageKey(eco, name, "")} {
		if e, found := p[k]; found {
			return e, k, true
		}
	}
	return "", "", false
}

// NewNames checks a table: every value an SPDX expression, no key empty
// or equal to another after normalisation. file names it in errors.
func NewNames(file string, table map[string]string) (Names, error) {
	if len(table) == 0 {
		return nil, fmt.Errorf("%s: license_names: no names", file)
	}
	out := Names{}
	from := map[string]string{}
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, name := range keys {
		expr := strings.TrimSpace(table[name])
		key := nameKey(name)
		switch {
		case key == "":
			return nil, fmt.Errorf("%s: license_names: %q: the name has no letters or digits", file, name)
		case from[key] != "":
			return nil, fmt.Errorf("%s: license_names: %q and %q are the same name", file, from[key], name)
		case expr == "" || !valid(expr):
			return nil, fmt.Errorf("%s: license_names.%q: %q is not an SPDX expression (use LicenseRef-NAME for a license of your own)", file, name, table[name])
		}
		from[key] = name
		out[key] = expr
	}
	return out, nil
}

// Normalize is the package's Normalize with the site's names first.
func (n Names) Normalize(declared string) (string, bool) {
	d := strings.TrimSpace(declared)
	if d == "" {
		return "", false
	}
	if id, ok := n[nameKey(d)]; ok {
		return id, true
	}
	if valid(d) {
		return d, true
	}
	if id, found := names[nameKey(d)]; found {
		return id, true
	}
	if strings.Contains(d, " OR ") {
		var parts []string
		for _, p := range strings.Split(strings.Trim(d, "()"), " OR ") {
			e, ok := n.Normalize(p)
			if !ok {
				return d, false
			}
			parts = append(parts, wrap(e))
		}
		if len(parts) == 1 {
			return parts[0], true
		}
		return "(" + strings.Join(parts, " OR ") + ")", true
	}
	return d, false
}
