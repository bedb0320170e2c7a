package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Packagist is a client of a Composer v2 repository (repo.packagist.org,
// Private Packagist, Artifactory, Nexus): /p2/VENDOR/NAME.json, the
// minified metadata of every tagged release.
type Packagist struct{ f *fetcher }

// Ecosystem implements Client.
func (*Packagist) Ecosystem() string { return inventory.Packagist }

// Package implements Client.
func (c *Packagist) Package(ctx context.Context, name string) (*Package, error) {
	n := strings.ToLower(name)
	v, pkg, ok := strings.Cut(n, "/")
	if !ok || v == "" || pkg == "" || strings.ContainsAny(pkg, "/?#\\ ") || strings.Contains(n, "..") {
		return nil, fmt.Errorf("packagist: %q is not vendor/name", name)
	}
	r, err := c.f.get(ctx, "p2/"+n+".json", "application/json", func(b []byte) ([]byte, error) {
		p, err := ParseComposerP2(b, n)
		if err != nil {
			return nil, err
		}
		return encodePackage(p), nil
	})
	if err != nil {
		return nil, fmt.Errorf("packagist %s: %w", name, err)
	}
	return decodeTrimmed(r, inventory.Packagist, name)
}

// ParseComposerP2 reads a p2 metadata file for package name. Its versions
// are minified (composer/metadata-minifier): each inherits the fields of
// the one before it unless it gives them, and "__unset" removes one.
func ParseComposerP2(b []byte, name string) (*Package, error) {
	var doc struct {
		Minified string                                  `json:"minified"`
		Packages map[string][]map[string]json.RawMessage `json:"packages"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	list, ok := doc.Packages[name]
	if !ok {
		return nil, fmt.Errorf("field \"packages\" has no %q", name)
	}
	p := &Package{Ecosystem: inventory.Packagist, Name: name}
	cur := map[string]json.RawMessage{}
	for i, entry := range list {
		if doc.Minified != "" {
			for k, v := range entry {
				if string(v) == `"__unset"` {
					delete(cur, k)
				} else {
					cur[k] = v
				}
			}
		} else {
			cur = entry
		}
		var ver Version
		if err := json.Unmarshal(cur["version"], &ver.Version); err != nil || ver.Version == "" {
			return nil, fmt.Errorf("packages[%q][%d].version: missing or not a string", name, i)
		}
		var t string
		if json.Unmarshal(cur["time"], &t) == nil {
			ver.Published, _ = time.Parse(time.RFC3339, t)
		}
		var lic []string
		if json.Unmarshal(cur["license"], &lic) == nil && len(lic) > 0 {
			ver.License = strings.Join(lic, " OR ")
			if len(lic) > 1 {
				ver.License = "(" + ver.License + ")"
			}
		}
		if i == 0 {
			// The first entry is the newest release; its "abandoned" is
			// the package's (true, or the name of a replacement).
			var repl string
			var ab bool
			switch {
			case json.Unmarshal(cur["abandoned"], &repl) == nil && repl != "":
				p.Deprecated = "abandoned; use " + repl + " instead"
			case json.Unmarshal(cur["abandoned"], &ab) == nil && ab:
				p.Deprecated = "abandoned"
			}
		}
		ver.Prerelease = strings.Contains(ver.Version, "-")
		if p.Latest == "" && !ver.Prerelease {
			p.Latest = ver.Version
		}
		p.Versions = append(p.Versions, ver)
	}
	return p, nil
}
