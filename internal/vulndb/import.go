package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
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
	// Force replaces data even with older data.
	Force bool
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
	// Replaced is the source this import replaced, if any.
	Replaced *Source `json:"replaced,omitempty"`
	Source   Source  `json:"source"`
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
// imported, or nothing changes. A path whose content was imported before is
// left as it is. A path whose records all concern one ecosystem replaces the
// data previously imported for that ecosystem, unless that data is newer
// (then the import fails, unless Force).
func (d *DB) Import(ctx context.Context, paths []string, o ImportOptions) ([]FileReport, error) {
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
		r, err := d.importPath(ctx, tx, p, o, now().UTC())
		if err != nil {
			return nil, err
		}
		reports = append(reports, *r)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("vulndb: import: commit: %w", err)
	}
	return reports, nil
}

// importer accumulates one path's records inside the transaction.
type importer struct {
	ctx      context.Context
	tx       *sql.Tx
	path     string
	sourceID int64
	insVuln  *sql.Stmt
	insAff   *sql.Stmt
	report   *FileReport
	// ecoCount counts, per base ecosystem, the records that name it.
	ecoCount map[string]int
	newest   time.Time
	seen     map[string]bool
	progress func(Progress)
	total    int
	done     int
}

func (d *DB) importPath(ctx context.Context, tx *sql.Tx, p string, o ImportOptions, now time.Time) (*FileReport, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, &ImportError{Path: p, Err: err}
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, &ImportError{Path: p, Err: err}
	}
	digest, err := digestPath(abs, fi)
	if err != nil {
		return nil, &ImportError{Path: p, Err: err}
	}
	report := &FileReport{Path: p}
	var existing Source
	err = tx.QueryRowContext(ctx, `SELECT key, ecosystem, path, sha256, records, withdrawn, skipped, newest_modified, imported_at FROM source WHERE sha256 = ?`, digest).
		Scan(&existing.Key, &existing.Ecosystem, &existing.Path, &existing.SHA256, &existing.Records, &existing.Withdrawn, &existing.Skipped, scanTime{&existing.NewestModified}, scanTime{&existing.ImportedAt})
	if err == nil {
		report.Status = StatusUnchanged
		report.Source = existing
		return report, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}

	pending := "pending:" + abs
	res, err := tx.ExecContext(ctx, `INSERT INTO source (key, ecosystem, path, sha256, records, withdrawn, skipped, newest_modified, imported_at) VALUES (?, '', ?, ?, 0, 0, 0, '', ?)`,
		pending, abs, digest, now.Format(time.RFC3339Nano))
	if err != nil {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}
	im := &importer{ctx: ctx, tx: tx, path: p, report: report, ecoCount: map[string]int{}, seen: map[string]bool{}, progress: o.Progress}
	if im.sourceID, err = res.LastInsertId(); err != nil {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}
	if im.insVuln, err = tx.PrepareContext(ctx, `INSERT INTO vuln (source_id, id, modified, data, bin) VALUES (?, ?, ?, ?, ?)`); err != nil {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}
	defer im.insVuln.Close()
	if im.insAff, err = tx.PrepareContext(ctx, `INSERT INTO affected (ecosystem, name, source_id, vuln_id) VALUES (?, ?, ?, ?)`); err != nil {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}
	defer im.insAff.Close()

	switch {
	case fi.IsDir():
		err = im.readDir(abs)
	case isZip(abs):
		err = im.readZip(abs)
	default:
		err = im.readFile(abs)
	}
	if err != nil {
		return nil, err
	}
	s := &report.Source
	if s.Records == 0 {
		return nil, &ImportError{Path: p, Err: fmt.Errorf("no OSV records found (%d entries skipped%s)", len(report.Skipped), firstReason(report.Skipped))}
	}
	s.Path, s.SHA256, s.ImportedAt, s.NewestModified = abs, digest, now, im.newest
	s.Skipped = len(report.Skipped)
	s.Ecosystem, s.Key = "mixed", abs
	for eco, n := range im.ecoCount {
		if n == s.Records-s.Withdrawn && s.Records > s.Withdrawn {
			s.Ecosystem, s.Key = eco, eco
		}
	}

	var old Source
	var oldID int64
	err = tx.QueryRowContext(ctx, `SELECT id, key, ecosystem, path, sha256, records, withdrawn, skipped, newest_modified, imported_at FROM source WHERE key = ?`, s.Key).
		Scan(&oldID, &old.Key, &old.Ecosystem, &old.Path, &old.SHA256, &old.Records, &old.Withdrawn, &old.Skipped, scanTime{&old.NewestModified}, scanTime{&old.ImportedAt})
	switch {
	case err == nil:
		if old.NewestModified.After(s.NewestModified) && !o.Force {
			return nil, &ImportError{Path: p, Err: fmt.Errorf("its newest record (%s) is older than the %s data already imported from %s (%s); use --force to replace newer data with older",
				s.NewestModified.Format(time.DateOnly), s.Key, old.Path, old.NewestModified.Format(time.DateOnly))}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM affected WHERE source_id = ?`, oldID); err != nil {
			return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM source WHERE id = ?`, oldID); err != nil {
			return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
		}
		report.Replaced = &old
	case errors.Is(err, sql.ErrNoRows):
	default:
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE source SET key = ?, ecosystem = ?, records = ?, withdrawn = ?, skipped = ?, newest_modified = ? WHERE id = ?`,
		s.Key, s.Ecosystem, s.Records, s.Withdrawn, s.Skipped, s.NewestModified.Format(time.RFC3339Nano), im.sourceID); err != nil {
		return nil, fmt.Errorf("vulndb: import %s: %w", p, err)
	}
	report.Status = StatusImported
	return report, nil
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

func isZip(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return strings.HasSuffix(strings.ToLower(p), ".zip")
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return strings.HasSuffix(strings.ToLower(p), ".zip")
	}
	return string(magic[:]) == "PK\x03\x04" || string(magic[:]) == "PK\x05\x06" || strings.HasSuffix(strings.ToLower(p), ".zip")
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

func (im *importer) skip(entry, reason string) {
	im.report.Skipped = append(im.report.Skipped, Skip{Entry: entry, Reason: reason})
}

func (im *importer) tick() {
	im.done++
	if im.progress != nil && (im.done%500 == 0 || im.done == im.total) {
		im.progress(Progress{Path: im.path, Done: im.done, Total: im.total})
	}
}

func (im *importer) readZip(p string) error {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return &ImportError{Path: im.path, Err: fmt.Errorf("not a readable zip archive: %w", err)}
	}
	defer zr.Close()
	im.total = len(zr.File)
	for _, f := range zr.File {
		if err := im.ctx.Err(); err != nil {
			return err
		}
		im.tick()
		name := f.Name
		if f.FileInfo().IsDir() {
			continue
		}
		if reason := unsafeName(name); reason != "" {
			im.skip(name, reason)
			continue
		}
		if !strings.HasSuffix(strings.ToLower(name), ".json") {
			im.skip(name, "not a .json file")
			continue
		}
		if f.UncompressedSize64 > MaxRecordSize {
			im.skip(name, fmt.Sprintf("entry of %d bytes is over the %d-byte limit", f.UncompressedSize64, MaxRecordSize))
			continue
		}
		if f.UncompressedSize64 > ratioFloor && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > MaxRatio {
			im.skip(name, fmt.Sprintf("compression ratio %d:1 is over %d:1 (zip bomb?)", f.UncompressedSize64/f.CompressedSize64, MaxRatio))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			im.skip(name, "unreadable entry: "+err.Error())
			continue
		}
		// The header's sizes can lie: never read more than the limit.
		b, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize+1))
		rc.Close()
		switch {
		case err != nil:
			im.skip(name, "corrupt entry: "+err.Error())
			continue
		case len(b) > MaxRecordSize:
			im.skip(name, fmt.Sprintf("entry is over the %d-byte limit (its header understates its size)", MaxRecordSize))
			continue
		}
		if err := im.add(name, b); err != nil {
			return err
		}
	}
	return nil
}

// unsafeName explains why an archive entry name is refused, or returns "".
func unsafeName(name string) string {
	switch {
	case name == "":
		return "empty entry name"
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || (len(name) > 1 && name[1] == ':'):
		return "absolute path in archive"
	case strings.ContainsRune(name, 0):
		return "NUL byte in entry name"
	}
	for _, seg := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return "path escapes the archive (..)"
		}
	}
	return ""
}

func (im *importer) readDir(root string) error {
	return filepath.WalkDir(root, func(q string, e fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, q)
		rel = filepath.ToSlash(rel)
		if err != nil {
			im.skip(rel, "unreadable: "+err.Error())
			return nil
		}
		if cerr := im.ctx.Err(); cerr != nil {
			return cerr
		}
		if e.IsDir() {
			return nil
		}
		if !strings.HasSuffix(strings.ToLower(e.Name()), ".json") {
			return nil
		}
		if !e.Type().IsRegular() {
			im.skip(rel, "not a regular file")
			return nil
		}
		im.tick()
		b, err := readLimited(q)
		if err != nil {
			im.skip(rel, err.Error())
			return nil
		}
		return im.add(rel, b)
	})
}

func (im *importer) readFile(p string) error {
	b, err := readLimited(p)
	if err != nil {
		return &ImportError{Path: im.path, Err: err}
	}
	im.tick()
	return im.add(path.Base(filepath.ToSlash(p)), b)
}

func readLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("over the %d-byte record limit", MaxRecordSize)
	}
	return b, nil
}

// add validates one record and stores it.
func (im *importer) add(entry string, b []byte) error {
	v, reason := Parse(b)
	if reason != "" {
		im.skip(entry, reason)
		return nil
	}
	if im.seen[v.ID] {
		im.skip(entry, "duplicate record id "+v.ID)
		return nil
	}
	im.seen[v.ID] = true
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		im.skip(entry, "not JSON: "+err.Error())
		return nil
	}
	// The JSON is kept as it came; scans decode a copy without what
	// matching and reports never read, which is most of some records.
	bin, err := json.Marshal(matchForm(v))
	if err != nil {
		return fmt.Errorf("vulndb: import %s: %s: %w", im.path, entry, err)
	}
	if _, err := im.insVuln.ExecContext(im.ctx, im.sourceID, v.ID, v.Modified.UTC().Format(time.RFC3339Nano), compact.Bytes(), bin); err != nil {
		return fmt.Errorf("vulndb: import %s: %s: %w", im.path, entry, err)
	}
	s := &im.report.Source
	s.Records++
	// The data's age is its newest modification; some databases (the Go
	// vulndb export) leave "modified" at the zero time, so "published"
	// stands in for it there.
	if t := v.Modified; !t.IsZero() && t.After(im.newest) {
		im.newest = t.UTC()
	} else if t.IsZero() && v.Published != nil && v.Published.After(im.newest) {
		im.newest = v.Published.UTC()
	}
	if v.Withdrawn != nil {
		s.Withdrawn++
		return nil
	}
	type key struct{ eco, name string }
	done := map[key]bool{}
	ecos := map[string]bool{}
	for _, a := range v.Affected {
		eco := BaseEcosystem(a.Package.Ecosystem)
		if eco == "" || a.Package.Name == "" {
			continue
		}
		k := key{eco, inventory.NormalizeName(eco, a.Package.Name)}
		ecos[eco] = true
		if done[k] {
			continue
		}
		done[k] = true
		if _, err := im.insAff.ExecContext(im.ctx, k.eco, k.name, im.sourceID, v.ID); err != nil {
			return fmt.Errorf("vulndb: import %s: %s: %w", im.path, entry, err)
		}
	}
	for eco := range ecos {
		im.ecoCount[eco]++
	}
	return nil
}

// matchForm is the record without credits and without the parts of
// ecosystem_specific other than a severity (Go's lists of affected symbols
// are most of its records).
func matchForm(v *osv.Vulnerability) *osv.Vulnerability {
	c := *v
	c.Credits = nil
	c.Affected = make([]osv.Affected, len(v.Affected))
	for i, a := range v.Affected {
		if len(a.EcosystemSpecific) > 0 {
			var es struct {
				Severity json.RawMessage `json:"severity,omitempty"`
			}
			a.EcosystemSpecific = nil
			if json.Unmarshal(v.Affected[i].EcosystemSpecific, &es) == nil && len(es.Severity) > 0 {
				a.EcosystemSpecific, _ = json.Marshal(es)
			}
		}
		c.Affected[i] = a
	}
	return &c
}

// Parse decodes and validates one OSV record. It returns the record, or the
// reason it is refused: not JSON, not an OSV record, an unsupported schema
// major version.
func Parse(b []byte) (*osv.Vulnerability, string) {
	var probe struct {
		ID            *string         `json:"id"`
		Modified      json.RawMessage `json:"modified"`
		SchemaVersion *string         `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Sprintf("not JSON: %v (at byte %d)", err, se.Offset)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Sprintf("not an OSV record: field %q is a %s", te.Field, te.Value)
		}
		return nil, "not JSON: " + err.Error()
	}
	switch {
	case probe.ID == nil || *probe.ID == "":
		return nil, `not an OSV record: required field "id" is missing`
	case len(probe.Modified) == 0:
		return nil, `not an OSV record: required field "modified" is missing`
	}
	if probe.SchemaVersion != nil {
		sv := *probe.SchemaVersion
		if major, _, _ := strings.Cut(sv, "."); major != "1" {
			return nil, fmt.Sprintf("unsupported schema_version %q (this airlock reads 1.x)", sv)
		}
	}
	var v osv.Vulnerability
	if err := json.Unmarshal(b, &v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Sprintf("not an OSV record: field %q: %v", te.Field, err)
		}
		var pe *time.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Sprintf("not an OSV record: bad time %q", pe.Value)
		}
		return nil, "not an OSV record: " + err.Error()
	}
	return &v, ""
}
