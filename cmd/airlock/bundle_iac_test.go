package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const siteIaCPolicy = `# METADATA
# title: Image from outside the site registry
# custom:
#   id: SITE-IMG-1
#   severity: high
package airlock.dockerfile.siteimg1

deny contains {"msg": "FROM an image outside registry.corp", "path": ["stages", i, "from"]} if {
	some i
	f := input.stages[i].from
	not f.stage
	not startswith(f.image, "registry.corp/")
}
`

// TestBundleIaCPolicies: a directory of Rego policies packed into a signed
// bundle (checked when packed), imported, and run by 'airlock scan' beside
// the embedded policies, with a notice; not with --iac-policies-only; a
// policy reusing an embedded id is refused when packed.
func TestBundleIaCPolicies(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "vulndb.sqlite")
	run := func(args ...string) result {
		t.Helper()
		return airlockEnv(t, binary, []string{"AIRLOCK_DB=" + db, "AIRLOCK_CONFIG=", "AIRLOCK_TRUSTED_KEYS="}, nil, args...)
	}
	key := filepath.Join(dir, "signer")
	if r := run("db", "keygen", "--out", key); r.code != 0 {
		t.Fatalf("keygen: %s", r.stderr)
	}
	pol := iacProject(t, map[string]string{"site/img.rego": siteIaCPolicy, "README.md": "site policies\n"})
	bf := filepath.Join(dir, "data.bundle")
	r := run("db", "bundle", "--sign", key+".key", "--out", bf, "--source", "secteam", "../../testdata/osv-sample/PyPI/all.zip", pol)
	if r.code != 0 || !strings.Contains(r.stdout, "1 IaC policies") {
		t.Fatalf("bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run("db", "import", "--trusted-keys", key+".pub", bf)
	if r.code != 0 || !strings.Contains(r.stdout, "1 IaC policies: scans run them beside the embedded ones") {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tree := iacProject(t, map[string]string{"Dockerfile": badDockerfile})
	r = run("scan", "--scanners", "iac", "--format", "json", tree)
	if r.code != 3 || !strings.Contains(r.stdout, `"id": "SITE-IMG-1"`) || !strings.Contains(r.stdout, `"id": "DF002"`) {
		t.Fatalf("scan with the bundle's policies: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout+r.stderr, "policies of data bundle") {
		t.Errorf("no notice about the bundle's policies:\n%s%s", r.stdout, r.stderr)
	}
	own := iacProject(t, map[string]string{"x.rego": strings.ReplaceAll(strings.ReplaceAll(siteIaCPolicy, "SITE-IMG-1", "OWN-1"), "siteimg1", "own1")})
	r = run("scan", "--scanners", "iac", "--iac-policies", own, "--iac-policies-only", "--format", "json", tree)
	if strings.Contains(r.stdout, `"id": "SITE-IMG-1"`) || !strings.Contains(r.stdout, `"id": "OWN-1"`) {
		t.Errorf("--iac-policies-only ran the bundle's policies:\n%s%s", r.stdout, r.stderr)
	}

	// Packing checks the policies: an embedded id, a broken file.
	clash := iacProject(t, map[string]string{"x.rego": strings.ReplaceAll(siteIaCPolicy, "SITE-IMG-1", "DF002")})
	r = run("db", "bundle", "--sign", key+".key", "--out", filepath.Join(dir, "clash.bundle"), clash)
	if r.code != 1 || !strings.Contains(r.stderr, "id DF002 is an embedded policy's") {
		t.Errorf("a clashing id: exit %d\n%s", r.code, r.stderr)
	}
	broken := iacProject(t, map[string]string{"b.rego": "package airlock.dockerfile.b\n\ndeny contains 1 if {\n"})
	r = run("db", "bundle", "--sign", key+".key", "--out", filepath.Join(dir, "broken.bundle"), broken)
	if r.code != 1 || !strings.Contains(r.stderr, "b.rego") {
		t.Errorf("a broken policy: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "broken.bundle")); err == nil {
		t.Error("a refused bundle was written")
	}
}

// TestBundleLicenseNames: a license table carried in a bundle maps the
// site's own license names to SPDX expressions and settles a package's
// license that nothing in the tree declares, in 'airlock scan'; a table
// with a value that is not an SPDX expression is refused when packed.
func TestBundleLicenseNames(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "vulndb.sqlite")
	env := append(isolated(t), "AIRLOCK_DB="+db)
	run := func(args ...string) result {
		t.Helper()
		return airlockEnv(t, binary, env, nil, args...)
	}
	key := filepath.Join(dir, "signer")
	if r := run("db", "keygen", "--out", key); r.code != 0 {
		t.Fatalf("keygen: %s", r.stderr)
	}
	table := filepath.Join(dir, "site.licenses.yaml")
	writeFiles(t, dir, map[string]string{"site.licenses.yaml": "license_names:\n  \"Acme Corp License, v1\": LicenseRef-Acme-1\n  Corp Internal Use: LicenseRef-Corp-Internal\npackages:\n  npm/c: MIT\n"})
	bf := filepath.Join(dir, "data.bundle")
	r := run("db", "bundle", "--sign", key+".key", "--out", bf, "../../testdata/osv-sample/PyPI/all.zip", table)
	if r.code != 0 || !strings.Contains(r.stdout, "3 license table entries") {
		t.Fatalf("bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("db", "import", "--trusted-keys", key+".pub", bf); r.code != 0 || !strings.Contains(r.stdout, "3 license table entries") {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lock := `{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
"":{"name":"app","version":"1.0.0"},
"node_modules/a":{"version":"1.0.0","license":"Acme Corp License v1"},
"node_modules/b":{"version":"2.0.0","license":"Somebody Else's License"},
"node_modules/c":{"version":"3.0.0"}}}`
	tree := writeTree(t, map[string]string{"package-lock.json": lock})
	r = run("scan", "--scanners", "license", "--format", "licenses", tree)
	if !strings.Contains(r.stdout, "npm,a,1.0.0,LicenseRef-Acme-1,Acme Corp License v1,") || strings.Contains(r.stdout, "npm,b,2.0.0,LicenseRef") ||
		!strings.Contains(r.stdout, "npm,c,3.0.0,MIT,,table,1.00,") {
		t.Errorf("licenses with the site's table: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	writeFiles(t, dir, map[string]string{"bad.licenses.yaml": "license_names:\n  Acme: not a license\n"})
	r = run("db", "bundle", "--sign", key+".key", "--out", filepath.Join(dir, "bad.bundle"), filepath.Join(dir, "bad.licenses.yaml"))
	if r.code != 1 || !strings.Contains(r.stderr, `bad.licenses.yaml: license_names."Acme"`) {
		t.Errorf("a bad table: exit %d\n%s", r.code, r.stderr)
	}
}
