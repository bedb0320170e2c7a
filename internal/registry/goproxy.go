package registry

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// GoProxy is a client of the Go module proxy protocol (proxy.golang.org,
// Athens, Artifactory, Nexus): @v/list, @latest, .info, .mod and .zip.
type GoProxy struct{ f *fetcher }

// Ecosystem implements Client.
func (*GoProxy) Ecosystem() string { return inventory.Go }

// Retraction is a retract directive of a module's latest go.mod.
type Retraction struct {
	Low, High string
	Rationale string
}

// Package implements Client: the listed versions, the latest with its
// time, retractions and the module's deprecation from the latest go.mod.
func (c *GoProxy) Package(ctx context.Context, name string) (*Package, error) {
	esc, err := module.EscapePath(name)
	if err != nil {
		return nil, fmt.Errorf("go %s: %w", name, err)
	}
	list, err := c.f.get(ctx, esc+"/@v/list", "", trimList)
	if err != nil {
		return nil, fmt.Errorf("go %s: %w", name, err)
	}
	p := &Package{Ecosystem: inventory.Go, Name: name, URL: list.URL, Fetched: list.Fetched, Stale: list.Stale}
	for _, v := range strings.Fields(string(list.Body)) {
		p.Versions = append(p.Versions, Version{Version: v, Prerelease: semver.Prerelease(v) != ""})
	}
	sort.Slice(p.Versions, func(i, j int) bool { return semver.Compare(p.Versions[i].Version, p.Versions[j].Version) < 0 })
	// The latest release is the highest listed version that is not a
	// prerelease, as the go command picks it; @latest only when the list
	// has none (a module with pseudo-versions only).
	rel := ""
	for _, v := range p.Versions {
		if !v.Prerelease {
			rel = v.Version
		}
	}
	var info goInfo
	if rel != "" {
		t, err := c.ReleaseTime(ctx, name, rel)
		if err != nil {
			return nil, err
		}
		info = goInfo{Version: rel, Time: t}
	} else {
		latest, err := c.f.get(ctx, esc+"/@latest", "", trimInfo)
		if err != nil {
			return nil, fmt.Errorf("go %s: %w", name, err)
		}
		if info, err = parseInfo(latest.Body); err != nil {
			return nil, fmt.Errorf("go %s: %s: %w", name, latest.URL, err)
		}
	}
	p.Latest = info.Version
	found := false
	for i := range p.Versions {
		if p.Versions[i].Version == info.Version {
			p.Versions[i].Published, found = info.Time, true
		}
	}
	if !found {
		p.Versions = append(p.Versions, Version{Version: info.Version, Published: info.Time})
	}
	escv, err := module.EscapeVersion(info.Version)
	if err != nil {
		return nil, fmt.Errorf("go %s: %w", name, err)
	}
	mod, err := c.f.get(ctx, esc+"/@v/"+escv+".mod", "", trimGoMod)
	if err != nil {
		return nil, fmt.Errorf("go %s: %w", name, err)
	}
	var gm goMod
	if err := json.Unmarshal(mod.Body, &gm); err != nil {
		return nil, fmt.Errorf("go %s: cached copy of %s unreadable: %w", name, mod.URL, err)
	}
	p.Deprecated, p.Retract = gm.Deprecated, gm.Retract
	for i := range p.Versions {
		if r, ok := gm.retracted(p.Versions[i].Version); ok {
			p.Versions[i].Yanked, p.Versions[i].YankedReason = true, r
		}
	}
	return p, nil
}

// ReleaseTime returns the time the proxy records for one version (.info).
func (c *GoProxy) ReleaseTime(ctx context.Context, name, version string) (time.Time, error) {
	esc, err := module.EscapePath(name)
	if err != nil {
		return time.Time{}, err
	}
	escv, err := module.EscapeVersion(version)
	if err != nil {
		return time.Time{}, err
	}
	r, err := c.f.get(ctx, esc+"/@v/"+escv+".info", "", trimInfo)
	if err != nil {
		return time.Time{}, fmt.Errorf("go %s: %w", name, err)
	}
	info, err := parseInfo(r.Body)
	return info.Time, err
}

// License implements Licenser: the license files at the root of the
// module's zip.
func (c *GoProxy) License(ctx context.Context, name, version string) (*License, error) {
	esc, err := module.EscapePath(name)
	if err != nil {
		return nil, fmt.Errorf("go %s: %w", name, err)
	}
	escv, err := module.EscapeVersion(version)
	if err != nil {
		return nil, fmt.Errorf("go %s: %w", name, err)
	}
	r, err := c.f.get(ctx, esc+"/@v/"+escv+".zip", "", func(b []byte) ([]byte, error) {
		files, err := ZipLicenseFiles(b)
		if err != nil {
			return nil, err
		}
		return json.Marshal(files)
	})
	if err != nil {
		return nil, fmt.Errorf("go %s@%s: %w", name, version, err)
	}
	var files map[string][]byte
	if err := json.Unmarshal(r.Body, &files); err != nil {
		return nil, fmt.Errorf("go %s@%s: cached copy of %s unreadable: %w", name, version, r.URL, err)
	}
	return &License{Files: files, URL: r.URL, Stale: r.Stale}, nil
}

// maxLicenseFile bounds one license file read from an archive.
const maxLicenseFile = 1 << 20

// IsLicenseFile reports whether a file name is a license file's
// (LICENSE, LICENCE, COPYING, with any extension or suffix).
func IsLicenseFile(name string) bool {
	n := strings.ToUpper(path.Base(name))
	for _, p := range []string{"LICENSE", "LICENCE", "COPYING", "UNLICENSE"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// ZipLicenseFiles returns the license files at the root of a module zip
// ("module@version/LICENSE"), each at most 1 MiB.
func ZipLicenseFiles(b []byte) (map[string][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		// Files are "module/path@version/name": the root ends at the
		// first slash after the "@".
		at := strings.Index(f.Name, "@")
		if at < 0 {
			continue
		}
		_, rest, ok := strings.Cut(f.Name[at:], "/")
		if !ok || strings.Contains(rest, "/") || !IsLicenseFile(rest) || f.FileInfo().IsDir() {
			continue
		}
		if f.UncompressedSize64 > maxLicenseFile {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxLicenseFile))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out[rest] = data
	}
	return out, nil
}

// trimList checks a @v/list body: one version a line.
func trimList(b []byte) ([]byte, error) {
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		v := strings.TrimSpace(line)
		if v == "" {
			continue
		}
		if !semver.IsValid(v) {
			return nil, fmt.Errorf("line %d: %q is not a semantic version", i+1, v)
		}
		out = append(out, v)
	}
	return []byte(strings.Join(out, "\n")), nil
}

type goInfo struct {
	Version string    `json:"Version"`
	Time    time.Time `json:"Time"`
}

func parseInfo(b []byte) (goInfo, error) {
	var i goInfo
	if err := json.Unmarshal(b, &i); err != nil {
		return i, err
	}
	if !semver.IsValid(i.Version) {
		return i, fmt.Errorf("field \"Version\": %q is not a semantic version", i.Version)
	}
	return i, nil
}

func trimInfo(b []byte) ([]byte, error) {
	i, err := parseInfo(b)
	if err != nil {
		return nil, err
	}
	return json.Marshal(i)
}

// goMod is what the latest go.mod says about the module's releases.
type goMod struct {
	Deprecated string       `json:"deprecated,omitempty"`
	Retract    []Retraction `json:"retract,omitempty"`
}

func (g goMod) retracted(v string) (string, bool) {
	return Retracted(g.Retract, v)
}

// Retracted reports whether retract directives cover version v, and why.
func Retracted(rs []Retraction, v string) (string, bool) {
	for _, r := range rs {
		if semver.Compare(v, r.Low) >= 0 && semver.Compare(v, r.High) <= 0 {
			if r.Rationale == "" {
				return "retracted by the module's author", true
			}
			return r.Rationale, true
		}
	}
	return "", false
}

// ParseGoMod reads the deprecation and retractions of a go.mod.
func ParseGoMod(b []byte) (deprecated string, retract []Retraction, err error) {
	f, err := modfile.ParseLax("go.mod", b, nil)
	if err != nil {
		return "", nil, err
	}
	if f.Module != nil {
		deprecated = f.Module.Deprecated
	}
	for _, r := range f.Retract {
		retract = append(retract, Retraction{Low: r.Low, High: r.High, Rationale: r.Rationale})
	}
	return deprecated, retract, nil
}

func trimGoMod(b []byte) ([]byte, error) {
	d, r, err := ParseGoMod(b)
	if err != nil {
		return nil, err
	}
	return json.Marshal(goMod{Deprecated: d, Retract: r})
}

// Requirement is one require directive of a module's go.mod.
type Requirement struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// Requires returns the requirements of one version's go.mod (.mod), as
// remediation reads them to see whether a release of a module pulls in a
// fixed version of another.
func (c *GoProxy) Requires(ctx context.Context, name, version string) ([]Requirement, error) {
	esc, err := module.EscapePath(name)
	if err != nil {
		return nil, fmt.Errorf("go %s: %w", name, err)
	}
	escv, err := module.EscapeVersion(version)
	if err != nil {
		return nil, fmt.Errorf("go %s: %w", name, err)
	}
	r, err := c.f.getAs(ctx, esc+"/@v/"+escv+".mod", "", "require", trimRequires)
	if err != nil {
		return nil, fmt.Errorf("go %s@%s: %w", name, version, err)
	}
	var reqs []Requirement
	if err := json.Unmarshal(r.Body, &reqs); err != nil {
		return nil, fmt.Errorf("go %s@%s: cached copy of %s unreadable: %w", name, version, r.URL, err)
	}
	return reqs, nil
}

// ParseRequires reads the require directives of a go.mod.
func ParseRequires(b []byte) ([]Requirement, error) {
	f, err := modfile.ParseLax("go.mod", b, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Requirement, 0, len(f.Require))
	for _, r := range f.Require {
		out = append(out, Requirement{Path: r.Mod.Path, Version: r.Mod.Version})
	}
	return out, nil
}

func trimRequires(b []byte) ([]byte, error) {
	reqs, err := ParseRequires(b)
	if err != nil {
		return nil, err
	}
	return json.Marshal(reqs)
}
