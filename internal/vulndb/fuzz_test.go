package vulndb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/osv"
)

func seeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s: %v", pattern, err)
	}
	for _, p := range files {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			continue
		}
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

// FuzzImport feeds arbitrary bytes to the import's reader, as an archive
// and as a single record, without a database: reading either fails with an
// error naming the input, or yields records that are what the store needs
// (an id, valid JSON and its digest, a match form that decodes) and a
// summary that counts them.
func FuzzImport(f *testing.F) {
	seeds(f, "*")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, asZip := range []bool{true, false} {
			var recs []*Record
			r := newReader(ctx, "input", func(rec *Record) error {
				recs = append(recs, rec)
				return nil
			}, nil)
			var err error
			if asZip {
				err = r.readZip(bytes.NewReader(b), int64(len(b)))
			} else {
				err = r.readRecord("record.json", b)
			}
			if err != nil {
				var ie *ImportError
				if !errors.As(err, &ie) || ie.Path != "input" {
					t.Fatalf("zip=%v: error does not name the input: %v", asZip, err)
				}
				continue
			}
			checkRead(t, r, recs)
		}
	})
}

func checkRead(t *testing.T, r *reader, recs []*Record) {
	t.Helper()
	sum := r.summary()
	if sum.Records != len(recs) || sum.Skipped != len(r.skipped) || sum.Ecosystem == "" {
		t.Fatalf("summary %+v for %d records and %d skipped", sum, len(recs), len(r.skipped))
	}
	ids := map[string]bool{}
	withdrawn := 0
	for _, rec := range recs {
		if rec.ID == "" || ids[rec.ID] {
			t.Fatalf("record id %q empty or repeated", rec.ID)
		}
		ids[rec.ID] = true
		if h := sha256.Sum256(rec.JSON); rec.Hash != hex.EncodeToString(h[:]) || !json.Valid(rec.JSON) {
			t.Fatalf("%s: hash or JSON wrong", rec.ID)
		}
		var v osv.Vulnerability
		if err := json.Unmarshal(rec.Match, &v); err != nil || v.ID != rec.ID {
			t.Fatalf("%s: match form does not decode: %v", rec.ID, err)
		}
		if rec.Withdrawn {
			withdrawn++
			if len(rec.Packages) > 0 {
				t.Fatalf("%s: withdrawn record names packages", rec.ID)
			}
		}
		if !rec.Date.IsZero() && (isUnset(rec.Date) || rec.Date.After(sum.Newest)) {
			t.Fatalf("%s: date %s (newest %s)", rec.ID, rec.Date, sum.Newest)
		}
	}
	if withdrawn != sum.Withdrawn {
		t.Fatalf("summary says %d withdrawn, records %d", sum.Withdrawn, withdrawn)
	}
	for _, s := range r.skipped {
		if s.Reason == "" {
			t.Fatalf("entry %q skipped without a reason", s.Entry)
		}
	}
}

// TestImportSeedsThroughDB is the database side of FuzzImport: importing
// each seed as an archive and as a record either succeeds or fails naming
// the file, and a failure leaves the sources as they were.
func TestImportSeedsThroughDB(t *testing.T) {
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	db := openTemp(t)
	dir := t.TempDir()
	files = append(files, "") // and an empty file
	imported := 0
	for _, seed := range files {
		var b []byte
		if seed != "" {
			if b, err = os.ReadFile(seed); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{"all.zip", "record.json"} {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			before, _ := db.Sources(ctx)
			_, err := db.Import(ctx, []string{p}, ImportOptions{Force: true})
			if err != nil {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("%s as %s: error does not name the file: %v", seed, name, err)
				}
				if after, _ := db.Sources(ctx); len(after) != len(before) {
					t.Errorf("%s as %s: failed import changed sources from %v to %v", seed, name, before, after)
				}
				continue
			}
			imported++
		}
	}
	if imported == 0 {
		t.Error("no seed imported")
	}
}
