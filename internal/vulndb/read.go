package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
)

// Reading an import is separate from writing it: a reader turns a zip, a
// directory or one file into validated records and skipped entries and
// hands each record to a sink. The importer's sink writes to the database;
// the fuzz target's sink checks and drops them, so the parsing is fuzzed
// without SQLite.

// Record is one accepted OSV record, ready to store.
type Record struct {
	// Entry is the record's name in its source (a zip entry, a path
	// relative to the directory, a file name).
	Entry string
	ID    string
	// Date is the newest of the record's modified and published times,
	// UTC; zero when it carries neither (the Go database's export).
	Date      time.Time
	Withdrawn bool
	// JSON is the record as it came, compacted.
	JSON []byte
	// Match is the trimmed copy that scans decode (see matchForm).
	Match []byte
	// Hash is the hex sha256 of JSON: identical records from several
	// sources are stored once.
	Hash string
	// Packages are the packages the record names, by base ecosystem and
	// normalised name, each once. A withdrawn record names none.
	Packages []PackageKey
}

// PackageKey is a package as the store indexes it.
type PackageKey struct{ Ecosystem, Name string }

// Summary describes what a reader accepted from one path.
type Summary struct {
	Records, Withdrawn, Skipped int
	// Ecosystem is the one base ecosystem every record names, or "mixed"
	// (several, or none).
	Ecosystem string
	// Newest is the newest record date (of modified and published) and
	// DatedBy the field it came from. Modified counts the records whose
	// modified time is set: when none is, the source does not date its
	// changes and Newest says nothing of how current it is (see
	// Source.NewestModified).
	Newest   time.Time
	DatedBy  string
	Modified int
}

// reader validates the entries of one import path.
type reader struct {
	ctx context.Context
	// path is the path as given, for messages.
	path     string
	emit     func(*Record) error
	skipped  []Skip
	seen     map[string]bool
	ecos     map[string]bool
	sum      Summary
	progress func(Progress)
	total    int
	done     int
}

func newReader(ctx context.Context, path string, emit func(*Record) error, progress func(Progress)) *reader {
	return &reader{ctx: ctx, path: path, emit: emit, seen: map[string]bool{}, ecos: map[string]bool{}, progress: progress}
}

// summary is the reader's result once every entry has been read.
func (r *reader) summary() Summary {
	s := r.sum
	s.Skipped = len(r.skipped)
	s.Ecosystem = "mixed"
	if len(r.ecos) == 1 {
		for e := range r.ecos {
			s.Ecosystem = e
		}
	}
	return s
}

func (r *reader) skip(entry, reason string) {
	r.skipped = append(r.skipped, Skip{Entry: entry, Reason: reason})
}

func (r *reader) tick() {
	r.done++
	if r.progress != nil && (r.done%500 == 0 || r.done == r.total) {
		r.progress(Progress{Path: r.path, Done: r.done, Total: r.total})
	}
}

// readPath reads a directory, a zip archive or one record file.
func (r *reader) readPath(abs string, fi fs.FileInfo) error {
	switch {
	case fi.IsDir():
		return r.readDir(abs)
	case IsZip(abs):
		f, err := os.Open(abs)
		if err != nil {
			return &ImportError{Path: r.path, Err: err}
		}
		defer f.Close()
		return r.readZip(f, fi.Size())
	default:
		b, err := readLimited(abs)
		if err != nil {
			return &ImportError{Path: r.path, Err: err}
		}
		return r.readRecord(filepath.Base(abs), b)
	}
}

// readRecord reads a path that is one record.
func (r *reader) readRecord(name string, b []byte) error {
	r.total = 1
	r.tick()
	return r.add(name, b)
}

// kindOf says how a path is read: a directory, an archive or one record.
func kindOf(abs string, fi fs.FileInfo) SourceKind {
	switch {
	case fi.IsDir():
		return KindDirectory
	case IsZip(abs):
		return KindArchive
	}
	return KindRecord
}

// IsZip reports whether the file at p is read as a zip archive: by its
// name, else by its first bytes.
func IsZip(p string) bool {
	if strings.HasSuffix(strings.ToLower(p), ".zip") {
		return true
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false
	}
	return string(magic[:]) == "PK\x03\x04" || string(magic[:]) == "PK\x05\x06"
}

// readZip reads every entry of a zip archive of size bytes.
func (r *reader) readZip(ra io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return &ImportError{Path: r.path, Err: fmt.Errorf("not a readable zip archive: %w", err)}
	}
	r.total = len(zr.File)
	// Entries are read and prepared on every core a chunk at a time while
	// the previous chunk is accepted (stored), in archive order, so the
	// result is the same as one by one.
	workers := runtime.GOMAXPROCS(0)
	const chunk = 256
	chunks := make(chan []prepared, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(chunks)
		for lo := 0; lo < len(zr.File); lo += chunk {
			files := zr.File[lo:min(lo+chunk, len(zr.File))]
			out := make([]prepared, len(files))
			var next atomic.Int64
			var wg sync.WaitGroup
			for w := 0; w < min(workers, len(files)); w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1) - 1)
						if i >= len(files) {
							return
						}
						out[i] = readEntry(files[i])
					}
				}()
			}
			wg.Wait()
			select {
			case chunks <- out:
			case <-stop:
				return
			}
		}
	}()
	for out := range chunks {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		for i := range out {
			r.tick()
			if out[i].entry == "" && out[i].reason == "" {
				continue // a directory
			}
			if err := r.accept(out[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// readEntry reads and prepares one archive entry; the zero prepared for a
// directory.
func readEntry(f *zip.File) prepared {
	name := f.Name
	if f.FileInfo().IsDir() {
		return prepared{}
	}
	skip := func(reason string) prepared { return prepared{entry: name, reason: reason} }
	if reason := unsafeName(name); reason != "" {
		return skip(reason)
	}
	if !strings.HasSuffix(strings.ToLower(name), ".json") {
		return skip("not a .json file")
	}
	if f.UncompressedSize64 > MaxRecordSize {
		return skip(fmt.Sprintf("entry of %d bytes is over the %d-byte limit", f.UncompressedSize64, MaxRecordSize))
	}
	if f.UncompressedSize64 > ratioFloor && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > MaxRatio {
		return skip(fmt.Sprintf("compression ratio %d:1 is over %d:1 (zip bomb?)", f.UncompressedSize64/f.CompressedSize64, MaxRatio))
	}
	rc, err := f.Open()
	if err != nil {
		return skip("unreadable entry: " + err.Error())
	}
	// The header's sizes can lie: never read more than the limit.
	b, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize+1))
	rc.Close()
	switch {
	case err != nil:
		return skip("corrupt entry: " + err.Error())
	case len(b) > MaxRecordSize:
		return skip(fmt.Sprintf("entry is over the %d-byte limit (its header understates its size)", MaxRecordSize))
	}
	return prepare(name, b)
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

func (r *reader) readDir(root string) error {
	return filepath.WalkDir(root, func(q string, e fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, q)
		rel = filepath.ToSlash(rel)
		if err != nil {
			r.skip(rel, "unreadable: "+err.Error())
			return nil
		}
		if cerr := r.ctx.Err(); cerr != nil {
			return cerr
		}
		if e.IsDir() || !strings.HasSuffix(strings.ToLower(e.Name()), ".json") {
			return nil
		}
		if !e.Type().IsRegular() {
			r.skip(rel, "not a regular file")
			return nil
		}
		r.tick()
		b, err := readLimited(q)
		if err != nil {
			r.skip(rel, err.Error())
			return nil
		}
		return r.add(rel, b)
	})
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

// add validates one record and hands it to the sink.
func (r *reader) add(entry string, b []byte) error {
	return r.accept(prepare(entry, b))
}

// prepared is an entry turned into a record (or the reason it is not
// one): the part of reading that depends on nothing else, so that many
// entries are prepared at once.
type prepared struct {
	entry  string
	reason string
	rec    *Record
	by     string
	// modified says the record's modified time is set.
	modified bool
	ecos     []string
}

func prepare(entry string, b []byte) prepared {
	v, reason := Parse(b)
	if reason != "" {
		return prepared{entry: entry, reason: reason}
	}
	var compact bytes.Buffer
	compact.Grow(len(b))
	if err := json.Compact(&compact, b); err != nil {
		return prepared{entry: entry, reason: "not JSON: " + err.Error()}
	}
	// The JSON is kept as it came; scans decode a copy without what
	// matching and reports never read, which is most of some records.
	match, err := json.Marshal(matchForm(v))
	if err != nil {
		return prepared{entry: entry, reason: "not an OSV record: " + err.Error()}
	}
	sum := sha256.Sum256(compact.Bytes())
	rec := &Record{Entry: entry, ID: v.ID, Withdrawn: v.Withdrawn != nil, JSON: compact.Bytes(), Match: match, Hash: hex.EncodeToString(sum[:])}
	p := prepared{entry: entry, rec: rec, modified: !isUnset(v.Modified)}
	rec.Date, p.by = recordDate(v)
	done := map[PackageKey]bool{}
	for _, a := range v.Affected {
		eco := BaseEcosystem(a.Package.Ecosystem)
		if eco == "" || a.Package.Name == "" {
			continue
		}
		p.ecos = append(p.ecos, eco)
		k := PackageKey{eco, inventory.NormalizeName(eco, a.Package.Name)}
		if rec.Withdrawn || done[k] {
			continue
		}
		done[k] = true
		rec.Packages = append(rec.Packages, k)
	}
	sort.Slice(rec.Packages, func(i, j int) bool {
		a, b := rec.Packages[i], rec.Packages[j]
		return a.Ecosystem < b.Ecosystem || a.Ecosystem == b.Ecosystem && a.Name < b.Name
	})
	return p
}

// accept takes a prepared entry in the source's order: duplicates, the
// summary and the sink.
func (r *reader) accept(p prepared) error {
	if p.reason != "" {
		r.skip(p.entry, p.reason)
		return nil
	}
	rec := p.rec
	if r.seen[rec.ID] {
		r.skip(p.entry, "duplicate record id "+rec.ID)
		return nil
	}
	r.seen[rec.ID] = true
	r.sum.Records++
	if p.modified {
		r.sum.Modified++
	}
	if rec.Date.After(r.sum.Newest) {
		r.sum.Newest, r.sum.DatedBy = rec.Date, p.by
	}
	for _, e := range p.ecos {
		r.ecos[e] = true
	}
	if rec.Withdrawn {
		r.sum.Withdrawn++
	}
	return r.emit(rec)
}

// recordDate is the newest of a record's modified and published times and
// the field it came from; zero when both are absent or the zero time (the
// Go database's export leaves both at 0001-01-01 in most records).
func recordDate(v *osv.Vulnerability) (time.Time, string) {
	t, by := time.Time{}, ""
	if m := v.Modified.UTC(); !isUnset(m) {
		t, by = m, "modified"
	}
	if v.Published != nil {
		if p := v.Published.UTC(); !isUnset(p) && p.After(t) {
			t, by = p, "published"
		}
	}
	return t, by
}

// isUnset reports whether a time is absent in all but form: the zero time,
// or any time before 1970 (no vulnerability record is that old).
func isUnset(t time.Time) bool {
	return t.Before(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC))
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
