package main

// Regression tests for matching, severity and CycloneDX accuracy: the Go
// standard library, informational advisories in the SBOM, distinct
// advisories that share an alias, and where a severity comes from.

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// recordsDB imports the named records, read unchanged from the shared
// all.zip files (zips maps a zip path relative to the shared data directory
// to the record ids to take from it), into a fresh database.
func recordsDB(t *testing.T, zips map[string][]string) string {
	t.Helper()
	dir := t.TempDir()
	recs := filepath.Join(dir, "records")
	if err := os.Mkdir(recs, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, ids := range zips {
		p := filepath.Join(osvDir, "..", filepath.FromSlash(name))
		z, err := zip.OpenReader(p)
		if err != nil {
			t.Skipf("shared OSV data not found at %s (it lives in ../shared beside the repository): %v", p, err)
		}
		want := map[string]bool{}
		for _, id := range ids {
			want[id+".json"] = true
		}
		for _, f := range z.File {
			if !want[f.Name] {
				continue
			}
			delete(want, f.Name)
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(recs, f.Name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		z.Close()
		for id := range want {
			t.Fatalf("%s has no record %s", p, id)
		}
	}
	db := filepath.Join(dir, "v.db")
	if r := airlock(t, db, "db", "import", recs); r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return db
}

// TestCycloneDXKeepsRiskFindings: an informational RustSec advisory
// (unmaintained) is in the SBOM, as in the other formats, with its rating.
func TestCycloneDXKeepsRiskFindings(t *testing.T) {
	db := recordsDB(t, map[string][]string{"osv/crates.io/all.zip": {"RUSTSEC-2024-0384"}})
	dir := writeTree(t, map[string]string{"Cargo.lock": "version = 3\n\n[[package]]\nname = \"instant\"\nversion = \"0.1.13\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"})
	r := airlock(t, db, "scan", "--scanners", "vuln", "--format", "cyclonedx", dir)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 (risk findings never fail)\n%s%s", r.code, r.stdout, r.stderr)
	}
	var bom struct {
		Vulnerabilities []struct {
			ID      string
			Ratings []struct{ Severity, Method string }
			Affects []struct{ Ref string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &bom); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(bom.Vulnerabilities) != 1 {
		t.Fatalf("%d vulnerabilities in the SBOM, want the risk finding RUSTSEC-2024-0384:\n%s", len(bom.Vulnerabilities), r.stdout)
	}
	v := bom.Vulnerabilities[0]
	if v.ID != "RUSTSEC-2024-0384" || len(v.Ratings) != 1 || v.Ratings[0].Severity != "info" ||
		len(v.Affects) != 1 || v.Affects[0].Ref != "pkg:cargo/instant@0.1.13" {
		t.Errorf("SBOM vulnerability = %+v, want RUSTSEC-2024-0384 rated info affecting pkg:cargo/instant@0.1.13", v)
	}
}
