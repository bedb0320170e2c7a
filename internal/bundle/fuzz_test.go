package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseManifest: any bytes give a manifest that passes its checks or
// an error naming the manifest, never a panic.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format_version":1,"created":"2026-12-01T00:00:00Z","source":"s","members":[{"name":"members/osv/PyPI/all.zip","kind":"osv","sha256":"` + zeros + `","size":1,"origin":"osv/PyPI/all.zip","records":1,"from":"x","source_date":"2026-12-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"format_version":2}`))
	f.Add([]byte(`{"format_version":1,"created":"2026-12-01T00:00:00Z","source":"s","members":[{"name":"members/../x","kind":"osv"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err == nil {
			if m.FormatVersion != FormatVersion || m.Created.IsZero() {
				t.Fatalf("accepted %+v", m)
			}
			for _, mb := range m.Members {
				if unsafeName(mb.Name) != "" || !isDigest(mb.SHA256) {
					t.Fatalf("accepted member %+v", mb)
				}
			}
		}
	})
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"

// FuzzOpen: any file is a verified bundle or an error, never a panic; a
// file not signed by the trusted key is never accepted.
func FuzzOpen(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.bundle")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	pub, err := os.ReadFile("testdata/seed.pub")
	if err != nil {
		f.Fatal(err)
	}
	key, err := ParsePublicKey("testdata/seed.pub", pub)
	if err != nil {
		f.Fatal(err)
	}
	kr := NewKeyring("testdata/seed.pub", key)
	f.Fuzz(func(t *testing.T, b []byte) {
		bd, err := read(bytes.NewReader(b), int64(len(b)), kr)
		if err != nil {
			return
		}
		if bd.Signer != KeyID(key) {
			t.Fatalf("accepted a bundle signed by %s", bd.Signer)
		}
		_ = bd.Verify(context.Background())
	})
}

// TestSeedBundle keeps the fuzz seed bundle valid: signed by the seed key
// and verifying whole.
func TestSeedBundle(t *testing.T) {
	pub, err := os.ReadFile("testdata/seed.pub")
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParsePublicKey("seed.pub", pub)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open("testdata/seed.bundle", NewKeyring("seed", key))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = ed25519.PublicKeySize
}

// FuzzLicenseNames: any payload is a checked license table or an error
// naming the payload, never a panic; every accepted name normalises to
// its value, every package entry is found by its own key.
func FuzzLicenseNames(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.licenses.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"license_names":{"x":"not spdx"}}`))
	f.Add([]byte(`{"license_names":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		table, err := LicenseTable(b, "payload")
		if err != nil {
			if !bytes.Contains([]byte(err.Error()), []byte("payload")) {
				t.Fatalf("error without the payload's name: %v", err)
			}
			return
		}
		names := table.Names
		for k, v := range names {
			if got, ok := names.Normalize(k); !ok || got != v {
				t.Fatalf("accepted %q -> %q, which does not normalise (%q %v)", k, v, got, ok)
			}
		}
		for k, v := range table.Packages {
			eco, rest, _ := strings.Cut(k, "/")
			name, version := rest, ""
			if i := strings.LastIndex(rest, "@"); i > 0 {
				name, version = rest[:i], rest[i+1:]
			}
			if got, _, ok := table.Packages.Lookup(eco, name, version); !ok || got != v {
				t.Fatalf("package entry %q -> %q not found by its key (%q %v)", k, v, got, ok)
			}
		}
	})
}
