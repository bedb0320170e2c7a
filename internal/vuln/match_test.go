package vuln

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
)

// memSource is a Source over records held in memory.
type memSource struct{ recs []*osv.Vulnerability }

func (m *memSource) Names(_ context.Context, eco string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, r := range m.recs {
		for _, a := range r.Affected {
			if baseEcosystem(a.Package.Ecosystem) == eco {
				out[inventory.NormalizeName(eco, a.Package.Name)] = true
			}
		}
	}
	return out, nil
}

func (m *memSource) Query(_ context.Context, eco, name string) ([]*osv.Vulnerability, error) {
	var out []*osv.Vulnerability
	for _, r := range m.recs {
		for _, a := range r.Affected {
			if affectedEntryMatches(&a, eco, inventory.NormalizeName(eco, name)) {
				out = append(out, r)
				break
			}
		}
	}
	return out, nil
}

// sharedRecords reads the named records from a shared all.zip, skipping the
// test when the shared data is absent.
func sharedRecords(t *testing.T, eco string, ids ...string) []*osv.Vulnerability {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", "osv", eco, "all.zip")
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Skipf("shared OSV data not available at %s: %v", p, err)
	}
	defer zr.Close()
	var out []*osv.Vulnerability
	for _, id := range ids {
		f, err := zr.Open(id + ".json")
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		var v osv.Vulnerability
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, &v)
	}
	return out
}

func match(t *testing.T, src Source, eco, name, version string) []finding.Finding {
	t.Helper()
	fs, err := NewMatcher(src).Match(context.Background(), inventory.Package{
		Ecosystem: eco, Name: name, Version: version,
		Location: inventory.Location{Path: "lock", Line: 7},
	})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func ids(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// withoutVersions drops the explicit versions lists so that only ranges
// decide.
func withoutVersions(recs []*osv.Vulnerability) []*osv.Vulnerability {
	var out []*osv.Vulnerability
	for _, r := range recs {
		c := *r
		c.Affected = slices.Clone(r.Affected)
		for i := range c.Affected {
			c.Affected[i].Versions = nil
		}
		out = append(out, &c)
	}
	return out
}

func TestGitRangeFirstDoesNotHideEcosystemRange(t *testing.T) {
	// PYSEC-2012-1 (beaker) lists a GIT range before its ECOSYSTEM range.
	recs := sharedRecords(t, "PyPI", "PYSEC-2012-1")
	if recs[0].Affected[0].Ranges[0].Type != osv.RangeGit {
		t.Fatal("fixture changed: first range is no longer GIT")
	}
	for _, src := range []*memSource{{recs}, {withoutVersions(recs)}} {
		for version, want := range map[string]bool{
			"1.6.4":       true,
			"1.6.5.dev1":  true, // not in versions[]; in the range
			"1.6.5":       true,
			"1.6.5.post1": false,
			"1.7.0":       false,
		} {
			got := len(match(t, src, inventory.PyPI, "Beaker", version)) > 0
			if got != want {
				t.Errorf("beaker %s (versions list %v): affected=%v, want %v", version, len(src.recs[0].Affected[0].Versions) > 0, got, want)
			}
		}
	}
}

func TestLastAffectedIsInclusive(t *testing.T) {
	recs := withoutVersions(sharedRecords(t, "PyPI", "PYSEC-2022-42969"))
	src := &memSource{recs}
	for version, want := range map[string]bool{"1.10.0": true, "1.11.0": true, "1.11": true, "1.11.0.post1": false, "1.12.0": false} {
		if got := len(match(t, src, inventory.PyPI, "py", version)) > 0; got != want {
			t.Errorf("py %s: affected=%v, want %v", version, got, want)
		}
	}
}

func TestVersionsListUsesEcosystemEquality(t *testing.T) {
	// PYSEC-2024-1 has no ranges, only versions: ["0.5"].
	src := &memSource{sharedRecords(t, "PyPI", "PYSEC-2024-1")}
	for version, want := range map[string]bool{"0.5": true, "0.5.0": true, "0.5.0.0": true, "0.5.1": false, "0.4": false} {
		if got := len(match(t, src, inventory.PyPI, "gratient", version)) > 0; got != want {
			t.Errorf("gratient %s: affected=%v, want %v", version, got, want)
		}
	}
}

func TestWithdrawnIsSkipped(t *testing.T) {
	recs := sharedRecords(t, "PyPI", "PYSEC-2021-125")
	if recs[0].Withdrawn == nil {
		t.Fatal("fixture changed: PYSEC-2021-125 is no longer withdrawn")
	}
	if fs := match(t, &memSource{recs}, inventory.PyPI, "ansible", recs[0].Affected[0].Versions[0]); len(fs) != 0 {
		t.Errorf("withdrawn record reported: %v", ids(fs))
	}
}

func TestGoStdlibAndModules(t *testing.T) {
	src := &memSource{sharedRecords(t, "Go", "GO-2022-0969")}
	// introduced 0, fixed 1.18.6, introduced 1.19.0-0, fixed 1.19.1
	for version, want := range map[string]bool{"1.18.5": true, "1.18.6": false, "1.19.0": true, "1.19.1": false, "1.20.0": false} {
		fs := match(t, src, inventory.Go, "stdlib", version)
		if got := len(fs) > 0; got != want {
			t.Errorf("stdlib %s: affected=%v, want %v", version, got, want)
		}
	}
	fs := match(t, src, inventory.Go, "stdlib", "1.19.0")
	f := fs[0]
	if f.ID != "GO-2022-0969" || !slices.Contains(f.Aliases, "CVE-2022-27664") || !slices.Contains(f.Aliases, "GHSA-69cg-p879-7622") {
		t.Errorf("ids = %s %v", f.ID, f.Aliases)
	}
	// Only the fix above the installed version is offered: no downgrade.
	if diff := cmp.Diff([]string{"1.19.1"}, f.FixedVersions); diff != "" {
		t.Errorf("fixed (-want +got):\n%s", diff)
	}
	if f.Severity != finding.Unknown {
		t.Errorf("Go records carry no severity; got %s", f.Severity)
	}
	if f.Location.Path != "lock" || f.Location.StartLine != 7 || f.Package.Version != "1.19.0" || f.Fingerprint == "" {
		t.Errorf("finding = %+v", f)
	}
	// Module paths are case-sensitive; the leading v of module versions is
	// understood.
	if fs := match(t, src, inventory.Go, "golang.org/x/net", "v0.0.0-20220822230855-b0a4917ee28c"); len(fs) != 1 {
		t.Errorf("x/net pseudo-version: %v", ids(fs))
	}
}

func TestCVSSSeverity(t *testing.T) {
	src := &memSource{[]*osv.Vulnerability{{
		ID: "RUSTSEC-2099-0001", Aliases: []string{"CVE-2099-1"},
		Severity: []osv.Severity{
			{Type: osv.SeverityCVSSv3, Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
			{Type: osv.SeverityCVSSv4, Score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"},
		},
		Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "crates.io", Name: "demo"}, Ranges: []osv.Range{{Type: osv.RangeSemver, Events: []osv.Event{{Introduced: "0"}, {Fixed: "1.0.0"}}}}}},
	}}}
	f := match(t, src, inventory.CratesIO, "Demo", "0.9.0")[0]
	// The CVSS v4 vector wins over v3.1: 6.9 is medium, though the v3.1
	// vector alone would be critical.
	if f.Severity != finding.Medium || len(f.CVSS) != 2 {
		t.Errorf("severity %s cvss %+v", f.Severity, f.CVSS)
	}
	if f.CVSS[0].Score != 9.8 {
		t.Errorf("v3.1 score %v, want 9.8", f.CVSS[0].Score)
	}
	// database_specific severity is the fallback.
	src.recs[0].Severity = nil
	src.recs[0].DatabaseSpecific = json.RawMessage(`{"severity":"MODERATE"}`)
	if f := match(t, src, inventory.CratesIO, "demo", "0.9.0")[0]; f.Severity != finding.Medium {
		t.Errorf("database_specific severity: %s", f.Severity)
	}
}

func TestRealCVSSFromSharedData(t *testing.T) {
	// Every CVSS vector in the shared PyPI data parses.
	p := filepath.Join("..", "..", "..", "shared", "data", "osv", "PyPI", "all.zip")
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Skipf("shared OSV data not available: %v", err)
	}
	defer zr.Close()
	n := 0
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		var v osv.Vulnerability
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		for _, s := range v.Severity {
			if _, ok := scoreVector(s.Type, s.Score); !ok {
				t.Errorf("%s: vector %q does not parse", v.ID, s.Score)
			}
			n++
		}
	}
	if n < 100 {
		t.Errorf("only %d vectors seen", n)
	}
}

func TestAliasesMerge(t *testing.T) {
	aff := []osv.Affected{{Package: osv.Package{Ecosystem: "PyPI", Name: "demo"}, Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "0"}, {Fixed: "2.0"}}}}}}
	aff2 := []osv.Affected{{Package: osv.Package{Ecosystem: "PyPI", Name: "demo"}, Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "1.0"}, {Fixed: "1.5.3"}, {Introduced: "1.6"}, {Fixed: "1.9"}}}}}}
	src := &memSource{[]*osv.Vulnerability{
		{ID: "GHSA-aaaa-bbbb-cccc", Aliases: []string{"CVE-2020-1"}, Affected: aff, DatabaseSpecific: json.RawMessage(`{"severity":"HIGH"}`)},
		{ID: "PYSEC-2020-5", Aliases: []string{"CVE-2020-1"}, Affected: aff2, Summary: "Demo bug"},
		{ID: "PYSEC-2020-9", Affected: aff, Summary: "Another bug"},
		{ID: "PYSEC-2020-10", Affected: []osv.Affected{{Package: aff[0].Package, Ranges: aff[0].Ranges, DatabaseSpecific: json.RawMessage(`{"informational":"unmaintained"}`)}}, Summary: "unmaintained"},
	}}
	fs := match(t, src, inventory.PyPI, "demo", "1.5.0")
	if diff := cmp.Diff([]string{"PYSEC-2020-10", "PYSEC-2020-5", "PYSEC-2020-9"}, ids(fs)); diff != "" {
		t.Fatalf("ids (-want +got):\n%s", diff)
	}
	// The informational advisory is a risk signal, not a vulnerability.
	if r := fs[0]; r.Kind != finding.KindRisk || r.Severity != finding.Info || r.Title != "unmaintained: unmaintained" {
		t.Errorf("informational advisory: %+v", r)
	}
	f := fs[1]
	if diff := cmp.Diff([]string{"CVE-2020-1", "GHSA-aaaa-bbbb-cccc"}, f.Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	if f.Severity != finding.High || f.Title != "Demo bug" {
		t.Errorf("merged severity %s title %q", f.Severity, f.Title)
	}
	if diff := cmp.Diff([]string{"1.5.3", "1.9", "2.0"}, f.FixedVersions); diff != "" {
		t.Errorf("fixed (-want +got):\n%s", diff)
	}
	// The fingerprint does not depend on the line or on which record is
	// primary.
	g := match(t, &memSource{src.recs[:1]}, inventory.PyPI, "demo", "1.5.0")[0]
	if g.ID != "GHSA-aaaa-bbbb-cccc" || g.Fingerprint != f.Fingerprint {
		t.Errorf("fingerprint changed with the primary id: %s %s vs %s", g.ID, g.Fingerprint, f.Fingerprint)
	}
	if !strings.HasPrefix(f.Package.PURL(), "pkg:pypi/demo@1.5.0") {
		t.Errorf("purl %s", f.Package.PURL())
	}
}

func TestUnpinnedMatchesNothing(t *testing.T) {
	src := &memSource{sharedRecords(t, "PyPI", "PYSEC-2024-1")}
	fs, err := NewMatcher(src).Match(context.Background(), inventory.Package{Ecosystem: inventory.PyPI, Name: "gratient", Constraint: ">=0.1"})
	if err != nil || len(fs) != 0 {
		t.Errorf("unpinned: %v %v", fs, err)
	}
}

// listedEqual reports whether version a matches an entry that lists only b.
func listedEqual(eco, a, b string) bool {
	vs := versions{}
	rec := &osv.Vulnerability{ID: "X-1", Affected: []osv.Affected{{Package: osv.Package{Ecosystem: eco, Name: "p"}, Versions: []string{b}}}}
	pr := compile(vs, eco, "p", []*osv.Vulnerability{rec})
	return len(pr.markListed(vs, vs.version(eco, a))) == 1
}

func TestReleaseKey(t *testing.T) {
	for _, c := range []struct{ eco, a, b string }{
		{inventory.PyPI, "3.2", "3.2.0"},
		{inventory.PyPI, "03.2", "3.2"},
		{inventory.PyPI, "1.0.post1", "1.0.0.post1"},
		{inventory.Go, "v1.2.0", "1.2"},
		{inventory.Maven, "1.0-final", "1.0"},
	} {
		ka, kb := releaseKey(c.eco, c.a), releaseKey(c.eco, c.b)
		if ka != kb {
			t.Errorf("releaseKey(%s): %q=%q but %q=%q: equal versions must share a key", c.eco, c.a, ka, c.b, kb)
		}
		if !listedEqual(c.eco, c.a, c.b) {
			t.Errorf("%s: %s should equal %s", c.eco, c.a, c.b)
		}
	}
	for _, s := range []string{"1!2.0", "dev", ""} {
		if k := releaseKey(inventory.PyPI, s); k != "" {
			t.Errorf("releaseKey(%q) = %q, want no key", s, k)
		}
	}
	if !listedEqual(inventory.PyPI, "0!3.2", "3.2") {
		t.Error("PEP 440: epoch 0 is the default")
	}
}

// ghsaRecords reads the named records from the shared GHSA sample.
func ghsaRecords(t *testing.T, eco string, ids ...string) []*osv.Vulnerability {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", "osv-ghsa", eco, "all.zip")
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Skipf("shared GHSA sample not available at %s: %v", p, err)
	}
	defer zr.Close()
	var out []*osv.Vulnerability
	for _, id := range ids {
		b, err := fs.ReadFile(zr, id+".json")
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var v osv.Vulnerability
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, &v)
	}
	return out
}

// TestDistinctAdvisoriesSharingAnAlias: RUSTSEC-2026-0024 and -0025 are two
// bugs in libcrux-psq that both list GHSA-435g-fcv3-8j26; each stays a
// finding with its own id and title.
func TestDistinctAdvisoriesSharingAnAlias(t *testing.T) {
	recs := sharedRecords(t, "crates.io", "RUSTSEC-2026-0024", "RUSTSEC-2026-0025")
	fs := match(t, &memSource{recs}, inventory.CratesIO, "libcrux-psq", "0.0.6")
	type brief struct{ ID, Title string }
	var got []brief
	for _, f := range fs {
		got = append(got, brief{f.ID, f.Title})
		if diff := cmp.Diff([]string{"GHSA-435g-fcv3-8j26"}, f.Aliases); diff != "" {
			t.Errorf("%s aliases (-want +got):\n%s", f.ID, diff)
		}
	}
	want := []brief{
		{"RUSTSEC-2026-0024", "Incorrect X25519 clamping check rejects all secrets on import"},
		{"RUSTSEC-2026-0025", "Panic in `libcrux-psq` on decryption of malformed AES-GCM ciphertext"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("findings (-want +got):\n%s", diff)
	}
	if fs[0].Fingerprint == fs[1].Fingerprint {
		t.Error("two advisories share a fingerprint")
	}
	// The fingerprint of the first is what it was when the two were merged
	// under its id, and what it is alone.
	alone := match(t, &memSource{recs[:1]}, inventory.CratesIO, "libcrux-psq", "0.0.6")
	if alone[0].Fingerprint != fs[0].Fingerprint {
		t.Errorf("fingerprint of RUSTSEC-2026-0024 changed: %s alone, %s beside -0025", alone[0].Fingerprint, fs[0].Fingerprint)
	}

	// A GHSA record that both name joins each of them; it does not fold
	// them together.
	ghsa := &osv.Vulnerability{ID: "GHSA-435g-fcv3-8j26", Summary: "libcrux-psq: two bugs",
		Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "crates.io", Name: "libcrux-psq"},
			Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "0"}, {Fixed: "0.0.7"}}}}}}}
	fs = match(t, &memSource{append(slices.Clone(recs), ghsa)}, inventory.CratesIO, "libcrux-psq", "0.0.6")
	if diff := cmp.Diff([]string{"RUSTSEC-2026-0024", "RUSTSEC-2026-0025"}, ids(fs)); diff != "" {
		t.Errorf("with the GHSA record (-want +got):\n%s", diff)
	}

	// tor-circmgr: two advisories listing the same two CVEs get distinct
	// fingerprints, so that neither is dropped as a duplicate.
	tor := sharedRecords(t, "crates.io", "RUSTSEC-2024-0339", "RUSTSEC-2024-0340")
	fs = match(t, &memSource{tor}, inventory.CratesIO, "tor-circmgr", "0.18.0")
	if len(fs) != 2 || fs[0].Fingerprint == fs[1].Fingerprint {
		t.Errorf("tor-circmgr: %v, fingerprints must differ", ids(fs))
	}
}

// TestSeverityFromAlias: a PYSEC or GO record without a rating takes one
// from the GHSA record of the same advisory, and says so.
func TestSeverityFromAlias(t *testing.T) {
	pysec := sharedRecords(t, "PyPI", "PYSEC-2022-190", "PYSEC-2023-11")
	ghsa := ghsaRecords(t, "PyPI", "GHSA-2gwj-7jmv-h26r", "GHSA-w7pp-m8wf-vj6r")
	type rated struct {
		ID       string
		Severity finding.Severity
		Source   string
		Vectors  int
	}
	rate := func(src Source, name, version string) []rated {
		var out []rated
		for _, f := range match(t, src, inventory.PyPI, name, version) {
			out = append(out, rated{f.ID, f.Severity, f.SeveritySource, len(f.CVSS)})
		}
		return out
	}
	// Without GHSA data nothing rates them.
	if diff := cmp.Diff([]rated{{"PYSEC-2022-190", finding.Unknown, "", 0}}, rate(&memSource{pysec}, "django", "3.2.0")); diff != "" {
		t.Errorf("PYSEC alone (-want +got):\n%s", diff)
	}
	both := &memSource{append(slices.Clone(pysec), ghsa...)}
	// GHSA-2gwj-7jmv-h26r matches django 3.2.0 too and carries a CVSS v3.1
	// vector (9.8).
	if diff := cmp.Diff([]rated{{"PYSEC-2022-190", finding.Critical, "alias GHSA-2gwj-7jmv-h26r cvss_v3.1", 1}}, rate(both, "Django", "3.2.0")); diff != "" {
		t.Errorf("django (-want +got):\n%s", diff)
	}
	// GHSA-w7pp-m8wf-vj6r has no vector, only GitHub's word.
	if diff := cmp.Diff([]rated{{"PYSEC-2023-11", finding.Medium, "alias GHSA-w7pp-m8wf-vj6r database_specific", 0}}, rate(both, "cryptography", "3.2")); diff != "" {
		t.Errorf("cryptography (-want +got):\n%s", diff)
	}
	// The alias rates the advisory even where its ranges leave the version
	// out.
	narrow := *ghsa[0]
	narrow.Affected = []osv.Affected{{Package: ghsa[0].Affected[0].Package,
		Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "4.0"}, {Fixed: "4.0.4"}}}}}}
	if diff := cmp.Diff([]rated{{"PYSEC-2022-190", finding.Critical, "alias GHSA-2gwj-7jmv-h26r cvss_v3.1", 1}}, rate(&memSource{append(slices.Clone(pysec[:1]), &narrow)}, "django", "3.2.0")); diff != "" {
		t.Errorf("alias outside its ranges (-want +got):\n%s", diff)
	}

	// Go: GHSA Go records use ECOSYSTEM ranges without the "v".
	gosrc := &memSource{append(sharedRecords(t, "Go", "GO-2023-2102"), ghsaRecords(t, "Go", "GHSA-4374-p667-p6c8")...)}
	fs := match(t, gosrc, inventory.Go, "golang.org/x/net", "v0.7.0")
	if len(fs) != 1 || fs[0].ID != "GO-2023-2102" || fs[0].Severity != finding.High || fs[0].SeveritySource != "alias GHSA-4374-p667-p6c8 cvss_v3.1" {
		t.Errorf("x/net: %+v", fs)
	}
	// A record's own rating is named without "alias".
	own := match(t, &memSource{sharedRecords(t, "crates.io", "RUSTSEC-2026-0025")}, inventory.CratesIO, "libcrux-psq", "0.0.6")
	if own[0].SeveritySource != "cvss_v4.0" {
		t.Errorf("own CVSS v4 rating: source %q", own[0].SeveritySource)
	}
}

func TestPlainKeyAgreesWithReleaseKey(t *testing.T) {
	for _, s := range []string{"1.2.3", "1.2.3rc1", "1.0", "1.0.0", "01.2", "1.02", "0", "0.1", "10.20.30.dev1", "1.", "1..2", ".1", "v1.2", "1!2", "abc", "", "2.0.post1", "3.10", "0.0.0-2022"} {
		want := releaseKey(inventory.PyPI, s)
		if k, ok := plainKey(strings.TrimPrefix(s, "v")); ok && s != "1!2" && k != want {
			t.Errorf("plainKey(%q) = %q, releaseKey %q", s, k, want)
		}
	}
}
