package bundle

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// BuildOptions control Build.
type BuildOptions struct {
	// Key signs the manifest; it never enters the bundle.
	Key ed25519.PrivateKey
	// Source names the bundle's source (Manifest.Source).
	Source string
	// Base makes an incremental bundle: only the records changed since
	// this (opened) bundle, applied on top of it.
	Base *Bundle
	// Now returns the creation time; time.Now when nil.
	Now func() time.Time
	// TempDir holds work files; the output file's directory when empty.
	TempDir string
}

// Built describes one member of a new bundle.
type Built struct {
	Member
	// Unchanged counts the input's records left out of an incremental
	// member because its base has them as they are.
	Unchanged int
	// Skipped counts the input's entries that are not valid OSV records.
	Skipped int
}

// Build packs the inputs (OSV all.zip files, directories or files of OSV
// records, and at most one gitleaks TOML rule set) into a signed bundle
// written to out; the file appears whole or not at all.
func Build(ctx context.Context, out string, inputs []string, o BuildOptions) (*Manifest, []Built, error) {
	if len(o.Key) != ed25519.PrivateKeySize {
		return nil, nil, fmt.Errorf("bundle: no signing key")
	}
	if len(inputs) == 0 {
		return nil, nil, fmt.Errorf("bundle: no inputs")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	tmpDir := o.TempDir
	if tmpDir == "" {
		tmpDir = filepath.Dir(out)
	}
	work, err := os.MkdirTemp(tmpDir, ".airlock-bundle-*")
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: %w", err)
	}
	defer os.RemoveAll(work)

	base, err := readBase(ctx, o.Base, work)
	if err != nil {
		return nil, nil, err
	}
	m := &Manifest{FormatVersion: FormatVersion, Created: now().UTC().Truncate(time.Second), Source: o.Source}
	if o.Base != nil {
		m.Base = &Base{ID: o.Base.ID, Created: o.Base.Manifest.Created}
		if !m.Created.After(m.Base.Created) {
			m.Created = m.Base.Created.Add(time.Second)
		}
	}
	var built []Built
	files := map[string]string{} // member name -> file holding it
	for i, in := range inputs {
		b, file, err := buildMember(ctx, in, i, work, base)
		if err != nil {
			return nil, nil, err
		}
		if b == nil {
			continue // nothing changed since the base
		}
		if files[b.Name] != "" {
			b.Name = fmt.Sprintf("%s%d/%s", memberPrefix, i, strings.TrimPrefix(b.Name, memberPrefix))
		}
		files[b.Name] = file
		built = append(built, *b)
		m.Members = append(m.Members, b.Member)
	}
	if err := m.check(); err != nil {
		return nil, nil, fmt.Errorf("bundle: %w", err)
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: %w", err)
	}
	raw = append(raw, '\n')
	pub := o.Key.Public().(ed25519.PublicKey)
	sig, err := json.Marshal(signature{Algorithm: "ed25519", KeyID: KeyID(pub), Signature: ed25519.Sign(o.Key, raw)})
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: %w", err)
	}
	if err := writeArchive(ctx, out, raw, sig, m.Members, files); err != nil {
		return nil, nil, err
	}
	return m, built, nil
}

// baseData is what an incremental bundle is compared against.
type baseData struct {
	// records by origin, then record id.
	records map[string]map[string]baseRecord
	// payloads are the sha256 of the base's members of the other kinds
	// (secret rules, IaC policies, license table), of which a bundle
	// carries one each.
	payloads map[Kind]string
}

// has reports whether the base carries the member of kind with that
// digest: an incremental bundle leaves it out.
func (b *baseData) has(kind Kind, digest string) bool {
	return b != nil && b.payloads[kind] == digest
}

// dataMember writes the generated file of a member of its own kind
// (secret rules aside, which are carried as given) into work and
// describes it; nil when the base carries the same bytes.
func dataMember(work string, i int, base *baseData, m Member, data []byte) (*Built, string, error) {
	sum := sha256.Sum256(data)
	m.SHA256, m.Size = hex.EncodeToString(sum[:]), int64(len(data))
	if base.has(m.Kind, m.SHA256) {
		return nil, "", nil
	}
	file := filepath.Join(work, fmt.Sprintf("member-%d.json", i))
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return nil, "", fmt.Errorf("bundle: %w", err)
	}
	return &Built{Member: m}, file, nil
}

type baseRecord struct {
	hash string
	date time.Time
}

func readBase(ctx context.Context, b *Bundle, work string) (*baseData, error) {
	if b == nil {
		return nil, nil
	}
	dir := filepath.Join(work, "base")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	ex, err := b.Extract(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("bundle: base: %w", err)
	}
	bd := &baseData{records: map[string]map[string]baseRecord{}, payloads: map[Kind]string{}}
	for _, e := range ex {
		switch e.Kind {
		case KindSecretRules, KindIaCPolicies, KindLicenseNames:
			bd.payloads[e.Kind] = e.SHA256
		case KindOSV:
			recs := bd.records[e.Origin]
			if recs == nil {
				recs = map[string]baseRecord{}
				bd.records[e.Origin] = recs
			}
			if _, _, err := vulndb.Read(ctx, e.Path, func(r *vulndb.Record) error {
				recs[r.ID] = baseRecord{hash: r.Hash, date: r.Date}
				return nil
			}); err != nil {
				return nil, fmt.Errorf("bundle: base member %s: %w", e.Name, err)
			}
		}
	}
	// A base that is itself incremental does not hold every record of its
	// chain: records it lacks are compared as new, which only makes the
	// new bundle larger, never wrong.
	return bd, nil
}

func buildMember(ctx context.Context, in string, i int, work string, base *baseData) (*Built, string, error) {
	fi, err := os.Stat(in)
	if err != nil {
		return nil, "", fmt.Errorf("bundle: input %w", err)
	}
	if !fi.IsDir() && strings.EqualFold(filepath.Ext(in), ".toml") {
		return secretMember(in, fi, base)
	}
	if !fi.IsDir() && isLicenseTable(in) {
		return licenseMember(in, fi, work, i, base)
	}
	if fi.IsDir() && isPolicyDir(in) {
		return iacMember(ctx, in, work, i, base)
	}
	abs, err := filepath.Abs(in)
	if err != nil {
		return nil, "", fmt.Errorf("bundle: %w", err)
	}
	isZip := !fi.IsDir() && vulndb.IsZip(in)
	// The first reading validates the input and names its origin (which
	// depends on the ecosystem); a zip of a full bundle is carried as it
	// is, anything else is re-packed from the records kept.
	type rec struct {
		id, hash string
		date     time.Time
		json     []byte
	}
	var recs []rec
	keep := func(r *vulndb.Record) error {
		recs = append(recs, rec{r.ID, r.Hash, r.Date, r.JSON})
		return nil
	}
	emit := func(*vulndb.Record) error { return nil }
	if !isZip {
		emit = keep
	}
	sum, skips, err := vulndb.Read(ctx, in, emit)
	if err != nil {
		return nil, "", fmt.Errorf("bundle: %w", err)
	}
	if sum.Records == 0 {
		return nil, "", fmt.Errorf("bundle: input %s: no OSV records found (%d entries skipped)", in, len(skips))
	}
	kind := vulndb.KindDirectory
	if isZip {
		kind = vulndb.KindArchive
	} else if !fi.IsDir() {
		kind = vulndb.KindRecord
	}
	origin := vulndb.Origin(abs, kind, sum.Ecosystem)
	var prior map[string]baseRecord
	if base != nil {
		prior = base.records[origin]
	}
	unchanged := 0
	if prior != nil {
		if isZip {
			if _, _, err := vulndb.Read(ctx, in, keep); err != nil {
				return nil, "", fmt.Errorf("bundle: %w", err)
			}
		}
		// Changed: new, or a different text not dated before the base's
		// copy (a record's modified time, else its published time, says
		// which is newer; the text decides when neither is set).
		n := 0
		for _, r := range recs {
			if p, ok := prior[r.id]; ok && (p.hash == r.hash || !r.date.IsZero() && !p.date.IsZero() && r.date.Before(p.date)) {
				unchanged++
				continue
			}
			recs[n] = r
			n++
		}
		recs = recs[:n]
		if len(recs) == 0 {
			return nil, "", nil
		}
	}
	b := &Built{Member: Member{Kind: KindOSV, Origin: origin, Ecosystem: sum.Ecosystem, From: in, SourceDate: sum.Newest}, Unchanged: unchanged, Skipped: len(skips)}
	name := memberPrefix + origin
	if !strings.HasSuffix(strings.ToLower(name), ".zip") {
		name += ".zip"
	}
	if unsafeName(name) != "" {
		name = fmt.Sprintf("%sinput-%d.zip", memberPrefix, i)
	}
	b.Name = name
	file := in
	if prior != nil || !isZip {
		// A new archive of the records: all of a directory's, or the
		// changed ones of an incremental member.
		b.Merge = true
		file = filepath.Join(work, fmt.Sprintf("member-%d.zip", i))
		f, err := os.Create(file)
		if err != nil {
			return nil, "", fmt.Errorf("bundle: %w", err)
		}
		zw := zip.NewWriter(f)
		sort.Slice(recs, func(a, b int) bool { return recs[a].id < recs[b].id })
		for _, r := range recs {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: strings.NewReplacer("/", "_", `\`, "_").Replace(r.id) + ".json", Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()})
			if err == nil {
				_, err = w.Write(r.json)
			}
			if err != nil {
				f.Close()
				return nil, "", fmt.Errorf("bundle: %w", err)
			}
		}
		if err := zw.Close(); err != nil {
			f.Close()
			return nil, "", fmt.Errorf("bundle: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, "", fmt.Errorf("bundle: %w", err)
		}
		b.Records = len(recs)
	} else {
		b.Records = sum.Records
	}
	if b.SHA256, b.Size, err = digestFile(file); err != nil {
		return nil, "", fmt.Errorf("bundle: %w", err)
	}
	return b, file, nil
}

func secretMember(in string, fi os.FileInfo, base *baseData) (*Built, string, error) {
	raw, err := os.ReadFile(in)
	if err != nil {
		return nil, "", fmt.Errorf("bundle: input %w", err)
	}
	cfg, err := secret.ParseConfig(in, bytes.NewReader(raw))
	if err != nil {
		return nil, "", fmt.Errorf("bundle: input %w", err)
	}
	if _, err := secret.NewDetector(cfg); err != nil {
		return nil, "", fmt.Errorf("bundle: input %s: %w", in, err)
	}
	sum := sha256.Sum256(raw)
	b := &Built{Member: Member{Name: memberPrefix + "secret-rules.toml", Kind: KindSecretRules, SHA256: hex.EncodeToString(sum[:]),
		Size: int64(len(raw)), Records: len(cfg.Rules), From: in, SourceDate: fi.ModTime().UTC().Truncate(time.Second)}}
	if base.has(KindSecretRules, b.SHA256) {
		return nil, "", nil
	}
	return b, in, nil
}

func digestFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeArchive writes the bundle to a temporary file beside out and
// renames it into place.
func writeArchive(ctx context.Context, out string, manifest, sig []byte, members []Member, files map[string]string) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	put := func(name string, method uint16, r io.Reader) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: time.Unix(0, 0).UTC()})
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		return err
	}
	if err := put(ManifestName, zip.Deflate, bytes.NewReader(manifest)); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := put(SignatureName, zip.Store, bytes.NewReader(sig)); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	for _, mb := range members {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := os.Open(files[mb.Name])
		if err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		method := zip.Deflate
		if extOf(mb.Name) == ".zip" {
			method = zip.Store // already compressed
		}
		err = put(mb.Name, method, io.LimitReader(f, mb.Size))
		f.Close()
		if err != nil {
			return fmt.Errorf("bundle: member %s: %w", mb.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	done = true
	return nil
}
