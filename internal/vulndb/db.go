// Package vulndb is airlock's offline vulnerability store: OSV records
// imported from files carried into the network (per-ecosystem all.zip
// archives, directories of JSON records, single records) into one indexed
// SQLite file, keyed by ecosystem and normalised package name, with the
// provenance of every import.
//
// An import runs in one transaction: a failed or interrupted import leaves the
// previous data in place and usable. Scans never read the archives again.
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
// rebuilt empty (the data is re-imported from its source files).
const schemaVersion = 2

var schema = []string{
	`CREATE TABLE IF NOT EXISTS source (
		id INTEGER PRIMARY KEY,
		key TEXT NOT NULL UNIQUE,
		ecosystem TEXT NOT NULL,
		path TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		records INTEGER NOT NULL,
		withdrawn INTEGER NOT NULL,
		skipped INTEGER NOT NULL,
		newest_modified TEXT NOT NULL,
		imported_at TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS vuln (
		source_id INTEGER NOT NULL REFERENCES source(id) ON DELETE CASCADE,
		id TEXT NOT NULL,
		modified TEXT NOT NULL,
		data BLOB NOT NULL,
		bin BLOB NOT NULL,
		PRIMARY KEY (source_id, id)
	)`,
	`CREATE TABLE IF NOT EXISTS affected (
		ecosystem TEXT NOT NULL,
		name TEXT NOT NULL,
		source_id INTEGER NOT NULL,
		vuln_id TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS affected_package ON affected (ecosystem, name)`,
	`CREATE INDEX IF NOT EXISTS affected_source ON affected (source_id)`,
}

// DB is an open vulnerability store.
type DB struct {
	sql   *sql.DB
	path  string
	query *sql.Stmt
}

// Options control Open.
type Options struct {
	// Create makes the file (and its directory) when it does not exist.
	Create bool
}

// Open opens the store at path.
func Open(ctx context.Context, path string, o Options) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("vulndb: %w", err)
		}
		if !o.Create {
			return nil, fmt.Errorf("%w at %s: import OSV data first with 'airlock db import FILE' (for example an all.zip per ecosystem)", ErrNoData, path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("vulndb: create data directory: %w", err)
		}
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=mmap_size(1073741824)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("vulndb: open %s: %w", path, err)
	}
	d := &DB{sql: db, path: path}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	d.query, err = db.PrepareContext(ctx, `SELECT DISTINCT v.id, v.bin FROM affected a JOIN vuln v ON v.source_id = a.source_id AND v.id = a.vuln_id WHERE a.ecosystem = ? AND a.name = ? ORDER BY v.id`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("vulndb: %s: %w", path, err)
	}
	return d, nil
}

func (d *DB) migrate(ctx context.Context) error {
	var v int
	if err := d.sql.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("vulndb: %s is not a vulnerability database: %w", d.path, err)
	}
	if v > schemaVersion {
		return fmt.Errorf("vulndb: %s has schema version %d, newer than this airlock understands (%d): upgrade airlock", d.path, v, schemaVersion)
	}
	if v == schemaVersion {
		return nil
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("vulndb: migrate: %w", err)
	}
	defer tx.Rollback()
	if v > 0 {
		// An older layout: the store is a cache of imported files, so it
		// is rebuilt empty and 'airlock db import' fills it again.
		for _, t := range []string{"affected", "vuln", "source"} {
			if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
				return fmt.Errorf("vulndb: migrate %s: %w", d.path, err)
			}
		}
	}
	for _, s := range schema {
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

// Source is the provenance of one import.
type Source struct {
	// Key identifies what a later import replaces: the ecosystem when every
	// record is about one ecosystem, else the absolute path imported.
	Key       string `json:"key"`
	Ecosystem string `json:"ecosystem"`
	// Path is the file or directory imported.
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
	// NewestModified is the newest record's modification time: the age of
	// the data.
	NewestModified time.Time `json:"newest_modified"`
	ImportedAt     time.Time `json:"imported_at"`
}

// Sources lists what has been imported, by ecosystem.
func (d *DB) Sources(ctx context.Context) ([]Source, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT key, ecosystem, path, sha256, records, withdrawn, skipped, newest_modified, imported_at FROM source ORDER BY ecosystem, key`)
	if err != nil {
		return nil, fmt.Errorf("vulndb: sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		var s Source
		var nm, ia string
		if err := rows.Scan(&s.Key, &s.Ecosystem, &s.Path, &s.SHA256, &s.Records, &s.Withdrawn, &s.Skipped, &nm, &ia); err != nil {
			return nil, fmt.Errorf("vulndb: sources: %w", err)
		}
		s.NewestModified, _ = time.Parse(time.RFC3339Nano, nm)
		s.ImportedAt, _ = time.Parse(time.RFC3339Nano, ia)
		out = append(out, s)
	}
	return out, rows.Err()
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
// normalised as the ecosystem does. Each record appears once even when
// several sources carry it.
func (d *DB) Query(ctx context.Context, ecosystem, name string) ([]*osv.Vulnerability, error) {
	eco := BaseEcosystem(ecosystem)
	rows, err := d.query.QueryContext(ctx, eco, inventory.NormalizeName(eco, name))
	if err != nil {
		return nil, fmt.Errorf("vulndb: query %s/%s: %w", ecosystem, name, err)
	}
	defer rows.Close()
	var out []*osv.Vulnerability
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return nil, fmt.Errorf("vulndb: query %s/%s: %w", ecosystem, name, err)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
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
