// Package vulntest builds inputs for the matcher's tests and benchmarks from
// OSV data: manifests that pin every version the records list.
package vulntest

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Pin is one package at one version.
type Pin struct{ Name, Version string }

// ListedPins reads an OSV all.zip and returns every distinct (package,
// version) pair that an affected entry of the ecosystem lists in
// versions[] and a requirements file can pin, names normalised, sorted by
// name then version string.
func ListedPins(zipPath, ecosystem string) ([]Pin, error) {
	return pins(zipPath, ecosystem, func(a *affected) []string { return a.Versions })
}

// EventPins is like ListedPins for the versions that SEMVER and ECOSYSTEM
// ranges name in their events (introduced other than "0", fixed,
// last_affected): the boundaries where matching decides.
func EventPins(zipPath, ecosystem string) ([]Pin, error) {
	return pins(zipPath, ecosystem, func(a *affected) []string {
		var out []string
		for _, r := range a.Ranges {
			if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
				continue
			}
			for _, e := range r.Events {
				for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected} {
					if v != "" && v != "0" {
						out = append(out, v)
					}
				}
			}
		}
		return out
	})
}

type affected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Versions []string `json:"versions"`
	Ranges   []struct {
		Type   string `json:"type"`
		Events []struct {
			Introduced   string `json:"introduced"`
			Fixed        string `json:"fixed"`
			LastAffected string `json:"last_affected"`
		} `json:"events"`
	} `json:"ranges"`
}

func pins(zipPath, ecosystem string, versions func(*affected) []string) ([]Pin, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("vulntest: %w", err)
	}
	defer zr.Close()
	seen := map[Pin]bool{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.HasSuffix(f.Name, ".json") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("vulntest: %s: %s: %w", zipPath, f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("vulntest: %s: %s: %w", zipPath, f.Name, err)
		}
		var rec struct {
			Affected []affected `json:"affected"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("vulntest: %s: %s: %w", zipPath, f.Name, err)
		}
		for i := range rec.Affected {
			a := &rec.Affected[i]
			if eco, _, _ := strings.Cut(a.Package.Ecosystem, ":"); eco != ecosystem || a.Package.Name == "" {
				continue
			}
			name := inventory.NormalizeName(ecosystem, a.Package.Name)
			for _, v := range versions(a) {
				if pinnable(v) {
					seen[Pin{name, v}] = true
				}
			}
		}
	}
	out := make([]Pin, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// pinnable reports whether a version can follow "==" in a requirements
// file: PEP 440's characters only. The PyPI data lists a few dates with
// times ("2013-01-21T20:33:09+0100" for limnoria) that pip cannot pin.
func pinnable(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte(".!+_-", c) >= 0) {
			return false
		}
	}
	return true
}

// WriteRequirements writes pins as name==version lines into
// requirements-1.txt, requirements-2.txt, ... in dir: file N holds the N-th
// version of every package (pins order), because a requirements file names
// a package once (the extractor keeps a name's first requirement). files
// bounds the number of files, and so the versions per package; 0 writes
// every pin (as many files as the most versions of one package). It
// returns the paths and the number of pins written.
func WriteRequirements(dir string, pins []Pin, files int) ([]string, int, error) {
	var byRank [][]Pin
	rank := map[string]int{}
	for _, p := range pins {
		r := rank[p.Name]
		rank[p.Name] = r + 1
		if files > 0 && r >= files {
			continue
		}
		if r == len(byRank) {
			byRank = append(byRank, nil)
		}
		byRank[r] = append(byRank[r], p)
	}
	var paths []string
	n := 0
	for i, ps := range byRank {
		p := filepath.Join(dir, fmt.Sprintf("requirements-%d.txt", i+1))
		if err := writeLines(p, ps); err != nil {
			return nil, 0, err
		}
		paths = append(paths, p)
		n += len(ps)
	}
	return paths, n, nil
}

func writeLines(path string, pins []Pin) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("vulntest: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, p := range pins {
		fmt.Fprintf(w, "%s==%s\n", p.Name, p.Version)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("vulntest: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("vulntest: %s: %w", path, err)
	}
	return nil
}
