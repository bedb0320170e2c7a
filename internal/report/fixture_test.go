package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var testOptions = Options{ToolName: "airlock", ToolVersion: "1.2.3"}

func date(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, time.UTC)
}

func datePtr(y int, m time.Month, d int) *time.Time {
	t := date(y, m, d, 0, 0, 0)
	return &t
}

// fixture is a scan of a small repository with a Go module, a Python
// requirements file, an npm lockfile and a Cargo lockfile, and with a secret
// in a file and another in git history.
func fixture() *scan.Result {
	pkg := func(eco, name, version string, rel inventory.Relation, path string, line int) inventory.Package {
		return inventory.Package{
			Ecosystem: eco, Name: name, Version: version, Relation: rel,
			Location: inventory.Location{Path: path, Line: line},
		}
	}
	var (
		xnet     = pkg(inventory.Go, "golang.org/x/net", "v0.17.0", inventory.RelationDirect, "go.mod", 5)
		awssdk   = pkg(inventory.Go, "github.com/aws/aws-sdk-go", "v1.44.0", inventory.RelationDirect, "go.mod", 6)
		xtext    = pkg(inventory.Go, "golang.org/x/text", "v0.14.0", inventory.RelationTransitive, "go.mod", 10)
		django   = pkg(inventory.PyPI, "Django", "4.2.0", inventory.RelationDirect, "requirements.txt", 1)
		pyyaml   = pkg(inventory.PyPI, "PyYAML", "6.0.1", inventory.RelationDirect, "requirements.txt", 2)
		requests = inventory.Package{
			Ecosystem: inventory.PyPI, Name: "requests", Constraint: ">=2.31,<3", Relation: inventory.RelationDirect,
			Location: inventory.Location{Path: "requirements.txt", Line: 3},
		}
		babel   = pkg(inventory.NPM, "@babel/traverse", "7.22.5", inventory.RelationTransitive, "services/web/package-lock.json", 0)
		lodash  = pkg(inventory.NPM, "lodash", "4.17.20", inventory.RelationDirect, "services/web/package-lock.json", 0)
		express = pkg(inventory.NPM, "express", "4.19.2", inventory.RelationDirect, "services/web/package-lock.json", 0)
		timecr  = pkg(inventory.CratesIO, "time", "0.1.45", inventory.RelationUnknown, "Cargo.lock", 0)
		smallv  = pkg(inventory.CratesIO, "smallvec", "1.13.2", inventory.RelationUnknown, "Cargo.lock", 0)
		instant = pkg(inventory.CratesIO, "instant", "0.1.13", inventory.RelationUnknown, "Cargo.lock", 0)
	)
	fp := func(id string, p *inventory.Package, path string) string {
		if p == nil {
			return finding.Fingerprint(id, path)
		}
		return finding.Fingerprint(id, p.PURL(), path)
	}
	vuln := func(id string, sev finding.Severity, p inventory.Package, title string) finding.Finding {
		return finding.Finding{
			Kind:        finding.KindVulnerability,
			ID:          id,
			Severity:    sev,
			Title:       title,
			Location:    finding.Location{Path: p.Location.Path, StartLine: p.Location.Line},
			Package:     &p,
			Fingerprint: fp(id, &p, p.Location.Path),
		}
	}

	babelVuln := vuln("GHSA-67hx-6x53-jw92", finding.Critical, babel,
		"Babel vulnerable to arbitrary code execution when compiling specifically crafted malicious code")
	babelVuln.Aliases = []string{"CVE-2023-45133"}
	babelVuln.CVSS = []finding.CVSS{
		{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", Score: 9.6},
		{Version: "4.0", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", Score: 9.3},
	}
	babelVuln.SeveritySource = "cvss_v4.0"
	babelVuln.Description = "Using Babel to compile code that was specifically crafted by an attacker can lead to arbitrary code execution during compilation, when using plugins that rely on the `path.evaluate()` or `path.evaluateTruthy()` internal Babel methods."
	babelVuln.FixedVersions = []string{"7.23.2"}
	babelVuln.References = []string{
		"https://nvd.nist.gov/vuln/detail/CVE-2023-45133",
		"https://github.com/babel/babel/security/advisories/GHSA-67hx-6x53-jw92",
	}
	babelVuln.Published = datePtr(2023, time.October, 12)
	babelVuln.Modified = datePtr(2024, time.February, 16)

	// Two secrets: one in the working tree, one only in git history. Their
	// evidence is redacted as the secret package redacts (the first four
	// characters of the secret and "****"); the raw secrets are in
	// fixtureRawSecrets, for TestNoRawSecrets to check that no format
	// writes them.
	awsKey := finding.Finding{
		Kind:        finding.KindSecret,
		ID:          "aws-access-key-id",
		Severity:    finding.Critical,
		Title:       "AWS access key ID",
		Location:    finding.Location{Path: "deploy/config.env", StartLine: 3},
		Evidence:    "AWS_ACCESS_KEY_ID=AKIA****",
		Fingerprint: finding.Fingerprint("secret", "aws-access-key-id", "deploy/config.env", "b7d1c0a3"),
	}
	first := finding.Commit{
		SHA: "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39", Author: "Dana Developer", Email: "dana@example.com",
		Date: date(2024, time.May, 2, 14, 3, 11),
	}
	gitlabToken := finding.Finding{
		Kind:     finding.KindSecret,
		ID:       "gitlab-pat",
		Severity: finding.Critical,
		Title:    "GitLab personal, project, group or impersonation access token",
		Location: finding.Location{Path: "scripts/release.sh", StartLine: 14, Commit: first.SHA},
		Evidence: "git push \"https://oauth2:glpa****@gitlab.example.com/shop/shop.git\" HEAD:main",
		History: &finding.History{
			First: first,
			Last: finding.Commit{
				SHA: "9b1e7d40c2a6f8e3b5d7c9a1e3f5b7d9c1a3e5f7", Author: "Lee Maintainer", Email: "lee@example.com",
				Date: date(2024, time.November, 19, 8, 45, 0),
			},
			Commits: 3,
		},
		Fingerprint: finding.Fingerprint("secret", "gitlab-pat", "scripts/release.sh", "e91f04d2"),
	}

	djangoVuln := vuln("PYSEC-2023-100", finding.High, django,
		"Potential regular expression denial of service vulnerability in EmailValidator/URLValidator")
	djangoVuln.Aliases = []string{"CVE-2023-36053", "GHSA-jh3w-4vvf-mjgr"}
	djangoVuln.CVSS = []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5}}
	djangoVuln.SeveritySource = "alias GHSA-jh3w-4vvf-mjgr cvss_v3.1"
	djangoVuln.Description = "In Django 3.2 before 3.2.20, 4 before 4.1.10, and 4.2 before 4.2.3, EmailValidator and URLValidator are subject to a potential ReDoS (regular expression denial of service) attack via a very large number of domain name labels of emails and URLs."
	djangoVuln.FixedVersions = []string{"4.2.3"}
	djangoVuln.References = []string{"https://www.djangoproject.com/weblog/2023/jul/03/security-releases/"}
	djangoVuln.Published = datePtr(2023, time.July, 3)

	lodashVuln := vuln("GHSA-35jh-r3h4-6jhm", finding.High, lodash, "Command Injection in lodash")
	lodashVuln.Aliases = []string{"CVE-2021-23337"}
	lodashVuln.CVSS = []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", Score: 7.2}}
	lodashVuln.SeveritySource = "cvss_v3.1"
	lodashVuln.FixedVersions = []string{"4.17.21"}
	lodashVuln.Ignored = &finding.Ignore{
		Reason:  "template() is never called with user input",
		Expires: datePtr(2026, time.June, 30),
		Source:  ".airlock.yaml",
	}

	timeVuln := vuln("RUSTSEC-2020-0071", finding.Medium, timecr, "Potential segfault in the time crate")
	timeVuln.Aliases = []string{"CVE-2020-26235", "GHSA-wcg3-cvx6-7396"}
	timeVuln.CVSS = []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 5.1}}
	timeVuln.SeveritySource = "cvss_v3.1"
	timeVuln.FixedVersions = []string{"0.2.23"}
	timeVuln.References = []string{"https://rustsec.org/advisories/RUSTSEC-2020-0071.html"}

	netVuln := vuln("GO-2024-2687", finding.Medium, xnet, "HTTP/2 CONTINUATION flood in net/http")
	netVuln.Aliases = []string{"CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"}
	netVuln.SeveritySource = "alias GHSA-4v7x-pqxf-cx7m database_specific"
	netVuln.Description = "An attacker may cause an HTTP/2 endpoint to read arbitrary amounts of header data by sending an excessive number of CONTINUATION frames."
	netVuln.FixedVersions = []string{"0.23.0"}
	netVuln.References = []string{"https://go.dev/issue/65051"}

	// An informational advisory: a package-risk signal, not a vulnerability.
	instantRisk := vuln("RUSTSEC-2024-0384", finding.Info, instant, "unmaintained: `instant` is unmaintained")
	instantRisk.Kind = finding.KindRisk
	instantRisk.SeveritySource = "informational"
	instantRisk.References = []string{"https://rustsec.org/advisories/RUSTSEC-2024-0384.html"}
	instantRisk.Published = datePtr(2024, time.September, 1)

	awsVuln := vuln("GO-2022-0646", finding.Unknown, awssdk, "CBC padding oracle issue in AWS S3 Crypto SDK for golang")
	awsVuln.Aliases = []string{"CVE-2020-8911", "CVE-2020-8912", "GHSA-7f33-f4f5-xwgw", "GHSA-f5pg-7wfw-84q9"}
	awsVuln.Description = "The Go AWS S3 Crypto SDK contains vulnerabilities that can permit an attacker with write access to a bucket to decrypt files in that bucket.\n\nUse the V2 encryption client instead."

	return &scan.Result{
		Target:     "./shop",
		StartedAt:  date(2025, time.March, 14, 9, 26, 53),
		FinishedAt: date(2025, time.March, 14, 9, 26, 58),
		Manifests: []scan.Manifest{
			{Path: "Cargo.lock", Extractor: "rust/cargolock", Packages: []inventory.Package{instant, smallv, timecr}},
			{Path: "go.mod", Extractor: "go/gomod", Packages: []inventory.Package{awssdk, xnet, xtext}},
			{Path: "requirements.txt", Extractor: "python/requirements", Packages: []inventory.Package{django, pyyaml, requests}},
			{Path: "services/web/package-lock.json", Extractor: "npm/package-lock", Packages: []inventory.Package{babel, express, lodash}},
		},
		Findings: []finding.Finding{awsKey, gitlabToken, babelVuln, djangoVuln, lodashVuln, timeVuln, netVuln, instantRisk, awsVuln},
		Licenses: []scan.PackageLicense{
			{Name: "(this repository)", Path: "LICENSE", License: "Apache-2.0", Source: "license-file", Confidence: 0.98, Evidence: "LICENSE"},
			{Ecosystem: "npm", Name: express.Name, Version: express.Version, PURL: express.PURL(), Path: express.Location.Path, License: "MIT", Source: "lockfile", Confidence: 1, Evidence: "services/web/package-lock.json:20", Status: "allowed"},
			{Ecosystem: "PyPI", Name: requests.Name, Version: requests.Version, PURL: requests.PURL(), Path: requests.Location.Path, License: "Apache-2.0", Declared: "Apache Software License", Source: "mirror", Confidence: 1, Evidence: "https://devpi.corp/root/pypi/requests/2.19.0/json", Status: "allowed"},
			{Ecosystem: "PyPI", Name: pyyaml.Name, Version: pyyaml.Version, PURL: pyyaml.PURL(), Path: pyyaml.Location.Path, Declared: "Custom, \"see\" LICENSE", Source: "installed", Confidence: 1, Evidence: "venv/PyYAML.dist-info/METADATA", Status: "unknown"},
		},
		Database: []scan.Source{
			{
				Ecosystem: inventory.Go, Path: "db/Go.zip",
				SHA256:  "8f14e45fceea167a5a36dedd4bea2543a6d3f1e5b3a2c4d6e8f0a1b2c3d4e5f6",
				Records: 3412, NewestModified: date(2025, time.March, 12, 18, 4, 11), ImportedAt: date(2025, time.March, 13, 7, 0, 0),
			},
			{
				Ecosystem: inventory.PyPI, Path: "db/PyPI.zip",
				SHA256:  "c9f0f895fb98ab9159f51fd0297e236d4c1f7e2b8a6d5c3e1f0a9b8c7d6e5f40",
				Records: 15220, NewestModified: date(2025, time.March, 12, 22, 41, 5), ImportedAt: date(2025, time.March, 13, 7, 0, 0),
			},
		},
		Notices: []scan.Notice{
			{Level: scan.NoticeWarning, Message: "vulnerability data for PyPI is 34 days old; run `airlock db update` on the import host"},
			{Level: scan.NoticeError, Path: "services/api/poetry.lock", Message: "line 12: expected '=' after key"},
		},
	}
}

// fixtureRawSecrets are the secrets whose redacted forms are the evidence of
// the fixture's secret findings. They are built from pieces so that secret
// scanners reading this file do not report them; they are not real.
var fixtureRawSecrets = []string{
	"AKIA" + "Q3EGRT7XMPL" + "W4Z2NB",
	"glpat" + "-x7Kq2VmR9" + "tLp4WzC8sNb",
}

// findingByID returns the fixture finding with the given id.
func findingByID(t *testing.T, r *scan.Result, id string) *finding.Finding {
	t.Helper()
	for i := range r.Findings {
		if r.Findings[i].ID == id {
			return &r.Findings[i]
		}
	}
	t.Fatalf("no finding %s", id)
	return nil
}

// emptyResult is a scan that found no manifests at all.
func emptyResult() *scan.Result {
	return &scan.Result{
		Target:     ".",
		StartedAt:  date(2025, time.March, 14, 9, 0, 0),
		FinishedAt: date(2025, time.March, 14, 9, 0, 1),
	}
}

func render(t *testing.T, f Format, r *scan.Result, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, r, o); err != nil {
		t.Fatalf("Write(%s): %v", f, err)
	}
	return buf.Bytes()
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
