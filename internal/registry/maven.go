package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Maven is a client of a Maven repository (Maven Central's layout, as
// Artifactory and Nexus serve it): maven-metadata.xml for the versions,
// POMs for licenses, following parent POMs when a POM declares none.
type Maven struct{ f *fetcher }

// Ecosystem implements Client.
func (*Maven) Ecosystem() string { return inventory.Maven }

// mavenPath returns "group/path/artifact" for "group:artifact".
func mavenPath(name string) (string, error) {
	g, a, ok := strings.Cut(name, ":")
	if !ok || g == "" || a == "" || strings.ContainsAny(name, "/?#\\ ") || strings.Contains(name, "..") || strings.Contains(a, ":") {
		return "", fmt.Errorf("maven: %q is not groupId:artifactId", name)
	}
	return strings.ReplaceAll(g, ".", "/") + "/" + a, nil
}

// Package implements Client.
func (c *Maven) Package(ctx context.Context, name string) (*Package, error) {
	p, err := mavenPath(name)
	if err != nil {
		return nil, err
	}
	r, err := c.f.get(ctx, p+"/maven-metadata.xml", "", func(b []byte) ([]byte, error) {
		pkg, err := ParseMavenMetadata(b)
		if err != nil {
			return nil, err
		}
		return encodePackage(pkg), nil
	})
	if err != nil {
		return nil, fmt.Errorf("maven %s: %w", name, err)
	}
	return decodeTrimmed(r, inventory.Maven, name)
}

// xmlDecoder reads XML, taking declared single-byte charsets as they come
// (POMs are ASCII in practice).
func xmlDecoder(b []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	return d
}

// ParseMavenMetadata reads maven-metadata.xml: the versions, the release
// (else latest) and, as the release's date, lastUpdated (the repository
// records no per-version dates).
func ParseMavenMetadata(b []byte) (*Package, error) {
	var doc struct {
		XMLName    xml.Name `xml:"metadata"`
		Versioning struct {
			Latest      string   `xml:"latest"`
			Release     string   `xml:"release"`
			Versions    []string `xml:"versions>version"`
			LastUpdated string   `xml:"lastUpdated"`
		} `xml:"versioning"`
	}
	if err := xmlDecoder(b).Decode(&doc); err != nil {
		return nil, err
	}
	v := doc.Versioning
	p := &Package{Ecosystem: inventory.Maven, Latest: strings.TrimSpace(v.Release)}
	if p.Latest == "" {
		p.Latest = strings.TrimSpace(v.Latest)
	}
	var updated time.Time
	if v.LastUpdated != "" {
		t, err := time.Parse("20060102150405", strings.TrimSpace(v.LastUpdated))
		if err != nil {
			return nil, fmt.Errorf("versioning.lastUpdated: %q is not yyyyMMddHHmmss", v.LastUpdated)
		}
		updated = t
	}
	for _, s := range v.Versions {
		ver := Version{Version: strings.TrimSpace(s)}
		if ver.Version == p.Latest {
			ver.Published = updated
		}
		p.Versions = append(p.Versions, ver)
	}
	return p, nil
}

// pom is the part of a POM airlock reads.
type pom struct {
	Parent *struct {
		GroupID    string `xml:"groupId"`
		ArtifactID string `xml:"artifactId"`
		Version    string `xml:"version"`
	} `xml:"parent"`
	Licenses []string `xml:"licenses>license>name"`
}

// ParsePOM reads a POM's license names and its parent ("g:a", version).
func ParsePOM(b []byte) (licenses []string, parent, parentVersion string, err error) {
	var doc pom
	if err := xmlDecoder(b).Decode(&doc); err != nil {
		return nil, "", "", err
	}
	for _, l := range doc.Licenses {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			licenses = append(licenses, l)
		}
	}
	if doc.Parent != nil && doc.Parent.GroupID != "" && doc.Parent.ArtifactID != "" {
		parent, parentVersion = doc.Parent.GroupID+":"+doc.Parent.ArtifactID, strings.TrimSpace(doc.Parent.Version)
	}
	return licenses, parent, parentVersion, nil
}

// maxParents bounds the chain of parent POMs followed.
const maxParents = 5

// License implements Licenser: the POM's licenses, else its nearest
// parent's. Several licenses of one POM are alternatives (joined with OR).
func (c *Maven) License(ctx context.Context, name, version string) (*License, error) {
	stale := false
	for i := 0; i <= maxParents; i++ {
		p, err := mavenPath(name)
		if err != nil {
			return nil, err
		}
		if version == "" || strings.ContainsAny(version, "/?#\\ ") || strings.Contains(version, "..") {
			return nil, fmt.Errorf("maven %s: %q is not a version", name, version)
		}
		_, artifact, _ := strings.Cut(name, ":")
		r, err := c.f.get(ctx, p+"/"+version+"/"+artifact+"-"+version+".pom", "", func(b []byte) ([]byte, error) {
			l, parent, pv, err := ParsePOM(b)
			if err != nil {
				return nil, err
			}
			return json.Marshal(pomTrim{Licenses: l, Parent: parent, ParentVersion: pv})
		})
		if err != nil {
			return nil, fmt.Errorf("maven %s:%s: %w", name, version, err)
		}
		stale = stale || r.Stale
		var t pomTrim
		if err := json.Unmarshal(r.Body, &t); err != nil {
			return nil, fmt.Errorf("maven %s: cached copy of %s unreadable: %w", name, r.URL, err)
		}
		if len(t.Licenses) > 0 {
			return &License{Declared: strings.Join(t.Licenses, " OR "), URL: r.URL, Stale: stale}, nil
		}
		if t.Parent == "" || t.ParentVersion == "" {
			return &License{URL: r.URL, Stale: stale}, nil
		}
		name, version = t.Parent, t.ParentVersion
	}
	return nil, fmt.Errorf("maven: more than %d parent POMs without a license", maxParents)
}

type pomTrim struct {
	Licenses      []string `json:"licenses,omitempty"`
	Parent        string   `json:"parent,omitempty"`
	ParentVersion string   `json:"parent_version,omitempty"`
}
