// Package vulndb is airlock's offline vulnerability store: OSV records
// imported from files carried into the network (per-ecosystem all.zip
// archives, directories of JSON records, single records) into one indexed
// SQLite file, keyed by ecosystem and normalised package name, with the
// provenance of every source. Sources are named by origin and coexist; a
// record id held by several is answered once, by its newest copy.
//
// An import runs in one transaction: a failed or interrupted import leaves the
// previous data in place and usable. Scans never read the archives again,
// and open the file read-only.
package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
)

// ErrNoData is returned by Open when the database does not exist and
// creation was not asked for.
var ErrNoData = errors.New("no vulnerability database")

// schemaVersion is the layout of the file; a file of an older layout is
// rebuilt empty by the next import (the data is re-imported from its
// source files), and refused by a read-only open until then.
//
// 3: sources identified by origin; each distinct record text stored once
// (blob), a source's records listing it; rollback journal instead of WAL.
const schemaVersion = 3

var schema = []string{
	`CREATE TABLE IF NOT EXISTS source (
		id INTEGER PRIMARY KEY,
		origin TEXT NOT NULL UNIQUE,
		kind TEXT NOT NULL,
		ecosystem TEXT NOT NULL,
		path TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		records INTEGER NOT NULL,
		withdrawn INTEGER NOT NULL,
		skipped INTEGER NOT NULL,
		newest_modified TEXT NOT NULL,
		dated_by TEXT NOT NULL,
		imported_at TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS blob (
		id INTEGER PRIMARY KEY,
		hash TEXT NOT NULL UNIQUE,
		data BLOB NOT NULL,
		bin BLOB NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS record (
		source_id INTEGER NOT NULL REFERENCES source(id) ON DELETE CASCADE,
		id TEXT NOT NULL,
		date TEXT NOT NULL,
		withdrawn INTEGER NOT NULL,
		blob_id INTEGER NOT NULL,
		PRIMARY KEY (source_id, id)
	)`,
	`CREATE INDEX IF NOT EXISTS record_id ON record (id)`,
	`CREATE INDEX IF NOT EXISTS record_blob ON record (blob_id)`,
	`CREATE TABLE IF NOT EXISTS affected (
		ecosystem TEXT NOT NULL,
		name TEXT NOT NULL,
		blob_id INTEGER NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS affected_package ON affected (ecosystem, name)`,
	`CREATE INDEX IF NOT EXISTS affected_blob ON affected (blob_id)`,
}

// oldTables are every table an older layout may have.
var oldTables = []string{"affected", "record", "vuln", "blob", "source", "bundle", "payload"}

// queryWinner finds the records naming a package. A record id held by
// several sources counts once: the copy with the newest date wins (ties:
// the latest import), and it must itself name the package and not be
// withdrawn, so a newer copy that drops the package or is withdrawn hides
// the older ones.
const queryWinner = `SELECT DISTINCT r.id, b.bin
FROM affected a JOIN record r ON r.blob_id = a.blob_id JOIN blob b ON b.id = r.blob_id
WHERE a.ecosystem = ?1 AND a.name = ?2 AND r.withdrawn = 0
AND NOT EXISTS (SELECT 1 FROM record o WHERE o.id = r.id AND (o.date > r.date OR (o.date = r.date AND o.source_id > r.source_id)))
ORDER BY r.id`

// DB is an open vulnerability store.
type DB struct {
	sql      *sql.DB
	path     string
	readOnly bool
	query    *sql.Stmt
}

// Options control Open.
type Options struct {
	// Create makes the file (and its directory) when it does not exist.
	Create bool
	// ReadOnly opens for queries only (scans, status): nothing is written
	// to the file or its directory, so the store may sit on a read-only
	// mount or in a directory the user cannot write.
	ReadOnly bool
}

// Open opens the store at path.
//
// The file uses SQLite's rollback journal, not WAL. A WAL database can only
// be opened read-only when its -wal and -shm files exist or can be created
// beside it (or when it is opened "immutable", which would also skip
// locking and so read half-written pages while an import commits). With a
// rollback journal a read-only connection (mode=ro) only reads the file
// and takes shared locks on it: it creates nothing, works in a directory
// it cannot write, and still waits for an import in progress. An import
// keeps its changes in memory until commit (cache_spill off) so that
// readers are blocked only while it commits.
func Open(ctx context.Context, path string, o Options) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("vulndb: %w", err)
		}
		if !o.Create || o.ReadOnly {
			return nil, fmt.Errorf("%w at %s: import OSV data first with 'airlock db import FILE' (for example an all.zip per ecosystem)", ErrNoData, path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("vulndb: create data directory: %w", err)
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("vulndb: %w", err)
	}
	// SQLite reads the part of a file: URI before '?' or '#', percent-decoded.
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(abs))
	if o.ReadOnly {
		uri += "?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=mmap_size(1073741824)"
	} else {
		uri += "?_pragma=busy_timeout(10000)&_pragma=journal_mode(DELETE)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=cache_spill(0)&_pragma=mmap_size(1073741824)"
	}
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, fmt.Errorf("vulndb: open %s: %w", path, err)
	}
	d := &DB{sql: db, path: path, readOnly: o.ReadOnly}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	d.query, err = db.PrepareContext(ctx, queryWinner)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("vulndb: %s: %w", path, err)
	}
	return d, nil
}

func (d *DB) migrate(ctx context.Context) error {
	var v int
	if err := d.sql.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		if d.readOnly {
			return fmt.Errorf("vulndb: %s cannot be opened read-only: %w (a database written by an airlock before schema %d must be rebuilt with 'airlock db import')", d.path, err, schemaVersion)
		}
		return fmt.Errorf("vulndb: %s is not a vulnerability database: %w", d.path, err)
	}
	if v > schemaVersion {
		return fmt.Errorf("vulndb: %s has schema version %d, newer than this airlock understands (%d): upgrade airlock", d.path, v, schemaVersion)
	}
	if v == schemaVersion {
		if d.readOnly {
			return nil
		}
		for _, s := range bundleSchema {
			if _, err := d.sql.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("vulndb: migrate %s: %w", d.path, err)
			}
		}
		return nil
	}
	if d.readOnly {
		if v == 0 {
			return fmt.Errorf("%w: %s is not an airlock vulnerability database (or is empty): import OSV data into it with 'airlock db import FILE'", ErrNoData, d.path)
		}
		return fmt.Errorf("vulndb: %s has schema version %d, older than this airlock's (%d): import the OSV files again with 'airlock db import' to rebuild it", d.path, v, schemaVersion)
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("vulndb: migrate: %w", err)
	}
	defer tx.Rollback()
	if v > 0 {
		// An older layout: the store is a cache of imported files, so it
		// is rebuilt empty and 'airlock db import' fills it again.
		for _, t := range oldTables {
			if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
				return fmt.Errorf("vulndb: migrate %s: %w", d.path, err)
			}
		}
	}
	for _, s := range append(schema, bundleSchema...) {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("vulndb: migrate %s: %w", d.path, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("vulndb: migrate: %w", err)
	}
	return tx.Commit()
}

// Close closes the store.
func (d *DB) Close() error {
	d.query.Close()
	return d.sql.Close()
}

// Path is the store's file.
func (d *DB) Path() string { return d.path }

// SourceKind says how a source was read, and so what a later import of the
// same origin does with it.
type SourceKind string

// Source kinds.
const (
	// KindArchive is a zip: a full copy of its origin, which a later copy
	// replaces.
	KindArchive SourceKind = "archive"
	// KindDirectory and KindRecord are partial: a later import of the
	// same origin merges into them and never removes records.
	KindDirectory SourceKind = "directory"
	KindRecord    SourceKind = "record"
)

// Source is the provenance of one imported source.
type Source struct {
	// Origin identifies the source across copies: the file's name within
	// its ecosystem folder ("osv/PyPI/all.zip", "osv-ghsa/PyPI/all.zip"),
	// else the ecosystem and the file's name ("PyPI/PYSEC-2099-1.json").
	// A newer copy of the same origin replaces (archives) or merges into
	// (directories, records) only this source's records.
	Origin string `json:"origin"`
	// Key is Origin (the name earlier versions gave it).
	Key  string     `json:"key"`
	Kind SourceKind `json:"kind"`
	// Ecosystem is the base ecosystem every record names, or "mixed".
	Ecosystem string `json:"ecosystem"`
	// Path is the file or directory last imported.
	Path string `json:"path"`
	// SHA256 is the digest of the file (of the sorted record digests for a
	// directory).
	SHA256 string `json:"sha256"`
	// Records is the number of records stored; Withdrawn of those are
	// withdrawn and never reported.
	Records   int `json:"records"`
	Withdrawn int `json:"withdrawn"`
	// Skipped is the number of entries refused at import.
	Skipped int `json:"skipped"`
	// NewestModified is the age of the data: the newest of the records'
	// modified and published times, or the import time when no record
	// carries a modified time (the Go database's export).
	NewestModified time.Time `json:"newest_modified"`
	// DatedBy says where NewestModified comes from: "modified",
	// "published" or "import".
	DatedBy    string    `json:"dated_by"`
	ImportedAt time.Time `json:"imported_at"`
}

const sourceColumns = `origin, kind, ecosystem, path, sha256, records, withdrawn, skipped, newest_modified, dated_by, imported_at`

// scanSource reads the sourceColumns of one row.
func scanSource(row interface{ Scan(...any) error }, s *Source, extra ...any) error {
	dest := append(extra, &s.Origin, &s.Kind, &s.Ecosystem, &s.Path, &s.SHA256, &s.Records, &s.Withdrawn, &s.Skipped,
		scanTime{&s.NewestModified}, &s.DatedBy, scanTime{&s.ImportedAt})
	if err := row.Scan(dest...); err != nil {
		return err
	}
	s.Key = s.Origin
	return nil
}

// Sources lists what has been imported, by ecosystem and origin.
func (d *DB) Sources(ctx context.Context) ([]Source, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+sourceColumns+` FROM source WHERE origin NOT LIKE 'pending:%' ORDER BY ecosystem, origin`)
	if err != nil {
		return nil, fmt.Errorf("vulndb: sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		var s Source
		if err := scanSource(rows, &s); err != nil {
			return nil, fmt.Errorf("vulndb: sources: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Distinct counts the record ids stored, each once however many sources
// hold it.
func (d *DB) Distinct(ctx context.Context) (int, error) {
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT COUNT(DISTINCT id) FROM record`).Scan(&n); err != nil {
		return 0, fmt.Errorf("vulndb: count: %w", err)
	}
	return n, nil
}

// Names returns every normalised package name with records in an ecosystem.
// The matcher uses it to skip packages that have no records at all.
func (d *DB) Names(ctx context.Context, ecosystem string) (map[string]bool, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT DISTINCT name FROM affected WHERE ecosystem = ?`, ecosystem)
	if err != nil {
		return nil, fmt.Errorf("vulndb: names: %w", err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("vulndb: names: %w", err)
		}
		names[n] = true
	}
	return names, rows.Err()
}

// Query returns the records that name the package in an affected entry.
// The ecosystem's suffix (":11" in "Debian:11") is ignored and the name is
// normalised as the ecosystem does. Each record id appears once even when
// several sources carry it: the copy with the newest date (modified or
// published) wins, the latest import on a tie.
func (d *DB) Query(ctx context.Context, ecosystem, name string) ([]*osv.Vulnerability, error) {
	eco := BaseEcosystem(ecosystem)
	rows, err := d.query.QueryContext(ctx, eco, inventory.NormalizeName(eco, name))
	if err != nil {
		return nil, fmt.Errorf("vulndb: query %s/%s: %w", ecosystem, name, err)
	}
	defer rows.Close()
	var out []*osv.Vulnerability
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return nil, fmt.Errorf("vulndb: query %s/%s: %w", ecosystem, name, err)
		}
		var v osv.Vulnerability
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("vulndb: record %s is corrupt: %w (re-import its source)", id, err)
		}
		out = append(out, &v)
	}
	return out, rows.Err()
}

// BaseEcosystem strips the release suffix of an OSV ecosystem name
// ("Debian:11" → "Debian").
func BaseEcosystem(e string) string {
	if i := strings.IndexByte(e, ':'); i >= 0 {
		return e[:i]
	}
	return e
}
