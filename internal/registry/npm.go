package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// NPM is a client of an npm registry (registry.npmjs.org, Verdaccio,
// Artifactory, Nexus): full packuments, for versions, dist-tags, time,
// deprecated, license and dist.integrity.
type NPM struct{ f *fetcher }

// Ecosystem implements Client.
func (*NPM) Ecosystem() string { return inventory.NPM }

// Package implements Client.
func (c *NPM) Package(ctx context.Context, name string) (*Package, error) {
	if name == "" || strings.ContainsAny(name, "?#\\ ") || strings.Contains(name, "..") {
		return nil, fmt.Errorf("npm: %q is not a package name", name)
	}
	// A scoped name's slash is escaped, as npm's own client sends it.
	r, err := c.f.get(ctx, url.PathEscape(name), "application/json", trimPackument)
	if err != nil {
		return nil, fmt.Errorf("npm %s: %w", name, err)
	}
	return decodeTrimmed(r, inventory.NPM, name)
}

// decodeTrimmed decodes a cached Package.
func decodeTrimmed(r *Response, eco, name string) (*Package, error) {
	p, err := decodePackage(r.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: cached copy of %s unreadable: %w", eco, name, r.URL, err)
	}
	p.Ecosystem, p.Name, p.URL, p.Fetched, p.Stale = eco, name, r.URL, r.Fetched, r.Stale
	return p, nil
}

// packument is the part of an npm packument airlock reads.
type packument struct {
	Name     string                     `json:"name"`
	DistTags map[string]string          `json:"dist-tags"`
	Versions map[string]packumentVer    `json:"versions"`
	Time     map[string]json.RawMessage `json:"time"`
}

type packumentVer struct {
	License    json.RawMessage `json:"license"`
	Licenses   json.RawMessage `json:"licenses"`
	Deprecated json.RawMessage `json:"deprecated"`
	Dist       struct {
		Integrity string `json:"integrity"`
	} `json:"dist"`
}

// ParsePackument reads an npm packument into a Package (without its URL).
func ParsePackument(body []byte) (*Package, error) {
	var doc packument
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if doc.Versions == nil && doc.Name == "" {
		return nil, fmt.Errorf("not a packument: no \"name\" and no \"versions\"")
	}
	p := &Package{Ecosystem: inventory.NPM, Name: doc.Name, Latest: doc.DistTags["latest"]}
	for v, pv := range doc.Versions {
		ver := Version{Version: v, Integrity: pv.Dist.Integrity, License: NPMLicense(pv.License, pv.Licenses)}
		ver.Deprecated = npmDeprecated(pv.Deprecated)
		if raw, ok := doc.Time[v]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				ver.Published, _ = time.Parse(time.RFC3339, s)
			}
		}
		p.Versions = append(p.Versions, ver)
	}
	sort.Slice(p.Versions, func(i, j int) bool { return p.Versions[i].Version < p.Versions[j].Version })
	return p, nil
}

func trimPackument(body []byte) ([]byte, error) {
	p, err := ParsePackument(body)
	if err != nil {
		return nil, err
	}
	return encodePackage(p), nil
}

// NPMLicense reads "license" as npm writes it: an SPDX expression, an
// old {"type": ...} object, or the older "licenses" array (joined with
// OR, as its entries are alternatives).
func NPMLicense(license, licenses json.RawMessage) string {
	var s string
	if json.Unmarshal(license, &s) == nil && s != "" {
		return s
	}
	var obj struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(license, &obj) == nil && obj.Type != "" {
		return obj.Type
	}
	var list []json.RawMessage
	if json.Unmarshal(licenses, &list) == nil || json.Unmarshal(license, &list) == nil {
		var parts []string
		for _, l := range list {
			if json.Unmarshal(l, &s) == nil && s != "" {
				parts = append(parts, s)
			} else if json.Unmarshal(l, &obj) == nil && obj.Type != "" {
				parts = append(parts, obj.Type)
			}
		}
		if len(parts) > 1 {
			return "(" + strings.Join(parts, " OR ") + ")"
		}
		return strings.Join(parts, "")
	}
	return ""
}

// npmDeprecated reads "deprecated": a message (an empty one means not
// deprecated) or, in some old packuments, true.
func npmDeprecated(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil && b {
		return "deprecated"
	}
	return ""
}
