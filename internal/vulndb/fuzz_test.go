package vulndb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func seeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s: %v", pattern, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParse checks that no input makes the record parser panic and that an
// accepted record has an id.
func FuzzParse(f *testing.F) {
	seeds(f, "*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		v, reason := Parse(b)
		if (v == nil) == (reason == "") {
			t.Fatalf("Parse returned record %v and reason %q", v, reason)
		}
		if v != nil && v.ID == "" {
			t.Fatal("accepted a record without id")
		}
	})
}

// FuzzImport feeds arbitrary bytes as an archive and as a single record:
// the import either succeeds or fails with an error naming the file, and a
// failure leaves the database as it was.
func FuzzImport(f *testing.F) {
	seeds(f, "*")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		db, err := Open(ctx, filepath.Join(dir, "v.db"), Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, name := range []string{"all.zip", "record.json"} {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			before, _ := db.Sources(ctx)
			_, err := db.Import(ctx, []string{p}, ImportOptions{})
			if err != nil {
				if !strings.Contains(err.Error(), p) {
					t.Fatalf("error does not name %s: %v", p, err)
				}
				if after, _ := db.Sources(ctx); len(after) != len(before) {
					t.Fatalf("failed import changed sources from %v to %v", before, after)
				}
			}
		}
	})
}
