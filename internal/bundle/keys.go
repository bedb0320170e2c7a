package bundle

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Keys are Ed25519, stored as standard PEM so that a site can inspect them
// and check a signature without airlock: the private key as PKCS #8
// ("PRIVATE KEY"), the public key as PKIX ("PUBLIC KEY"). A key's id is the
// first 16 hex digits of the sha256 of its PKIX encoding.

// KeyID names a public key.
func KeyID(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		// An ed25519.PublicKey of the right length always marshals.
		panic(err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// GenerateKey writes a new key pair to NAME.key (mode 0600) and NAME.pub,
// refusing to overwrite either, and returns the key's id.
func GenerateKey(name string) (string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("keygen: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("keygen: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("keygen: %w", err)
	}
	keyFile, pubFile := name+".key", name+".pub"
	for _, p := range []string{keyFile, pubFile} {
		if _, err := os.Lstat(p); err == nil {
			return "", fmt.Errorf("keygen: %s exists: refusing to overwrite a key; choose another --out", p)
		}
	}
	if err := writeNew(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return "", err
	}
	// The key id goes on a line before the block, where PEM readers
	// (Go's, OpenSSL's) skip text; a PEM header would make OpenSSL look
	// for encryption parameters.
	pubPEM := append([]byte("airlock data bundle signing key "+KeyID(pub)+"\n"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})...)
	if err := writeNew(pubFile, pubPEM, 0o644); err != nil {
		os.Remove(keyFile)
		return "", err
	}
	return KeyID(pub), nil
}

func writeNew(p string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(p)
		return fmt.Errorf("keygen: write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(p)
		return fmt.Errorf("keygen: write %s: %w", p, err)
	}
	return nil
}

// LoadPrivateKey reads a private key written by GenerateKey.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: not a PEM \"PRIVATE KEY\" block (write one with 'airlock db keygen')", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: a %T, not an Ed25519 key", path, k)
	}
	return priv, nil
}

// ParsePublicKey reads one PEM "PUBLIC KEY" block, or the same key as the
// base64 of its PEM text (as sites pass keys through Helm values).
func ParsePublicKey(name string, b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b))); err == nil {
			blk, _ = pem.Decode(dec)
		}
	}
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("trusted key %s: not a PEM \"PUBLIC KEY\" block", name)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("trusted key %s: %w", name, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("trusted key %s: a %T, not an Ed25519 key", name, k)
	}
	return pub, nil
}

// Keyring is the set of public keys a site trusts to sign bundles.
type Keyring struct {
	// From says where the keys were read, for messages.
	From string
	keys map[string]ed25519.PublicKey
}

// LoadKeyring reads the trusted keys at path: a .pub file, or a directory
// whose .pub files are each one key.
func LoadKeyring(path string) (*Keyring, error) {
	if path == "" {
		return nil, errors.New("no trusted keys: give --trusted-keys with a .pub file or a directory of them (see 'airlock db keygen')")
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("trusted keys: %w", err)
	}
	files := []string{path}
	if fi.IsDir() {
		m, err := filepath.Glob(filepath.Join(path, "*.pub"))
		if err != nil {
			return nil, fmt.Errorf("trusted keys: %w", err)
		}
		sort.Strings(m)
		if len(m) == 0 {
			return nil, fmt.Errorf("trusted keys: %s holds no .pub file", path)
		}
		files = m
	}
	kr := &Keyring{From: path, keys: map[string]ed25519.PublicKey{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("trusted keys: %w", err)
		}
		pub, err := ParsePublicKey(f, b)
		if err != nil {
			return nil, err
		}
		kr.keys[KeyID(pub)] = pub
	}
	return kr, nil
}

// NewKeyring trusts the given keys.
func NewKeyring(from string, keys ...ed25519.PublicKey) *Keyring {
	kr := &Keyring{From: from, keys: map[string]ed25519.PublicKey{}}
	for _, k := range keys {
		kr.keys[KeyID(k)] = k
	}
	return kr
}

// IDs lists the trusted keys' ids.
func (k *Keyring) IDs() []string {
	var out []string
	for id := range k.keys {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
