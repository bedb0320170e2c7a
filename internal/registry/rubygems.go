package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// RubyGems is a client of a RubyGems server's JSON API
// (/api/v1/versions/NAME.json: every version with its date, licenses and
// prerelease flag), as rubygems.org, Artifactory and Nexus serve it.
type RubyGems struct{ f *fetcher }

// Ecosystem implements Client.
func (*RubyGems) Ecosystem() string { return inventory.RubyGems }

// Package implements Client.
func (c *RubyGems) Package(ctx context.Context, name string) (*Package, error) {
	if name == "" || strings.ContainsAny(name, "/?#\\ ") || strings.Contains(name, "..") {
		return nil, fmt.Errorf("rubygems: %q is not a gem name", name)
	}
	r, err := c.f.get(ctx, "api/v1/versions/"+url.PathEscape(name)+".json", "application/json", func(b []byte) ([]byte, error) {
		p, err := ParseGemVersions(b)
		if err != nil {
			return nil, err
		}
		return encodePackage(p), nil
	})
	if err != nil {
		return nil, fmt.Errorf("rubygems %s: %w", name, err)
	}
	return decodeTrimmed(r, inventory.RubyGems, name)
}

// ParseGemVersions reads /api/v1/versions/NAME.json (newest first). One
// version built for several platforms is listed once.
func ParseGemVersions(b []byte) (*Package, error) {
	var list []struct {
		Number     string    `json:"number"`
		CreatedAt  time.Time `json:"created_at"`
		Licenses   []string  `json:"licenses"`
		Prerelease bool      `json:"prerelease"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, err
	}
	p := &Package{Ecosystem: inventory.RubyGems}
	seen := map[string]bool{}
	for i, e := range list {
		if e.Number == "" {
			return nil, fmt.Errorf("[%d]: field \"number\" is missing", i)
		}
		if seen[e.Number] {
			continue
		}
		seen[e.Number] = true
		lic := strings.Join(e.Licenses, " OR ")
		if len(e.Licenses) > 1 {
			lic = "(" + lic + ")"
		}
		p.Versions = append(p.Versions, Version{Version: e.Number, Published: e.CreatedAt, License: lic, Prerelease: e.Prerelease})
		if p.Latest == "" && !e.Prerelease {
			p.Latest = e.Number
		}
	}
	return p, nil
}
