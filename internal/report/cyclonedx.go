package report

import (
	"io"
	"slices"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/scan"
)

// CycloneDX 1.6 JSON (ECMA-424 first edition), the parts airlock fills.

const (
	cdxSchema      = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	cdxSpecVersion = "1.6"
	// cdxManifestProperty names the manifest a component was found in; a
	// component found in several manifests has the property once for each.
	cdxManifestProperty = "airlock:manifest"
	// cdxIgnoredProperty records an ignored finding on its vulnerability:
	// the affected package, the manifest and the reason.
	cdxIgnoredProperty = "airlock:ignored"
	// cdxKindProperty marks a package-risk signal (an informational
	// advisory such as RustSec's "unmaintained") among the
	// vulnerabilities: its value is "risk".
	cdxKindProperty = "airlock:kind"
)

type cdxBOM struct {
	Schema          string             `json:"$schema"`
	BOMFormat       string             `json:"bomFormat"`
	SpecVersion     string             `json:"specVersion"`
	SerialNumber    string             `json:"serialNumber"`
	Version         int                `json:"version"`
	Metadata        cdxMetadata        `json:"metadata"`
	Components      []cdxComponent     `json:"components"`
	Vulnerabilities []cdxVulnerability `json:"vulnerabilities"`
}

type cdxMetadata struct {
	Timestamp string        `json:"timestamp,omitempty"`
	Tools     cdxTools      `json:"tools"`
	Component *cdxComponent `json:"component,omitempty"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	Type       string        `json:"type"`
	BOMRef     string        `json:"bom-ref,omitempty"`
	Group      string        `json:"group,omitempty"`
	Name       string        `json:"name"`
	Version    string        `json:"version,omitempty"`
	PURL       string        `json:"purl,omitempty"`
	Licenses   []cdxLicense  `json:"licenses,omitempty"`
	Properties []cdxProperty `json:"properties,omitempty"`
}

// cdxLicense is one entry of a component's licenses: an SPDX expression
// (the only entry then), or a license by name when the text is not one.
type cdxLicense struct {
	Expression string          `json:"expression,omitempty"`
	License    *cdxLicenseName `json:"license,omitempty"`
}

type cdxLicenseName struct {
	Name string `json:"name"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxVulnerability struct {
	BOMRef         string         `json:"bom-ref"`
	ID             string         `json:"id"`
	Source         *cdxSource     `json:"source,omitempty"`
	References     []cdxReference `json:"references,omitempty"`
	Ratings        []cdxRating    `json:"ratings"`
	Description    string         `json:"description,omitempty"`
	Detail         string         `json:"detail,omitempty"`
	Recommendation string         `json:"recommendation,omitempty"`
	Advisories     []cdxAdvisory  `json:"advisories,omitempty"`
	Published      string         `json:"published,omitempty"`
	Updated        string         `json:"updated,omitempty"`
	Affects        []cdxAffect    `json:"affects"`
	Properties     []cdxProperty  `json:"properties,omitempty"`
}

type cdxSource struct {
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

type cdxReference struct {
	ID     string    `json:"id"`
	Source cdxSource `json:"source"`
}

type cdxRating struct {
	Score    *float64 `json:"score,omitempty"`
	Severity string   `json:"severity,omitempty"`
	Method   string   `json:"method"`
	Vector   string   `json:"vector,omitempty"`
}

type cdxAdvisory struct {
	URL string `json:"url"`
}

type cdxAffect struct {
	Ref string `json:"ref"`
}

// writeCycloneDX writes an SBOM of every package in every manifest, with the
// vulnerability findings attached. Findings that share an id become one
// vulnerability affecting each of their packages. Dependencies between
// packages are not written: the inventory records whether a package is
// direct, not which package pulls in which.
func writeCycloneDX(w io.Writer, r *scan.Result, o Options) error {
	target := r.Target
	if target == "" {
		target = "."
	}
	tool := cdxComponent{Type: "application", Name: toolName(o), Version: o.ToolVersion}
	bom := cdxBOM{
		Schema:       cdxSchema,
		BOMFormat:    "CycloneDX",
		SpecVersion:  cdxSpecVersion,
		SerialNumber: "urn:uuid:" + stableUUID("cyclonedx-serial", r.Target, r.FinishedAt.UTC().Format(time.RFC3339Nano)),
		Version:      1,
		Metadata: cdxMetadata{
			Tools:     cdxTools{Components: []cdxComponent{tool}},
			Component: &cdxComponent{Type: "application", Name: target},
		},
		Components:      cdxComponents(r),
		Vulnerabilities: cdxVulnerabilities(r.Findings),
	}
	if !r.FinishedAt.IsZero() {
		bom.Metadata.Timestamp = r.FinishedAt.UTC().Format(time.RFC3339)
	}
	vulns := bom.Vulnerabilities
	if len(vulns) > 0 {
		bom.Vulnerabilities = []cdxVulnerability{}
	}
	return writeIndentedJSONArray(w, bom, "vulnerabilities", vulns)
}

// cdxComponents returns one component per distinct package URL, sorted by
// it, naming every manifest the package was found in. Packages that appear
// only in findings are included so every vulnerability's reference resolves.
func cdxComponents(r *scan.Result) []cdxComponent {
	type entry struct {
		pkg   inventory.Package
		paths []string
	}
	byPURL := map[string]*entry{}
	add := func(p inventory.Package, path string) {
		purl := p.PURL()
		e, ok := byPURL[purl]
		if !ok {
			e = &entry{pkg: p}
			byPURL[purl] = e
		}
		if path != "" && !slices.Contains(e.paths, path) {
			e.paths = append(e.paths, path)
		}
	}
	for _, m := range r.Manifests {
		for _, p := range m.Packages {
			add(p, m.Path)
		}
	}
	for i := range r.Findings {
		if p := r.Findings[i].Package; p != nil {
			path := r.Findings[i].Location.Path
			if path == "" {
				path = p.Location.Path
			}
			add(*p, path)
		}
	}

	// Licenses from the license analyzer, else as the lockfile declares
	// them.
	licenses := map[string]scan.PackageLicense{}
	for _, l := range r.Licenses {
		if l.PURL != "" {
			if _, ok := licenses[l.PURL]; !ok {
				licenses[l.PURL] = l
			}
		}
	}
	for purl, e := range byPURL {
		if _, ok := licenses[purl]; !ok && e.pkg.License != "" {
			licenses[purl] = scan.PackageLicense{Declared: e.pkg.License}
		}
	}
	purls := make([]string, 0, len(byPURL))
	for purl := range byPURL {
		purls = append(purls, purl)
	}
	slices.Sort(purls)
	comps := make([]cdxComponent, 0, len(purls))
	for _, purl := range purls {
		e := byPURL[purl]
		group, name := cdxName(e.pkg)
		c := cdxComponent{
			Type:    "library",
			BOMRef:  purl,
			Group:   group,
			Name:    name,
			Version: e.pkg.Version,
			PURL:    purl,
		}
		if l, ok := licenses[purl]; ok {
			if l.License != "" {
				c.Licenses = []cdxLicense{{Expression: l.License}}
			} else if l.Declared != "" {
				c.Licenses = []cdxLicense{{License: &cdxLicenseName{Name: l.Declared}}}
			}
		}
		slices.Sort(e.paths)
		for _, p := range e.paths {
			c.Properties = append(c.Properties, cdxProperty{Name: cdxManifestProperty, Value: p})
		}
		comps = append(comps, c)
	}
	return comps
}

// cdxName splits a package name into CycloneDX group and name the way each
// ecosystem's own tools do: npm scopes, Maven group ids and Packagist
// vendors become the group. A Go module keeps its whole path as its name, as
// Go tooling names modules.
func cdxName(p inventory.Package) (group, name string) {
	switch p.Ecosystem {
	case inventory.NPM:
		if strings.HasPrefix(p.Name, "@") {
			if g, n, ok := strings.Cut(p.Name, "/"); ok {
				return g, n
			}
		}
	case inventory.Maven:
		if g, n, ok := strings.Cut(p.Name, ":"); ok {
			return g, n
		}
	case inventory.Packagist:
		if g, n, ok := strings.Cut(p.Name, "/"); ok {
			return g, n
		}
	}
	return "", p.Name
}

// cdxVulnerabilities groups vulnerability and package-risk findings by id,
// in the order the ids first appear (most severe first). A risk finding
// (an informational advisory) keeps its rating, info, and says what it is
// in an airlock:kind property.
func cdxVulnerabilities(fs []finding.Finding) []cdxVulnerability {
	vulns := []cdxVulnerability{}
	index := map[string]int{}
	for i := range fs {
		f := &fs[i]
		if f.Kind != finding.KindVulnerability && f.Kind != finding.KindRisk || f.Package == nil {
			continue
		}
		purl := f.Package.PURL()
		n, ok := index[f.ID]
		if !ok {
			n = len(vulns)
			index[f.ID] = n
			vulns = append(vulns, cdxVulnerabilityFor(f))
		}
		v := &vulns[n]
		if !slices.Contains(v.Affects, cdxAffect{Ref: purl}) {
			v.Affects = append(v.Affects, cdxAffect{Ref: purl})
		}
		if f.Ignored != nil {
			val := purl
			if f.Location.Path != "" {
				val += " in " + f.Location.Path
			}
			if reason := oneLine(f.Ignored.Reason); reason != "" {
				val += ": " + reason
			}
			v.Properties = append(v.Properties, cdxProperty{Name: cdxIgnoredProperty, Value: val})
		}
	}
	return vulns
}

func cdxVulnerabilityFor(f *finding.Finding) cdxVulnerability {
	src := advisoryFor(f.ID)
	v := cdxVulnerability{
		BOMRef:         f.ID,
		ID:             f.ID,
		Source:         &cdxSource{Name: src.source, URL: src.url},
		Ratings:        cdxRatings(f),
		Description:    oneLine(f.Title),
		Detail:         strings.TrimSpace(f.Description),
		Recommendation: remedy(f),
		Affects:        []cdxAffect{},
	}
	if f.Kind == finding.KindRisk {
		v.Properties = append(v.Properties, cdxProperty{Name: cdxKindProperty, Value: string(finding.KindRisk)})
	}
	for _, a := range f.Aliases {
		if a == f.ID {
			continue
		}
		as := advisoryFor(a)
		v.References = append(v.References, cdxReference{ID: a, Source: cdxSource{Name: as.source, URL: as.url}})
	}
	seen := map[string]bool{}
	for _, u := range f.References {
		if webURL(u) && !seen[u] {
			seen[u] = true
			v.Advisories = append(v.Advisories, cdxAdvisory{URL: u})
		}
	}
	if f.Published != nil {
		v.Published = f.Published.UTC().Format(time.RFC3339)
	}
	if f.Modified != nil {
		v.Updated = f.Modified.UTC().Format(time.RFC3339)
	}
	return v
}

// cdxRatings turns each CVSS score into a rating. A finding without CVSS
// gets one rating carrying its qualitative severity, with method "other".
func cdxRatings(f *finding.Finding) []cdxRating {
	var ratings []cdxRating
	for _, c := range f.CVSS {
		method, ok := cdxMethod(c.Version)
		if !ok {
			continue
		}
		rt := cdxRating{Method: method, Vector: c.Vector}
		if c.Score > 0 {
			score := c.Score
			rt.Score = &score
			rt.Severity = cvssSeverity(c.Version, c.Score)
		}
		ratings = append(ratings, rt)
	}
	if len(ratings) == 0 {
		ratings = append(ratings, cdxRating{Severity: string(f.Severity), Method: "other"})
	}
	return ratings
}

func cdxMethod(version string) (string, bool) {
	switch version {
	case "2.0":
		return "CVSSv2", true
	case "3.0":
		return "CVSSv3", true
	case "3.1":
		return "CVSSv31", true
	case "4.0":
		return "CVSSv4", true
	}
	return "", false
}

// cvssSeverity is the qualitative rating of a CVSS base score as the CVSS
// specification of that version defines it (version 2 has no critical).
func cvssSeverity(version string, score float64) string {
	switch {
	case score == 0:
		return "none"
	case score < 4:
		return "low"
	case score < 7:
		return "medium"
	case score < 9 || version == "2.0":
		return "high"
	}
	return "critical"
}
