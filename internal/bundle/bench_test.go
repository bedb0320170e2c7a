package bundle

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// sharedInputs are every OSV archive in ../shared/data.
func sharedInputs(b *testing.B) []string {
	var out []string
	for _, set := range []string{"osv", "osv-malicious", "osv-ghsa"} {
		m, _ := filepath.Glob(filepath.Join("../../../shared/data", set, "*", "all.zip"))
		out = append(out, m...)
	}
	if len(out) == 0 {
		b.Skip("shared data not found at ../shared/data (it lives beside the repository)")
	}
	return out
}

// BenchmarkBuildAndImportShared: a bundle of all shared data built and
// imported into an empty database (issue: under 5 s).
func BenchmarkBuildAndImportShared(b *testing.B) {
	inputs := sharedInputs(b)
	dir := b.TempDir()
	if _, err := GenerateKey(filepath.Join(dir, "k")); err != nil {
		b.Fatal(err)
	}
	key, _ := LoadPrivateKey(filepath.Join(dir, "k.key"))
	kr, _ := LoadKeyring(filepath.Join(dir, "k.pub"))
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		out := filepath.Join(dir, "b.bundle")
		if _, _, err := Build(ctx, out, inputs, BuildOptions{Key: key, Source: "bench"}); err != nil {
			b.Fatal(err)
		}
		db := openDBB(b, dir)
		bd, err := Open(out, kr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Apply(ctx, db, bd, ApplyOptions{}); err != nil {
			b.Fatal(err)
		}
		bd.Close()
		db.Close()
		os.Remove(db.Path())
	}
}

// BenchmarkVerifyShared: signature and every member's hash of the bundle
// of all shared data (issue: under 0.5 s).
func BenchmarkVerifyShared(b *testing.B) {
	inputs := sharedInputs(b)
	dir := b.TempDir()
	GenerateKey(filepath.Join(dir, "k"))
	key, _ := LoadPrivateKey(filepath.Join(dir, "k.key"))
	kr, _ := LoadKeyring(filepath.Join(dir, "k.pub"))
	out := filepath.Join(dir, "b.bundle")
	if _, _, err := Build(context.Background(), out, inputs, BuildOptions{Key: key, Source: "bench"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bd, err := Open(out, kr)
		if err != nil {
			b.Fatal(err)
		}
		if err := bd.Verify(context.Background()); err != nil {
			b.Fatal(err)
		}
		bd.Close()
	}
}
