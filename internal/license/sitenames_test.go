package license

import (
	"strings"
	"testing"
)

func TestSiteNames(t *testing.T) {
	n, err := NewNames("t.yaml", map[string]string{"Acme Corp License, v1": "LicenseRef-Acme-1", "Dual Corp": "MIT OR Apache-2.0"})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"acme corp license v1":                     "LicenseRef-Acme-1",
		"ACME Corp License (v1)":                   "LicenseRef-Acme-1",
		"Acme Corp License v1 OR MIT License":      "(LicenseRef-Acme-1 OR MIT)",
		"The Apache Software License, Version 2.0": "Apache-2.0",
		"MIT":       "MIT",
		"Dual Corp": "MIT OR Apache-2.0",
	} {
		if got, ok := n.Normalize(in); !ok || got != want {
			t.Errorf("Normalize(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	if got, ok := n.Normalize("Unknown Thing"); ok {
		t.Errorf("an unknown name normalised to %q", got)
	}
	var none Names
	if got, ok := none.Normalize("MIT License"); !ok || got != "MIT" {
		t.Errorf("nil table: %q %v", got, ok)
	}
	for _, tc := range []struct {
		table map[string]string
		want  string
	}{
		{nil, "no names"},
		{map[string]string{"x": "not spdx"}, `license_names."x"`},
		{map[string]string{"!!": "MIT"}, "no letters or digits"},
		{map[string]string{"Acme  License": "MIT", "acme license": "MIT"}, "are the same name"},
	} {
		if _, err := NewNames("t.yaml", tc.table); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "t.yaml") {
			t.Errorf("%v: %v, want %q", tc.table, err, tc.want)
		}
	}
}

func TestSitePackages(t *testing.T) {
	tab, err := NewTable("t.yaml", NamesFile{Packages: map[string]string{
		"npm/left-pad": "WTFPL", "PyPI/Foo_Bar@1.0": "MIT", "pypi/foo-bar": "Apache-2.0", "npm/@acme/x@2.0.0": "LicenseRef-Acme", "Go/golang.org/x/net": "BSD-3-Clause"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ eco, name, version, want string }{
		{"npm", "left-pad", "1.3.0", "WTFPL"},
		{"PyPI", "foo.bar", "1.0", "MIT"},
		{"PyPI", "FOO-bar", "2.0", "Apache-2.0"},
		{"npm", "@acme/x", "2.0.0", "LicenseRef-Acme"},
		{"npm", "@acme/x", "3.0.0", ""},
		{"Go", "golang.org/x/net", "v0.33.0", "BSD-3-Clause"},
	} {
		got, _, ok := tab.Packages.Lookup(tc.eco, tc.name, tc.version)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Lookup(%s %s %s) = %q %v, want %q", tc.eco, tc.name, tc.version, got, ok, tc.want)
		}
	}
	for _, tc := range []struct {
		f    NamesFile
		want string
	}{
		{NamesFile{}, "neither license_names nor packages"},
		{NamesFile{Packages: map[string]string{"left-pad": "MIT"}}, "give ECOSYSTEM/NAME"},
		{NamesFile{Packages: map[string]string{"npm/x": "nope nope"}}, `packages."npm/x"`},
		{NamesFile{Packages: map[string]string{"PyPI/a_b": "MIT", "pypi/A-B": "MIT"}}, "name the same package"},
	} {
		if _, err := NewTable("t.yaml", tc.f); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.f, err, tc.want)
		}
	}
}
