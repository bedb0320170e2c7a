package bundle

import (
	"archive/zip"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/vulndb"
)

// sample is the repository's own sample of real OSV records.
var sample = []string{"../../testdata/osv-sample/PyPI/all.zip", "../../testdata/osv-sample/Go/all.zip"}

type fixture struct {
	dir     string
	key     ed25519.PrivateKey
	keyring *Keyring
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	id, err := GenerateKey(filepath.Join(dir, "signer"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := LoadPrivateKey(filepath.Join(dir, "signer.key"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := LoadKeyring(filepath.Join(dir, "signer.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if got := kr.IDs(); len(got) != 1 || got[0] != id {
		t.Fatalf("keyring ids %v, want [%s]", got, id)
	}
	fi, err := os.Stat(filepath.Join(dir, "signer.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("signer.key mode %v, want 0600", fi.Mode().Perm())
	}
	return &fixture{dir: dir, key: key, keyring: kr}
}

func (f *fixture) build(t *testing.T, name string, inputs []string, o BuildOptions) (string, *Manifest) {
	t.Helper()
	out := filepath.Join(f.dir, name)
	if o.Key == nil {
		o.Key = f.key
	}
	if o.Source == "" {
		o.Source = "test"
	}
	m, _, err := Build(context.Background(), out, inputs, o)
	if err != nil {
		t.Fatal(err)
	}
	return out, m
}

func openDBB(b *testing.B, dir string) *vulndb.DB {
	db, err := vulndb.Open(context.Background(), filepath.Join(dir, "vuln.db"), vulndb.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func openDB(t *testing.T, dir string) *vulndb.DB {
	t.Helper()
	db, err := vulndb.Open(context.Background(), filepath.Join(dir, "vuln.db"), vulndb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func apply(t *testing.T, db *vulndb.DB, path string, kr *Keyring, o ApplyOptions) error {
	t.Helper()
	b, err := Open(path, kr)
	if err != nil {
		return err
	}
	defer b.Close()
	_, err = Apply(context.Background(), db, b, o)
	return err
}

const rules = `title = "site rules"
[[rules]]
id = "site-token"
description = "Site token"
regex = '''site_[a-z0-9]{32}'''
keywords = ["site_"]
`

func TestBuildVerifyApply(t *testing.T) {
	f := newFixture(t)
	toml := filepath.Join(f.dir, "rules.toml")
	if err := os.WriteFile(toml, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	path, m := f.build(t, "data.bundle", append(append([]string{}, sample...), toml), BuildOptions{})
	if len(m.Members) != 3 {
		t.Fatalf("members %+v, want 3", m.Members)
	}
	for _, mb := range m.Members[:2] {
		if mb.Kind != KindOSV || mb.Records == 0 || mb.Merge || mb.Origin == "" {
			t.Errorf("member %+v: want a full OSV member with records and an origin", mb)
		}
	}
	if m.Members[2].Kind != KindSecretRules || m.Members[2].Records != 1 {
		t.Errorf("rules member %+v", m.Members[2])
	}
	b, err := Open(path, f.keyring)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.Close()

	db := openDB(t, f.dir)
	if err := apply(t, db, path, f.keyring, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	srcs, err := db.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	origins := map[string]int{}
	for _, s := range srcs {
		origins[s.Origin] = s.Records
	}
	if origins["osv-sample/PyPI/all.zip"] == 0 || origins["osv-sample/Go/all.zip"] == 0 {
		t.Errorf("sources %v: want both sample archives under their origins", origins)
	}
	bs, err := db.Bundles(context.Background())
	if err != nil || len(bs) != 1 || bs[0].ID != b.ID || bs[0].Signer != b.Signer || bs[0].FileSHA256 != b.FileSHA256 {
		t.Fatalf("bundles %+v (%v), want the one applied", bs, err)
	}
	p, err := db.Payload(context.Background(), string(KindSecretRules))
	if err != nil || p == nil || string(p.Data) != rules || p.Bundle != b.ID {
		t.Fatalf("secret rules payload %+v (%v)", p, err)
	}
	// Applied twice: refused as applied, nothing changes.
	if err := apply(t, db, path, f.keyring, ApplyOptions{}); !errors.Is(err, vulndb.ErrBundleApplied) {
		t.Errorf("second apply: %v, want ErrBundleApplied", err)
	}
}

// writeZip writes entries in order.
func writeZip(t *testing.T, path string, entries ...[2]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// readZip returns a bundle's entries in order.
func readZip(t *testing.T, path string) [][2]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out [][2]string
	for _, e := range zr.File {
		rc, _ := e.Open()
		var sb strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := rc.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		rc.Close()
		out = append(out, [2]string{e.Name, sb.String()})
	}
	return out
}

func (f *fixture) sign(t *testing.T, manifest string) string {
	t.Helper()
	sig, err := json.Marshal(signature{Algorithm: "ed25519", KeyID: KeyID(f.key.Public().(ed25519.PublicKey)), Signature: ed25519.Sign(f.key, []byte(manifest))})
	if err != nil {
		t.Fatal(err)
	}
	return string(sig)
}

func TestHostileBundles(t *testing.T) {
	f := newFixture(t)
	good, _ := f.build(t, "good.bundle", sample[:1], BuildOptions{})
	entries := readZip(t, good)
	manifest, member := entries[0][1], entries[2]
	other := newFixture(t)

	cases := []struct {
		name string
		make func(p string)
		want string
	}{
		{"unknown key", func(p string) {
			writeZip(t, p, [2]string{ManifestName, manifest}, [2]string{SignatureName, other.sign(t, manifest)}, member)
		}, "not among the trusted keys"},
		{"altered manifest", func(p string) {
			writeZip(t, p, [2]string{ManifestName, strings.Replace(manifest, `"source": "test"`, `"source": "evil"`, 1)}, entries[1], member)
		}, "does not match the manifest"},
		{"truncated", func(p string) {
			b, _ := os.ReadFile(good)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "truncated, or not a zip"},
		{"member hash mismatch", func(p string) {
			// Same size, other bytes.
			writeZip(t, p, entries[0], entries[1], [2]string{member[0], strings.Repeat("x", len(member[1]))})
		}, "does not match the manifest's"},
		{"zip slip", func(p string) {
			writeZip(t, p, entries[0], entries[1], member, [2]string{"../../etc/cron.d/x", "boom"})
		}, "empty, . or .. segment"},
		{"unlisted entry", func(p string) {
			writeZip(t, p, entries[0], entries[1], member, [2]string{"members/extra.zip", "boom"})
		}, "not listed in the signed manifest"},
		{"missing member", func(p string) {
			writeZip(t, p, entries[0], entries[1])
		}, "missing from the archive"},
		{"member size differs", func(p string) {
			writeZip(t, p, entries[0], entries[1], [2]string{member[0], member[1] + "x"})
		}, "the archive says"},
		{"oversized member", func(p string) {
			m := strings.Replace(manifest, `"size": `, `"size": 9`, 1)
			m = strings.Replace(m, `"size": 9`, `"size": 99999999999`, 1)
			writeZip(t, p, [2]string{ManifestName, m}, [2]string{SignatureName, f.sign(t, m)}, member)
		}, "outside 0.."},
		{"zip slip in manifest", func(p string) {
			m := strings.Replace(manifest, `"name": "members/`, `"name": "members/../../`, 1)
			writeZip(t, p, [2]string{ManifestName, m}, [2]string{SignatureName, f.sign(t, m)}, member)
		}, "empty, . or .. segment"},
		{"newer format", func(p string) {
			m := strings.Replace(manifest, `"format_version": 1`, `"format_version": 2`, 1)
			writeZip(t, p, [2]string{ManifestName, m}, [2]string{SignatureName, f.sign(t, m)}, member)
		}, "format_version 2"},
		{"not a bundle", func(p string) {
			os.WriteFile(p, []byte("hello"), 0o644)
		}, "not a bundle"},
	}
	db := openDB(t, f.dir)
	if err := apply(t, db, good, f.keyring, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Sources(context.Background())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.bundle")
			c.make(p)
			err := apply(t, db, p, f.keyring, ApplyOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
			after, _ := db.Sources(context.Background())
			if len(after) != len(before) || after[0].SHA256 != before[0].SHA256 {
				t.Errorf("sources changed after a refused bundle: %+v", after)
			}
		})
	}
}

func TestDowngrade(t *testing.T) {
	f := newFixture(t)
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	older, _ := f.build(t, "older.bundle", sample[:1], BuildOptions{Now: func() time.Time { return day }})
	newer, _ := f.build(t, "newer.bundle", sample, BuildOptions{Now: func() time.Time { return day.Add(24 * time.Hour) }})
	db := openDB(t, f.dir)
	if err := apply(t, db, newer, f.keyring, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	var de *vulndb.DowngradeError
	if err := apply(t, db, older, f.keyring, ApplyOptions{}); !errors.As(err, &de) {
		t.Fatalf("older bundle after newer: %v, want a downgrade refusal", err)
	}
	// Another source is not a downgrade of this one.
	other, _ := f.build(t, "other.bundle", sample[:1], BuildOptions{Source: "other", Now: func() time.Time { return day }})
	if err := apply(t, db, other, f.keyring, ApplyOptions{}); err != nil {
		t.Fatalf("a bundle of another source: %v", err)
	}
	if err := apply(t, db, older, f.keyring, ApplyOptions{AllowDowngrade: true}); err != nil {
		t.Fatalf("--allow-downgrade: %v", err)
	}
}

func writeRecord(t *testing.T, dir, id, modified, summary string) {
	t.Helper()
	rec := map[string]any{"schema_version": "1.4.0", "id": id, "modified": modified, "summary": summary,
		"affected": []any{map[string]any{"package": map[string]any{"ecosystem": "PyPI", "name": "demo"},
			"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": "2.0"}}}}}}}
	b, _ := json.Marshal(rec)
	if err := os.WriteFile(filepath.Join(dir, id+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIncremental(t *testing.T) {
	f := newFixture(t)
	src := filepath.Join(f.dir, "osv", "PyPI")
	os.MkdirAll(src, 0o755)
	// The all.zip of day one: three records.
	for _, id := range []string{"PYSEC-1", "PYSEC-2", "PYSEC-3"} {
		writeRecord(t, src, id, "2026-11-01T00:00:00Z", "first "+id)
	}
	zipDir := func(name string) string {
		var es [][2]string
		ents, _ := os.ReadDir(src)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(src, e.Name()))
			es = append(es, [2]string{e.Name(), string(b)})
		}
		p := filepath.Join(f.dir, "osv", "PyPI", name)
		writeZip(t, p, es...)
		return p
	}
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	all1 := zipDir("all.zip")
	basePath, _ := f.build(t, "base.bundle", []string{all1}, BuildOptions{Now: func() time.Time { return day }})
	os.Remove(all1)
	// Day two: one record changed, one added, one older copy (not taken).
	writeRecord(t, src, "PYSEC-2", "2026-11-20T00:00:00Z", "second PYSEC-2")
	writeRecord(t, src, "PYSEC-4", "2026-11-20T00:00:00Z", "new")
	writeRecord(t, src, "PYSEC-3", "2026-10-01T00:00:00Z", "older PYSEC-3")
	all2 := zipDir("all.zip")
	base, err := Open(basePath, f.keyring)
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	deltaPath, m := f.build(t, "delta.bundle", []string{all2}, BuildOptions{Base: base, Now: func() time.Time { return day.Add(24 * time.Hour) }})
	if m.Base == nil || m.Base.ID != base.ID || len(m.Members) != 1 || m.Members[0].Records != 2 || !m.Members[0].Merge {
		t.Fatalf("delta manifest %+v: want base %s and one merge member of 2 records", m, base.ID)
	}

	db := openDB(t, f.dir)
	var mb *vulndb.MissingBaseError
	if err := apply(t, db, deltaPath, f.keyring, ApplyOptions{}); !errors.As(err, &mb) || !strings.Contains(err.Error(), base.ID) {
		t.Fatalf("delta without its base: %v, want a refusal naming %s", err, base.ID)
	}
	if err := apply(t, db, basePath, f.keyring, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := apply(t, db, deltaPath, f.keyring, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	vs, err := db.Query(context.Background(), "PyPI", "demo")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vs {
		got[v.ID] = v.Summary
	}
	want := map[string]string{"PYSEC-1": "first PYSEC-1", "PYSEC-2": "second PYSEC-2", "PYSEC-3": "first PYSEC-3", "PYSEC-4": "new"}
	for id, s := range want {
		if got[id] != s {
			t.Errorf("%s: summary %q, want %q (all: %v)", id, got[id], s, got)
		}
	}
	srcs, _ := db.Sources(context.Background())
	if len(srcs) != 1 || srcs[0].Records != 4 {
		t.Errorf("sources %+v: want one source of 4 records", srcs)
	}
}
