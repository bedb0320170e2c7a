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
	"strings"
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
	r := airlock(t, db, "scan", "--scanners", "vuln,risk", "--format", "cyclonedx", dir)
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

// vulnFinding is the part of a JSON report's finding these tests read.
type vulnFinding struct {
	Kind, ID, Title, Severity, Fingerprint string
	SeveritySource                         string `json:"severity_source"`
	Aliases                                []string
	Package                                *struct{ Name, Version string }
}

func scanFindings(t *testing.T, db string, args ...string) []vulnFinding {
	t.Helper()
	r := airlock(t, db, append([]string{"scan", "--scanners", "vuln", "--format", "json", "--fail-on", "none"}, args...)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct{ Findings []vulnFinding }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	return rep.Findings
}

// TestDistinctAdvisoriesStayApart: two RustSec advisories that share a
// GHSA alias are two findings, each with its own id and title.
func TestDistinctAdvisoriesStayApart(t *testing.T) {
	db := recordsDB(t, map[string][]string{"osv/crates.io/all.zip": {"RUSTSEC-2026-0024", "RUSTSEC-2026-0025"}})
	dir := writeTree(t, map[string]string{"Cargo.lock": "version = 3\n\n[[package]]\nname = \"libcrux-psq\"\nversion = \"0.0.6\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"})
	fs := scanFindings(t, db, dir)
	got := map[string]string{}
	for _, f := range fs {
		got[f.ID] = f.Title
	}
	want := map[string]string{
		"RUSTSEC-2026-0024": "Incorrect X25519 clamping check rejects all secrets on import",
		"RUSTSEC-2026-0025": "Panic in `libcrux-psq` on decryption of malformed AES-GCM ciphertext",
	}
	if len(fs) != 2 || got["RUSTSEC-2026-0024"] != want["RUSTSEC-2026-0024"] || got["RUSTSEC-2026-0025"] != want["RUSTSEC-2026-0025"] {
		t.Errorf("findings = %+v, want one for each of %v", fs, want)
	}
}

// TestSeverityFromGHSAAlias: PYSEC and GO records carry no rating; with the
// GHSA records of the same advisories imported beside them the findings
// are rated, and say where the rating came from.
func TestSeverityFromGHSAAlias(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"requirements.txt": "django==3.2.0\ncryptography==3.2\n",
		"go.mod":           "module example.com/app\n\ngo 1.21\n\ntoolchain go1.21.13\n\nrequire golang.org/x/net v0.7.0\n",
	})
	own := map[string][]string{
		"osv/PyPI/all.zip": {"PYSEC-2022-190", "PYSEC-2023-11"},
		"osv/Go/all.zip":   {"GO-2023-2102"},
	}
	rating := func(fs []vulnFinding) map[string]string {
		out := map[string]string{}
		for _, f := range fs {
			out[f.ID] = f.Severity + " from " + f.SeveritySource
		}
		return out
	}
	got := rating(scanFindings(t, recordsDB(t, own), dir))
	for _, id := range []string{"PYSEC-2022-190", "PYSEC-2023-11", "GO-2023-2102"} {
		if got[id] != "unknown from " {
			t.Errorf("%s without GHSA data: %q, want unknown", id, got[id])
		}
	}
	withGHSA := map[string][]string{
		"osv-ghsa/PyPI/all.zip": {"GHSA-2gwj-7jmv-h26r", "GHSA-w7pp-m8wf-vj6r"},
		"osv-ghsa/Go/all.zip":   {"GHSA-4374-p667-p6c8"},
	}
	for k, v := range own {
		withGHSA[k] = v
	}
	got = rating(scanFindings(t, recordsDB(t, withGHSA), dir))
	want := map[string]string{
		"PYSEC-2022-190": "critical from alias GHSA-2gwj-7jmv-h26r cvss_v3.1",
		"PYSEC-2023-11":  "medium from alias GHSA-w7pp-m8wf-vj6r database_specific",
		"GO-2023-2102":   "high from alias GHSA-4374-p667-p6c8 cvss_v3.1",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
}

// TestGoStdlibVersion: the go directive is a minimum, not the toolchain
// that builds the module; the standard library is checked at a toolchain
// directive or --go-version, at the go directive only when asked, and
// otherwise one warning per go.mod says it was not checked and how.
func TestGoStdlibVersion(t *testing.T) {
	db := recordsDB(t, map[string][]string{"osv/Go/all.zip": {"GO-2023-2044"}}) // stdlib >= 1.21.0-0, < 1.21.1
	goOnly := writeTree(t, map[string]string{"go.mod": "module example.com/app\n\ngo 1.21\n"})
	withTool := writeTree(t, map[string]string{"go.mod": "module example.com/app\n\ngo 1.21\n\ntoolchain go1.21.0\n"})
	type outcome struct {
		Stdlib  string // the version of the stdlib finding, if any
		Warning bool   // the "not checked" notice
	}
	run := func(dir string, args ...string) outcome {
		t.Helper()
		r := airlock(t, db, append([]string{"scan", "--scanners", "vuln", "--format", "json", "--fail-on", "none"}, append(args, dir)...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		var rep struct {
			Findings []vulnFinding
			Notices  []noticeJSON
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		var o outcome
		for _, f := range rep.Findings {
			if f.ID == "GO-2023-2044" && f.Package != nil && f.Package.Name == "stdlib" {
				o.Stdlib = f.Package.Version
			}
		}
		for _, n := range rep.Notices {
			if n.Path == "go.mod" && n.Line == 3 && n.Level == "warning" && strings.Contains(n.Message, "standard library not checked") && strings.Contains(n.Message, "--go-version") {
				if o.Warning {
					t.Errorf("%v: more than one notice for go.mod", args)
				}
				o.Warning = true
			}
		}
		return o
	}
	for _, tt := range []struct {
		name string
		dir  string
		args []string
		want outcome
	}{
		{"go directive alone", goOnly, nil, outcome{Warning: true}},
		{"go directive when asked", goOnly, []string{"--go-version", "go-directive"}, outcome{Stdlib: "1.21.0"}},
		{"site toolchain, affected", goOnly, []string{"--go-version", "go1.21.0"}, outcome{Stdlib: "1.21.0"}},
		{"site toolchain, fixed", goOnly, []string{"--go-version", "1.22.5"}, outcome{}},
		{"toolchain directive", withTool, nil, outcome{Stdlib: "1.21.0"}},
	} {
		if got := run(tt.dir, tt.args...); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if r := airlock(t, db, "scan", "--go-version", "latest", goOnly); r.code != exitUsage || !strings.Contains(r.stderr, "--go-version") {
		t.Errorf("--go-version latest: exit %d, stderr %q; want %d naming the flag", r.code, r.stderr, exitUsage)
	}
}

// TestGoVersionFromPolicy: go_version in .airlock.yaml sets the standard
// library's release; --go-version wins over it.
func TestGoVersionFromPolicy(t *testing.T) {
	db := recordsDB(t, map[string][]string{"osv/Go/all.zip": {"GO-2023-2044"}}) // stdlib >= 1.21.0-0, < 1.21.1
	dir := writeTree(t, map[string]string{
		"go.mod":        "module example.com/app\n\ngo 1.21\n",
		".airlock.yaml": "version: 1\ngo_version: 1.21.0\n",
	})
	stdlib := func(args ...string) int {
		t.Helper()
		var n int
		for _, f := range scanFindings(t, db, append(args, dir)...) {
			if f.Package != nil && f.Package.Name == "stdlib" {
				n++
			}
		}
		return n
	}
	if n := stdlib(); n != 1 {
		t.Errorf("go_version 1.21.0: %d stdlib findings, want 1", n)
	}
	if n := stdlib("--go-version", "1.22.5"); n != 0 {
		t.Errorf("--go-version 1.22.5 over go_version 1.21.0: %d stdlib findings, want 0", n)
	}
}
