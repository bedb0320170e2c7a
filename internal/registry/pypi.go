package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// PyPI is a client of a Python package index: the simple API in its JSON
// form (PEP 691, with PEP 700's versions and upload times), and the JSON
// API (/pypi/NAME/VERSION/json) for licenses where the mirror has it
// (PyPI, devpi, Artifactory and Nexus do; a plain file index does not).
// The configured URL is the simple index ("https://pypi.org/simple").
type PyPI struct{ f *fetcher }

// Ecosystem implements Client.
func (*PyPI) Ecosystem() string { return inventory.PyPI }

// simpleAccept asks for PEP 691 JSON.
const simpleAccept = "application/vnd.pypi.simple.v1+json"

// Package implements Client.
func (c *PyPI) Package(ctx context.Context, name string) (*Package, error) {
	norm := inventory.NormalizeName(inventory.PyPI, name)
	if norm == "" || strings.ContainsAny(norm, "/?#\\ ") {
		return nil, fmt.Errorf("pypi: %q is not a project name", name)
	}
	r, err := c.f.get(ctx, norm+"/", simpleAccept, func(b []byte) ([]byte, error) {
		p, err := ParseSimple(b)
		if err != nil {
			return nil, err
		}
		return encodePackage(p), nil
	})
	if err != nil {
		return nil, fmt.Errorf("pypi %s: %w", name, err)
	}
	return decodeTrimmed(r, inventory.PyPI, name)
}

// simpleDoc is a PEP 691 project page.
type simpleDoc struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Name     string   `json:"name"`
	Versions []string `json:"versions"`
	Files    []struct {
		Filename   string          `json:"filename"`
		Yanked     json.RawMessage `json:"yanked"`
		UploadTime string          `json:"upload-time"`
	} `json:"files"`
}

// ParseSimple reads a PEP 691 JSON project page: a version is yanked when
// every file of it is (PEP 592), and published at its first upload.
func ParseSimple(b []byte) (*Package, error) {
	var doc simpleDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(doc.Meta.APIVersion, "1.") {
		return nil, fmt.Errorf("field \"meta.api-version\" is %q, not 1.x (is this a PEP 691 JSON response?)", doc.Meta.APIVersion)
	}
	type agg struct {
		files, yanked int
		reason        string
		first         time.Time
	}
	byVer := map[string]*agg{}
	for _, v := range doc.Versions {
		byVer[v] = &agg{}
	}
	for i, f := range doc.Files {
		v := fileVersion(f.Filename)
		if v == "" {
			continue
		}
		a := byVer[v]
		if a == nil {
			a = &agg{}
			byVer[v] = a
		}
		a.files++
		var yb bool
		var ys string
		switch {
		case len(f.Yanked) == 0 || string(f.Yanked) == "null":
		case json.Unmarshal(f.Yanked, &yb) == nil:
			if yb {
				a.yanked++
			}
		case json.Unmarshal(f.Yanked, &ys) == nil:
			a.yanked++
			a.reason = ys
		default:
			return nil, fmt.Errorf("files[%d].yanked: neither a boolean nor a string", i)
		}
		if t, err := time.Parse(time.RFC3339, f.UploadTime); err == nil && (a.first.IsZero() || t.Before(a.first)) {
			a.first = t
		}
	}
	p := &Package{Ecosystem: inventory.PyPI, Name: doc.Name}
	for v, a := range byVer {
		ver := Version{Version: v, Published: a.first}
		if a.files > 0 && a.yanked == a.files {
			ver.Yanked, ver.YankedReason = true, a.reason
		}
		p.Versions = append(p.Versions, ver)
	}
	sort.Slice(p.Versions, func(i, j int) bool { return p.Versions[i].Version < p.Versions[j].Version })
	return p, nil
}

// fileVersion reads the version out of a distribution's file name:
// wheels and eggs (name-version-...), sdists (name-version.tar.gz).
func fileVersion(fn string) string {
	switch {
	case strings.HasSuffix(fn, ".whl"), strings.HasSuffix(fn, ".egg"):
		parts := strings.Split(fn, "-")
		if len(parts) >= 3 {
			return parts[1]
		}
		return ""
	}
	for _, ext := range []string{".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar"} {
		if strings.HasSuffix(fn, ext) {
			base := strings.TrimSuffix(fn, ext)
			if i := strings.LastIndex(base, "-"); i > 0 {
				return base[i+1:]
			}
		}
	}
	return ""
}

// License implements Licenser through the JSON API, beside the simple
// index ("/simple" → "/pypi/NAME/VERSION/json").
func (c *PyPI) License(ctx context.Context, name, version string) (*License, error) {
	base := strings.TrimSuffix(c.f.base.String(), "/")
	root, ok := strings.CutSuffix(base, "/simple")
	if !ok {
		return nil, fmt.Errorf("pypi %s: %w: the index %s does not end in /simple, so its JSON API is unknown", name, ErrNotFound, base)
	}
	norm := inventory.NormalizeName(inventory.PyPI, name)
	u := root + "/pypi/" + norm + "/" + version + "/json"
	if strings.ContainsAny(norm+version, "/?#\\ ") {
		return nil, fmt.Errorf("pypi: %q %q is not a project and version", name, version)
	}
	r, err := c.f.getURL(ctx, u, "application/json", func(b []byte) ([]byte, error) {
		l, err := ParsePyPIJSON(b)
		if err != nil {
			return nil, err
		}
		return json.Marshal(l)
	})
	if err != nil {
		return nil, fmt.Errorf("pypi %s: %w", name, err)
	}
	var l string
	if err := json.Unmarshal(r.Body, &l); err != nil {
		return nil, fmt.Errorf("pypi %s: cached copy of %s unreadable: %w", name, r.URL, err)
	}
	return &License{Declared: l, URL: r.URL, Stale: r.Stale}, nil
}

// ParsePyPIJSON reads the license of a JSON API answer: PEP 639's
// license_expression, else the license field when it is short (it often
// holds the whole text), else the OSI classifiers joined with OR.
func ParsePyPIJSON(b []byte) (string, error) {
	var doc struct {
		Info *struct {
			License           string   `json:"license"`
			LicenseExpression string   `json:"license_expression"`
			Classifiers       []string `json:"classifiers"`
		} `json:"info"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", err
	}
	if doc.Info == nil {
		return "", fmt.Errorf("field \"info\" is missing")
	}
	if l := strings.TrimSpace(doc.Info.LicenseExpression); l != "" {
		return l, nil
	}
	var cls []string
	for _, c := range doc.Info.Classifiers {
		if rest, ok := strings.CutPrefix(c, "License :: "); ok {
			parts := strings.Split(rest, " :: ")
			cls = append(cls, parts[len(parts)-1])
		}
	}
	if l := strings.TrimSpace(doc.Info.License); l != "" && len(l) <= 100 && !strings.Contains(l, "\n") {
		return l, nil
	}
	return strings.Join(cls, " OR "), nil
}

// Hashes returns the sha256 digests of every file the index serves for
// one version of a project (wheels and sdists, yanked ones too: pip
// checks whichever file it picks against the list), in the index's
// order, as a hash-pinned requirements file lists them; an error matching
// ErrNotFound when the index has no file of that version.
func (c *PyPI) Hashes(ctx context.Context, name, version string) ([]string, error) {
	norm := inventory.NormalizeName(inventory.PyPI, name)
	if norm == "" || strings.ContainsAny(norm, "/?#\\ ") {
		return nil, fmt.Errorf("pypi: %q is not a project name", name)
	}
	r, err := c.f.getAs(ctx, norm+"/", simpleAccept, "hashes", func(b []byte) ([]byte, error) {
		h, err := ParseSimpleHashes(b)
		if err != nil {
			return nil, err
		}
		return json.Marshal(h)
	})
	if err != nil {
		return nil, fmt.Errorf("pypi %s: %w", name, err)
	}
	var byVer map[string][]string
	if err := json.Unmarshal(r.Body, &byVer); err != nil {
		return nil, fmt.Errorf("pypi %s: cached copy of %s unreadable: %w", name, r.URL, err)
	}
	hs := byVer[version]
	if len(hs) == 0 {
		return nil, fmt.Errorf("pypi %s: %s lists no file of %s with a sha256 hash: %w", name, r.URL, version, ErrNotFound)
	}
	return hs, nil
}

// ParseSimpleHashes reads the sha256 hashes of a PEP 691 JSON project
// page's files, by version.
func ParseSimpleHashes(b []byte) (map[string][]string, error) {
	var doc struct {
		Meta struct {
			APIVersion string `json:"api-version"`
		} `json:"meta"`
		Files []struct {
			Filename string            `json:"filename"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(doc.Meta.APIVersion, "1.") {
		return nil, fmt.Errorf("field \"meta.api-version\" is %q, not 1.x (is this a PEP 691 JSON response?)", doc.Meta.APIVersion)
	}
	out := map[string][]string{}
	for i, f := range doc.Files {
		v := fileVersion(f.Filename)
		h := strings.ToLower(f.Hashes["sha256"])
		if v == "" || h == "" {
			continue
		}
		if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("files[%d].hashes.sha256: %q is not a hex SHA-256", i, f.Hashes["sha256"])
		}
		if !slices.Contains(out[v], h) {
			out[v] = append(out[v], h)
		}
	}
	return out, nil
}
