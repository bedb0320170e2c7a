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
