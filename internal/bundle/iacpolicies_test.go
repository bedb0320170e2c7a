package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sitePolicy = `# METADATA
# title: Image from outside the site registry
# custom:
#   id: SITE-IMG-1
#   severity: high
package airlock.dockerfile.siteimg1

deny contains {"msg": "outside registry.corp", "path": ["stages", i, "from"]} if {
	some i
	f := input.stages[i].from
	not f.stage
	not startswith(f.image, "registry.corp/")
}
`

// TestIaCPoliciesMember: a directory of Rego policies becomes one
// iac-policies member, applied as a payload that compiles; an incremental
// bundle leaves unchanged policies out; a signed bundle whose policies do
// not compile is refused whole; a manifest with two policy members is
// refused.
func TestIaCPoliciesMember(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pol := filepath.Join(f.dir, "policies")
	os.MkdirAll(filepath.Join(pol, "docker"), 0o755)
	os.WriteFile(filepath.Join(pol, "docker", "img.rego"), []byte(sitePolicy), 0o644)
	os.WriteFile(filepath.Join(pol, "docker", "img_test.rego"), []byte("package x\n"), 0o644)
	path, m := f.build(t, "p.bundle", []string{sample[0], pol}, BuildOptions{})
	var member *Member
	for i := range m.Members {
		if m.Members[i].Kind == KindIaCPolicies {
			member = &m.Members[i]
		}
	}
	if member == nil || member.Records != 1 || member.Name != memberPrefix+"iac-policies.json" {
		t.Fatalf("members: %+v", m.Members)
	}
	db := openDB(t, f.dir)
	if err := apply(t, db, path, f.keyring, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := db.Payload(ctx, string(KindIaCPolicies))
	if err != nil || p == nil {
		t.Fatalf("payload: %v %v", p, err)
	}
	set, err := CompileIaCPolicies(ctx, p.Data, "bundle")
	if err != nil || len(set.Policies) != 1 || set.Policies[0].ID != "SITE-IMG-1" {
		t.Fatalf("compiled: %+v %v", set, err)
	}
	if !strings.Contains(string(p.Data), `"docker/img.rego"`) || strings.Contains(string(p.Data), "img_test.rego") {
		t.Errorf("payload names: %s", p.Data)
	}

	// Incremental on top of it: the same policies are not carried again.
	base, err := Open(path, f.keyring)
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	_, inc := f.build(t, "inc.bundle", []string{sample[0], pol}, BuildOptions{Base: base, Now: func() time.Time { return time.Now().Add(time.Hour) }})
	for _, mb := range inc.Members {
		if mb.Kind == KindIaCPolicies {
			t.Errorf("an unchanged policy set is in the incremental bundle: %+v", mb)
		}
	}

	// A signed bundle carrying policies that do not compile.
	entries := readZip(t, path)
	var man Manifest
	if err := json.Unmarshal([]byte(entries[0][1]), &man); err != nil {
		t.Fatal(err)
	}
	bad := `{"format":1,"files":[{"name":"b.rego","text":"package airlock.dockerfile.b\n\ndeny contains 1 if {\n"}]}`
	sum := sha256.Sum256([]byte(bad))
	var zipEntries [][2]string
	for i := range man.Members {
		if man.Members[i].Kind == KindIaCPolicies {
			man.Members[i].SHA256, man.Members[i].Size = hex.EncodeToString(sum[:]), int64(len(bad))
		}
	}
	raw, _ := json.MarshalIndent(man, "", "  ")
	zipEntries = append(zipEntries, [2]string{ManifestName, string(raw)}, [2]string{SignatureName, f.sign(t, string(raw))})
	for _, e := range entries[2:] {
		if e[0] == memberPrefix+"iac-policies.json" {
			e[1] = bad
		}
		zipEntries = append(zipEntries, e)
	}
	hostile := filepath.Join(f.dir, "hostile.bundle")
	writeZip(t, hostile, zipEntries...)
	db2 := openDB(t, filepath.Join(f.dir, "second"))
	err = apply(t, db2, hostile, f.keyring, ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "b.rego") {
		t.Fatalf("uncompilable policies: %v", err)
	}
	if srcs, _ := db2.Sources(ctx); len(srcs) != 0 {
		t.Errorf("a refused bundle left data: %+v", srcs)
	}

	// Two policy members in one manifest.
	man.Members = append(man.Members, Member{Name: memberPrefix + "more.json", Kind: KindIaCPolicies, SHA256: hex.EncodeToString(sum[:]), Size: 1})
	raw, _ = json.MarshalIndent(man, "", "  ")
	two := filepath.Join(f.dir, "two.bundle")
	writeZip(t, two, [2]string{ManifestName, string(raw)}, [2]string{SignatureName, f.sign(t, string(raw))})
	if _, err := Open(two, f.keyring); err == nil || !strings.Contains(err.Error(), "one set of IaC policies") {
		t.Errorf("two policy members: %v", err)
	}
}
