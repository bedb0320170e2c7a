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

// installAccept asks for npm's abbreviated ("corgi") packument, which
// carries each version's dependencies in a fraction of the full
// document's size.
const installAccept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"

// Dependencies returns the dependencies each version of a package
// declares (version → dependency name → range), from the registry's
// abbreviated packument: remediation reads them to see whether a release
// of a direct dependency pulls in a fixed version of a transitive one.
func (c *NPM) Dependencies(ctx context.Context, name string) (map[string]map[string]string, error) {
	if name == "" || strings.ContainsAny(name, "?#\\ ") || strings.Contains(name, "..") {
		return nil, fmt.Errorf("npm: %q is not a package name", name)
	}
	r, err := c.f.getAs(ctx, url.PathEscape(name), installAccept, "dependencies", func(b []byte) ([]byte, error) {
		deps, err := ParseDependencies(b)
		if err != nil {
			return nil, err
		}
		return json.Marshal(deps)
	})
	if err != nil {
		return nil, fmt.Errorf("npm %s: %w", name, err)
	}
	var deps map[string]map[string]string
	if err := json.Unmarshal(r.Body, &deps); err != nil {
		return nil, fmt.Errorf("npm %s: cached copy of %s unreadable: %w", name, r.URL, err)
	}
	return deps, nil
}

// ParseDependencies reads the "dependencies" of every version of a
// packument, full or abbreviated.
func ParseDependencies(body []byte) (map[string]map[string]string, error) {
	var doc struct {
		Name     string `json:"name"`
		Versions map[string]struct {
			Dependencies map[string]json.RawMessage `json:"dependencies"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if doc.Versions == nil && doc.Name == "" {
		return nil, fmt.Errorf("not a packument: no \"name\" and no \"versions\"")
	}
	out := make(map[string]map[string]string, len(doc.Versions))
	for v, pv := range doc.Versions {
		deps := make(map[string]string, len(pv.Dependencies))
		for n, raw := range pv.Dependencies {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return nil, fmt.Errorf("versions[%q].dependencies[%q]: not a string", v, n)
			}
			deps[n] = s
		}
		out[v] = deps
	}
	return out, nil
}
