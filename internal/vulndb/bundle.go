package vulndb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Signed bundles (internal/bundle) carry OSV archives and other data the
// analyzers use offline. The store records which bundles were applied, so
// that an older bundle of the same signer and source is refused (no
// silent downgrade) and an incremental bundle finds its base, and keeps
// the non-OSV members (payloads: secret rules) beside the records, so
// that one transaction applies a bundle whole or not at all.

// bundleSchema is created on every writable open: additive tables that an
// older file of the same schema version gains without a rebuild. A
// read-only open of a file without them reads them as empty.
var bundleSchema = []string{
	`CREATE TABLE IF NOT EXISTS bundle (
		id TEXT PRIMARY KEY,
		signer TEXT NOT NULL,
		source TEXT NOT NULL,
		created TEXT NOT NULL,
		base TEXT NOT NULL,
		file_sha256 TEXT NOT NULL,
		members INTEGER NOT NULL,
		imported_at TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS payload (
		kind TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		data BLOB NOT NULL,
		bundle TEXT NOT NULL,
		source_date TEXT NOT NULL,
		imported_at TEXT NOT NULL
	)`,
}

// BundleImport is one verified bundle to apply.
type BundleImport struct {
	// ID is the bundle's id (the sha256 of its signed manifest); Signer the
	// id of the key whose signature was verified; Source the bundle's
	// source name; Created its creation time; Base the id of the bundle an
	// incremental bundle applies on top of ("" for a full bundle);
	// FileSHA256 the digest of the bundle file.
	ID, Signer, Source, Base, FileSHA256 string
	Created                              time.Time
	// Members are the OSV members, extracted to files.
	Members []BundleMember
	// Payloads are the other members, kept whole.
	Payloads []Payload
	// AllowDowngrade applies a bundle created before the newest one
	// already applied from the same signer and source.
	AllowDowngrade bool
	// Progress, when set, is called as records are read.
	Progress func(Progress)
	// Now returns the import time; time.Now when nil.
	Now func() time.Time
}

// BundleMember is one OSV member of a bundle.
type BundleMember struct {
	// Path is the extracted file; Name the member's name in the bundle,
	// for messages.
	Path, Name string
	// Origin is the source the member's records belong to.
	Origin string
	// Merge adds the records to the origin's (an incremental member)
	// instead of replacing them.
	Merge bool
}

// Payload is a non-OSV member kept in the store (secret rules).
type Payload struct {
	Kind, Name, SHA256 string
	Data               []byte
	// Bundle is the id of the bundle that brought it.
	Bundle     string
	SourceDate time.Time
	ImportedAt time.Time
}

// BundleRecord is a bundle applied to the store.
type BundleRecord struct {
	ID         string    `json:"id"`
	Signer     string    `json:"signer"`
	Source     string    `json:"source"`
	Created    time.Time `json:"created"`
	Base       string    `json:"base,omitempty"`
	FileSHA256 string    `json:"file_sha256"`
	Members    int       `json:"members"`
	ImportedAt time.Time `json:"imported_at"`
}

// ErrBundleApplied is returned by ImportBundle for a bundle applied before.
var ErrBundleApplied = errors.New("bundle already imported")

// MissingBaseError refuses an incremental bundle whose base was never
// applied.
type MissingBaseError struct{ Bundle, Base string }

func (e *MissingBaseError) Error() string {
	return fmt.Sprintf("incremental bundle %s applies on top of bundle %s, which has not been imported into this database: import bundle %s (or a later full bundle and an incremental one built on it) first",
		short(e.Bundle), e.Base, e.Base)
}

// DowngradeError refuses a bundle older than one already applied.
type DowngradeError struct {
	Signer, Source   string
	Created, Applied time.Time
	AppliedID        string
}

func (e *DowngradeError) Error() string {
	return fmt.Sprintf("bundle created %s is older than bundle %s (created %s) already imported from signer %s and source %q: refusing a downgrade; use --allow-downgrade to apply it anyway",
		e.Created.UTC().Format(time.RFC3339), short(e.AppliedID), e.Applied.UTC().Format(time.RFC3339), e.Signer, e.Source)
}

func short(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// ImportBundle applies a verified bundle in one transaction: its OSV
// members (replacing or merging into their origins), its payloads and the
// record of the bundle itself; on any error nothing changes.
func (d *DB) ImportBundle(ctx context.Context, b BundleImport) ([]FileReport, error) {
	if d.readOnly {
		return nil, fmt.Errorf("vulndb: %s is open read-only", d.path)
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	at := now().UTC()
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("vulndb: import bundle: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bundle WHERE id = ?`, b.ID).Scan(&n); err != nil {
		return nil, fmt.Errorf("vulndb: import bundle: %w", err)
	}
	if n > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBundleApplied, short(b.ID))
	}
	if b.Base != "" {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bundle WHERE id = ?`, b.Base).Scan(&n); err != nil {
			return nil, fmt.Errorf("vulndb: import bundle: %w", err)
		}
		if n == 0 {
			return nil, &MissingBaseError{Bundle: b.ID, Base: b.Base}
		}
	}
	var newest BundleRecord
	err = scanBundle(tx.QueryRowContext(ctx, `SELECT `+bundleColumns+` FROM bundle WHERE signer = ? AND source = ? ORDER BY created DESC LIMIT 1`, b.Signer, b.Source), &newest)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("vulndb: import bundle: %w", err)
	case b.Created.Before(newest.Created) && !b.AllowDowngrade:
		return nil, &DowngradeError{Signer: b.Signer, Source: b.Source, Created: b.Created, Applied: newest.Created, AppliedID: newest.ID}
	}
	var reports []FileReport
	for _, m := range b.Members {
		o := ImportOptions{Origin: m.Origin, Merge: m.Merge, Force: b.AllowDowngrade, Progress: b.Progress}
		r, err := importPath(ctx, tx, m.Path, o, at)
		if err != nil {
			return nil, fmt.Errorf("bundle member %s: %w", m.Name, err)
		}
		r.Path = m.Name
		reports = append(reports, *r)
	}
	for _, p := range b.Payloads {
		if _, err := tx.ExecContext(ctx, `INSERT INTO payload (kind, name, sha256, data, bundle, source_date, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (kind) DO UPDATE SET name = excluded.name, sha256 = excluded.sha256, data = excluded.data, bundle = excluded.bundle, source_date = excluded.source_date, imported_at = excluded.imported_at`,
			p.Kind, p.Name, p.SHA256, p.Data, b.ID, p.SourceDate.UTC().Format(time.RFC3339Nano), at.Format(time.RFC3339Nano)); err != nil {
			return nil, fmt.Errorf("vulndb: import bundle member %s: %w", p.Name, err)
		}
	}
	if err := gc(ctx, tx); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO bundle (id, signer, source, created, base, file_sha256, members, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.Signer, b.Source, b.Created.UTC().Format(dateLayout), b.Base, b.FileSHA256, len(b.Members)+len(b.Payloads), at.Format(time.RFC3339Nano)); err != nil {
		return nil, fmt.Errorf("vulndb: import bundle: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("vulndb: import bundle: commit: %w", err)
	}
	return reports, nil
}

const bundleColumns = `id, signer, source, created, base, file_sha256, members, imported_at`

func scanBundle(row interface{ Scan(...any) error }, b *BundleRecord) error {
	return row.Scan(&b.ID, &b.Signer, &b.Source, scanTime{&b.Created}, &b.Base, &b.FileSHA256, &b.Members, scanTime{&b.ImportedAt})
}

// Bundles lists the bundles applied, oldest first.
func (d *DB) Bundles(ctx context.Context) ([]BundleRecord, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+bundleColumns+` FROM bundle ORDER BY imported_at, created`)
	if err != nil {
		if noTable(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("vulndb: bundles: %w", err)
	}
	defer rows.Close()
	var out []BundleRecord
	for rows.Next() {
		var b BundleRecord
		if err := scanBundle(rows, &b); err != nil {
			return nil, fmt.Errorf("vulndb: bundles: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Payload returns the payload of a kind, or nil when no bundle brought one.
func (d *DB) Payload(ctx context.Context, kind string) (*Payload, error) {
	p := &Payload{Kind: kind}
	err := d.sql.QueryRowContext(ctx, `SELECT name, sha256, data, bundle, source_date, imported_at FROM payload WHERE kind = ?`, kind).
		Scan(&p.Name, &p.SHA256, &p.Data, &p.Bundle, scanTime{&p.SourceDate}, scanTime{&p.ImportedAt})
	switch {
	case errors.Is(err, sql.ErrNoRows) || err != nil && noTable(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("vulndb: payload %s: %w", kind, err)
	}
	return p, nil
}

// noTable reports a query on a table that a file written before bundles
// existed does not have (read-only opens do not add it).
func noTable(err error) bool { return strings.Contains(err.Error(), "no such table") }

// gc drops the record texts that no source lists any more (a replaced
// copy's).
func gc(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM affected WHERE blob_id NOT IN (SELECT blob_id FROM record)`); err != nil {
		return fmt.Errorf("vulndb: import: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM blob WHERE id NOT IN (SELECT blob_id FROM record)`); err != nil {
		return fmt.Errorf("vulndb: import: %w", err)
	}
	return nil
}

// Read validates the OSV records of one path (an all.zip, a directory of
// JSON records, or one record) and hands each accepted record to emit,
// without a database: the bundle builder reads its inputs with it.
func Read(ctx context.Context, path string, emit func(*Record) error) (Summary, []Skip, error) {
	abs, fi, err := statAbs(path)
	if err != nil {
		return Summary{}, nil, &ImportError{Path: path, Err: err}
	}
	rd := newReader(ctx, path, emit, nil)
	if err := rd.readPath(abs, fi); err != nil {
		return Summary{}, nil, err
	}
	return rd.summary(), rd.skipped, nil
}
