package vulndb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Limits that keep a hostile archive from exhausting memory or disk.
const (
	// MaxRecordSize is the largest record accepted; real OSV records are
	// far below it.
	MaxRecordSize = 16 << 20
	// MaxRatio is the largest compression ratio accepted for an entry of
	// more than ratioFloor bytes; JSON compresses about 5-15×.
	MaxRatio   = 100
	ratioFloor = 1 << 20
)

// ImportOptions control Import.
type ImportOptions struct {
	// Force replaces an archive's earlier copy even when the new copy is
	// older or holds fewer than half its records.
	Force bool
	// Origin names the source instead of the name derived from its path
	// (see Origin): for media laid out by date ("2026-12/PyPI/all.zip"),
	// so that each month's copy replaces the last. Only with one path.
	Origin string
	// Merge adds an archive's records to its origin's earlier ones, as a
	// directory's are, instead of replacing them: an incremental bundle's
	// member carries only the records changed since its base.
	Merge bool
	// Progress, when set, is called as records are read.
	Progress func(Progress)
	// Now returns the import time; time.Now when nil.
	Now func() time.Time
}

// Progress reports how far an import has come in one file.
type Progress struct {
	Path string
	// Done is the number of entries read; Total is the number there are
	// (0 when unknown).
	Done, Total int
}

// FileStatus says what an import did with one path.
type FileStatus string

// File statuses.
const (
	StatusImported  FileStatus = "imported"
	StatusUnchanged FileStatus = "unchanged"
)

// FileReport is what an import did with one path.
type FileReport struct {
	Path   string     `json:"path"`
	Status FileStatus `json:"status"`
	// Replaced is the earlier copy of the same archive origin, whose
	// records this import replaced.
	Replaced *Source `json:"replaced,omitempty"`
	// Merged is the earlier import of the same directory or record
	// origin, whose records this import kept beside its own.
	Merged *Source `json:"merged,omitempty"`
	Source Source  `json:"source"`
	// Skipped lists every entry refused, with the reason.
	Skipped []Skip `json:"skipped,omitempty"`
}

// Skip is one refused entry.
type Skip struct {
	Entry  string `json:"entry"`
	Reason string `json:"reason"`
}

// ImportError is an error about one input, naming the file and, where it
// can, the entry inside it.
type ImportError struct {
	Path  string
	Entry string
	Err   error
}

func (e *ImportError) Error() string {
	if e.Entry != "" {
		return fmt.Sprintf("import %s: %s: %v", e.Path, e.Entry, e.Err)
	}
	return fmt.Sprintf("import %s: %v", e.Path, e.Err)
}

func (e *ImportError) Unwrap() error { return e.Err }

// Import reads every path (an OSV all.zip, a directory of OSV JSON files, or
// one JSON record) into the store in one transaction: either every path is
// imported, or nothing changes.
//
// Each path is a source, identified by its origin (see Source.Origin);
// sources of different origins coexist, also for one ecosystem. A path
// whose content was imported before is left as it is. An archive replaces
// the records of the earlier archive of its origin, unless that copy is
// newer or the new one holds fewer than half its records (both refused
// unless Force). A directory or a single record merges into the earlier
// import of its origin and never removes records.
func (d *DB) Import(ctx context.Context, paths []string, o ImportOptions) ([]FileReport, error) {
	if d.readOnly {
		return nil, fmt.Errorf("vulndb: %s is open read-only", d.path)
	}
	if o.Origin != "" && len(paths) != 1 {
		return nil, fmt.Errorf("vulndb: an origin names one source: import one path with it, not %d", len(paths))
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("vulndb: import: %w", err)
	}
	defer tx.Rollback()
	var reports []FileReport
	for _, p := range paths {
		r, err := importPath(ctx, tx, p, o, now().UTC())
		if err != nil {
			return nil, err
		}
		reports = append(reports, *r)
	}
	if err := gc(ctx, tx); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("vulndb: import: commit: %w", err)
	}
	return reports, nil
}

// writer stores the records of one path under its (pending) source row.
type writer struct {
	ctx      context.Context
	path     string
	sourceID int64
	insBlob  *sql.Stmt
	getBlob  *sql.Stmt
	insAff   *sql.Stmt
	insRec   *sql.Stmt
}

func (w *writer) close() {
	for _, s := range []*sql.Stmt{w.insBlob, w.getBlob, w.insAff, w.insRec} {
		if s != nil {
			s.Close()
		}
	}
}

func (w *writer) prepare(tx *sql.Tx) error {
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&w.insBlob, `INSERT INTO blob (hash, data, bin) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING`},
		{&w.getBlob, `SELECT id FROM blob WHERE hash = ?`},
		{&w.insAff, `INSERT INTO affected (ecosystem, name, blob_id) VALUES (?, ?, ?)`},
		{&w.insRec, `INSERT INTO record (source_id, id, date, withdrawn, blob_id) VALUES (?, ?, ?, ?, ?)`},
	} {
		var err error
		if *p.st, err = tx.PrepareContext(w.ctx, p.q); err != nil {
			return fmt.Errorf("vulndb: import %s: %w", w.path, err)
		}
	}
	return nil
}

// store writes one record: its text once (with the packages it names),
// and its place in the source.
func (w *writer) store(r *Record) error {
	fail := func(err error) error { return fmt.Errorf("vulndb: import %s: %s: %w", w.path, r.Entry, err) }
	res, err := w.insBlob.ExecContext(w.ctx, r.Hash, r.JSON, r.Match)
	if err != nil {
		return fail(err)
	}
	var blobID int64
	if n, _ := res.RowsAffected(); n == 1 {
		if blobID, err = res.LastInsertId(); err != nil {
			return fail(err)
		}
		for _, p := range r.Packages {
			if _, err := w.insAff.ExecContext(w.ctx, p.Ecosystem, p.Name, blobID); err != nil {
				return fail(err)
			}
		}
	} else if err := w.getBlob.QueryRowContext(w.ctx, r.Hash).Scan(&blobID); err != nil {
		return fail(err)
	}
	if _, err := w.insRec.ExecContext(w.ctx, w.sourceID, r.ID, formatDate(r.Date), r.Withdrawn, blobID); err != nil {
		return fail(err)
	}
	return nil
}

// dateLayout is fixed-width so that dates order as text.
const dateLayout = "2006-01-02T15:04:05.000000000Z"

func formatDate(t time.Time) string { return t.UTC().Format(dateLayout) }

func importPath(ctx context.Context, tx *sql.Tx, p string, o ImportOptions, now time.Time) (*FileReport, error) {
	abs, fi, err := statAbs(p)
	if err != nil {
		return nil, &ImportError{Path: p, Err: err}
	}
	digest, err := digestPath(abs, fi)
	if err != nil {
		return nil, &ImportError{Path: p, Err: err}
	}
	report := &FileReport{Path: p}
	var existing Source
	err = scanSource(tx.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM source WHERE sha256 = ? AND origin NOT LIKE 'pending:%'`, digest), &existing)
	if err == nil {
		report.Status = StatusUnchanged
		report.Source = existing
		return report, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}

	kind := kindOf(abs, fi)
	res, err := tx.ExecContext(ctx, `INSERT INTO source (origin, kind, ecosystem, path, sha256, records, withdrawn, skipped, newest_modified, dated_by, imported_at) VALUES (?, ?, '', ?, ?, 0, 0, 0, '', '', ?)`,
		"pending:"+abs, kind, abs, digest, now.Format(time.RFC3339Nano))
	if err != nil {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}
	w := &writer{ctx: ctx, path: p}
	defer w.close()
	if w.sourceID, err = res.LastInsertId(); err != nil {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}
	if err := w.prepare(tx); err != nil {
		return nil, err
	}
	rd := newReader(ctx, p, w.store, o.Progress)
	if err := rd.readPath(abs, fi); err != nil {
		return nil, err
	}
	report.Skipped = rd.skipped
	sum := rd.summary()
	if sum.Records == 0 {
		return nil, &ImportError{Path: p, Err: fmt.Errorf("no OSV records found (%d entries skipped%s)", sum.Skipped, firstReason(rd.skipped))}
	}
	s := &report.Source
	*s = Source{Kind: kind, Ecosystem: sum.Ecosystem, Path: abs, SHA256: digest, Records: sum.Records, Withdrawn: sum.Withdrawn,
		Skipped: sum.Skipped, NewestModified: sum.Newest, DatedBy: sum.DatedBy, ImportedAt: now}
	if sum.Modified == 0 {
		// No record says when it last changed (the Go export leaves every
		// modified at the zero time); published dates only say when the
		// oldest advisories appeared. The data is as new as the import
		// that brought it: its export does not say more.
		s.NewestModified, s.DatedBy = now, "import"
	}
	s.Origin = Origin(abs, kind, sum.Ecosystem)
	if o.Origin != "" {
		s.Origin = o.Origin
	}
	s.Key = s.Origin

	var old Source
	var oldID int64
	err = scanSource(tx.QueryRowContext(ctx, `SELECT id, `+sourceColumns+` FROM source WHERE origin = ?`, s.Origin), &old, &oldID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	case kind == KindArchive && !o.Merge:
		if err := checkReplace(&old, s, o.Force); err != nil {
			return nil, &ImportError{Path: p, Err: err}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM source WHERE id = ?`, oldID); err != nil {
			return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
		}
		report.Replaced = &old
	default:
		// A partial source: keep the earlier import's records that this
		// one does not carry.
		if _, err := tx.ExecContext(ctx, `UPDATE record SET source_id = ? WHERE source_id = ? AND id NOT IN (SELECT id FROM record WHERE source_id = ?)`, w.sourceID, oldID, w.sourceID); err != nil {
			return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM source WHERE id = ?`, oldID); err != nil {
			return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(withdrawn), 0) FROM record WHERE source_id = ?`, w.sourceID).Scan(&s.Records, &s.Withdrawn); err != nil {
			return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
		}
		if old.NewestModified.After(s.NewestModified) {
			s.NewestModified, s.DatedBy = old.NewestModified, old.DatedBy
		}
		if old.Ecosystem != s.Ecosystem {
			s.Ecosystem = "mixed"
		}
		report.Merged = &old
	}
	if _, err := tx.ExecContext(ctx, `UPDATE source SET origin = ?, ecosystem = ?, records = ?, withdrawn = ?, skipped = ?, newest_modified = ?, dated_by = ? WHERE id = ?`,
		s.Origin, s.Ecosystem, s.Records, s.Withdrawn, s.Skipped, s.NewestModified.Format(time.RFC3339Nano), s.DatedBy, w.sourceID); err != nil {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}
	report.Status = StatusImported
	return report, nil
}

// checkReplace refuses to let a new copy of an archive replace the
// earlier one when it is older, or holds fewer than half the records (a
// damaged or partial copy), unless forced.
func checkReplace(old, s *Source, force bool) error {
	if force {
		return nil
	}
	if s.Records*2 < old.Records {
		return fmt.Errorf("it holds %d records (%d entries skipped) where the %s imported %s from %s holds %d: more than half fewer, so it looks damaged or partial; use --force to replace it anyway",
			s.Records, s.Skipped, old.Origin, old.ImportedAt.Format(time.DateOnly), old.Path, old.Records)
	}
	if old.NewestModified.After(s.NewestModified) {
		return fmt.Errorf("its newest record (%s) is older than the %s data already imported from %s (%s); use --force to replace newer data with older",
			s.NewestModified.Format(time.DateOnly), old.Origin, old.Path, old.NewestModified.Format(time.DateOnly))
	}
	return nil
}

// Origin names a source independently of where its copy is mounted. A file
// in a folder named after its records' ecosystem, as OSV lays its exports
// out, is named by that folder, its parent and its own name
// ("osv/PyPI/all.zip", "osv-ghsa/PyPI/all.zip"); any other file or
// directory by the ecosystem and its name ("PyPI/PYSEC-2099-1.json").
func Origin(abs string, kind SourceKind, ecosystem string) string {
	abs = filepath.Clean(abs)
	base := filepath.Base(abs)
	parent := filepath.Dir(abs)
	if !strings.EqualFold(filepath.Base(parent), ecosystem) {
		return ecosystem + "/" + base
	}
	o := filepath.Base(parent) + "/" + base
	if gp := filepath.Base(filepath.Dir(parent)); gp != "" && gp != "/" && gp != "." && gp != string(filepath.Separator) {
		o = gp + "/" + o
	}
	return o
}

func firstReason(skips []Skip) string {
	if len(skips) == 0 {
		return ""
	}
	return fmt.Sprintf("; first: %s: %s", skips[0].Entry, skips[0].Reason)
}

// scanTime scans an RFC 3339 text column into a time.
type scanTime struct{ t *time.Time }

func (s scanTime) Scan(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("time column holds %T", v)
	}
	if str == "" {
		*s.t = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, str)
	*s.t = t
	return err
}

// digestPath is the sha256 of a file, or for a directory the sha256 of the
// sorted list of its JSON files' relative paths and digests.
func digestPath(p string, fi fs.FileInfo) (string, error) {
	if !fi.IsDir() {
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	var lines []string
	err := filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || !strings.HasSuffix(strings.ToLower(e.Name()), ".json") {
			return nil
		}
		b, err := os.ReadFile(q)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, q)
		sum := sha256.Sum256(b)
		lines = append(lines, filepath.ToSlash(rel)+" "+hex.EncodeToString(sum[:]))
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:]), nil
}

func statAbs(p string) (string, fs.FileInfo, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", nil, err
	}
	fi, err := os.Stat(abs)
	return abs, fi, err
}
