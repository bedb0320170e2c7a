package bundle

import (
	"archive/zip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Bundle is an opened bundle whose manifest signature has been checked.
type Bundle struct {
	// Path is the bundle file.
	Path string
	// ID is the hex sha256 of the signed manifest: it names the bundle.
	ID string
	// Signer is the id of the trusted key whose signature matched.
	Signer   string
	Manifest *Manifest
	// FileSHA256 is the digest of the whole file.
	FileSHA256 string

	f       io.Closer
	members map[string]*zip.File
}

// Error is a refused bundle, naming the file and what is wrong.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrUntrusted is wrapped by the error for a bundle whose signature is by
// no trusted key, or does not match.
var ErrUntrusted = errors.New("untrusted bundle")

// Open reads a bundle's manifest and checks its signature against the
// trusted keys, its format version, and that the archive holds exactly
// the members the manifest lists at the sizes it lists. Members' contents
// are checked by Verify and Extract.
func Open(path string, keys *Keyring) (*Bundle, error) {
	b, err := open(path, keys)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	return b, nil
}

func open(path string, keys *Keyring) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file")
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return nil, err
	}
	b, err := read(f, fi.Size(), keys)
	if err != nil {
		f.Close()
		return nil, err
	}
	b.Path, b.FileSHA256, b.f = path, hex.EncodeToString(h.Sum(nil)), f
	return b, nil
}

// read checks a bundle held by r.
func read(r io.ReaderAt, size int64, keys *Keyring) (*Bundle, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a bundle (truncated, or not a zip archive): %w", err)
	}
	entries := map[string]*zip.File{}
	for _, e := range zr.File {
		if reason := unsafeName(e.Name); reason != "" {
			return nil, fmt.Errorf("entry %q: %s", e.Name, reason)
		}
		if entries[e.Name] != nil {
			return nil, fmt.Errorf("entry %q appears twice", e.Name)
		}
		entries[e.Name] = e
	}
	mf, sf := entries[ManifestName], entries[SignatureName]
	if mf == nil || sf == nil {
		return nil, fmt.Errorf("not a bundle: %s or %s is missing", ManifestName, SignatureName)
	}
	raw, err := readEntry(mf, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	sigRaw, err := readEntry(sf, MaxSignatureSize)
	if err != nil {
		return nil, err
	}
	var sig signature
	if err := json.Unmarshal(sigRaw, &sig); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %v", SignatureName, err)
	}
	if sig.Algorithm != "ed25519" {
		return nil, fmt.Errorf("%s: field algorithm: %q is not ed25519", SignatureName, sig.Algorithm)
	}
	if keys == nil {
		return nil, fmt.Errorf("%w: no trusted keys were given", ErrUntrusted)
	}
	pub, found := keys.keys[sig.KeyID]
	if !found {
		return nil, fmt.Errorf("%w: signed by key %s, which is not among the trusted keys (%s: %s)", ErrUntrusted, sig.KeyID, keys.From, strings.Join(keys.IDs(), ", "))
	}
	if len(sig.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, raw, sig.Signature) {
		return nil, fmt.Errorf("%w: the signature by key %s does not match the manifest (the bundle was altered after signing)", ErrUntrusted, sig.KeyID)
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return nil, err
	}
	members := map[string]*zip.File{}
	for _, mb := range m.Members {
		e := entries[mb.Name]
		if e == nil {
			return nil, fmt.Errorf("member %s is listed in the manifest but missing from the archive", mb.Name)
		}
		if e.UncompressedSize64 != uint64(mb.Size) {
			return nil, fmt.Errorf("member %s: the archive says %d bytes, the manifest %d", mb.Name, e.UncompressedSize64, mb.Size)
		}
		members[mb.Name] = e
	}
	for name := range entries {
		if name != ManifestName && name != SignatureName && members[name] == nil {
			return nil, fmt.Errorf("entry %s is not listed in the signed manifest", name)
		}
	}
	sum := sha256.Sum256(raw)
	return &Bundle{ID: hex.EncodeToString(sum[:]), Signer: sig.KeyID, Manifest: m, members: members}, nil
}

func readEntry(e *zip.File, max int64) ([]byte, error) {
	if e.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit", e.Name, e.UncompressedSize64, max)
	}
	rc, err := e.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	defer rc.Close()
	// The header's size can lie: never read more than it says.
	want := int64(e.UncompressedSize64)
	b, err := io.ReadAll(io.LimitReader(rc, want+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	case int64(len(b)) != want:
		return nil, fmt.Errorf("%s: the archive says %d bytes, the entry holds more", e.Name, want)
	}
	return b, nil
}

// Close releases the file.
func (b *Bundle) Close() error { return b.f.Close() }

// Verify checks every member's content against the manifest.
func (b *Bundle) Verify(ctx context.Context) error {
	for _, mb := range b.Manifest.Members {
		if err := b.copyMember(ctx, mb, io.Discard); err != nil {
			return &Error{Path: b.Path, Err: err}
		}
	}
	return nil
}

// Extracted is a member written out by Extract.
type Extracted struct {
	Member
	// Path is the file it was written to.
	Path string
}

// Extract writes every member into dir (which must exist), checking each
// against the manifest as it is written: a file Extract returns holds
// exactly what the signer signed.
func (b *Bundle) Extract(ctx context.Context, dir string) ([]Extracted, error) {
	var out []Extracted
	for i, mb := range b.Manifest.Members {
		// Members are written under numbered names: the manifest's names
		// never become paths on this machine.
		p := filepath.Join(dir, fmt.Sprintf("member-%d%s", i, extOf(mb.Name)))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, &Error{Path: b.Path, Err: err}
		}
		err = b.copyMember(ctx, mb, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, &Error{Path: b.Path, Err: err}
		}
		out = append(out, Extracted{Member: mb, Path: p})
	}
	return out, nil
}

// extOf keeps a member's extension, which the importer reads the kind of
// an OSV input from (.zip, .json).
func extOf(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".zip", ".json", ".toml":
		return ext
	}
	return ""
}

func (b *Bundle) copyMember(ctx context.Context, mb Member, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := b.members[mb.Name]
	rc, err := e.Open()
	if err != nil {
		return fmt.Errorf("member %s: %w", mb.Name, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(h, w), io.LimitReader(rc, mb.Size+1))
	switch {
	case err != nil:
		return fmt.Errorf("member %s: %w", mb.Name, err)
	case n != mb.Size:
		return fmt.Errorf("member %s: %d bytes where the manifest says %d", mb.Name, n, mb.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != mb.SHA256 {
		return fmt.Errorf("member %s: sha256 %s does not match the manifest's %s", mb.Name, got, mb.SHA256)
	}
	return nil
}

// IsBundle reports whether the file at path is laid out as a bundle (a zip
// with a manifest and its signature), without checking either.
func IsBundle(path string) bool {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return false
	}
	defer zr.Close()
	var m, s bool
	for _, e := range zr.File {
		m = m || e.Name == ManifestName
		s = s || e.Name == SignatureName
	}
	return m && s
}
