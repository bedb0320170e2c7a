// Package keyring keeps the server's secrets at rest (GitLab tokens, webhook
// secrets, agent keys) encrypted with AES-256-GCM under one key.
//
// The key comes from the environment (AIRLOCK_SECRET_KEY) or from a key file
// in the data directory that is created on first start. A Keyring never
// prints its key: its String, GoString, Format and LogValue methods show only
// the key's ID, and so do its errors.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// EnvKey is the environment variable that holds the key.
const EnvKey = "AIRLOCK_SECRET_KEY"

// EnvPrevious is the environment variable that holds the keys used before
// the current one, comma-separated, during a key rotation.
const EnvPrevious = "AIRLOCK_SECRET_KEY_PREVIOUS"

// KeySize is the size of a key in bytes.
const KeySize = 32

// keyForm describes the accepted forms of a key, for error messages.
const keyForm = "32 random bytes as base64 or 64 hexadecimal characters (e.g. `openssl rand -base64 32`)"

// Layout of a sealed value: version, key ID, nonce, then the GCM ciphertext
// with its tag.
const (
	version   = 1
	idSize    = 4
	nonceSize = 12
	headSize  = 1 + idSize + nonceSize
)

// ErrDifferentKey is returned (wrapped) by Keyring.Open when a value was
// sealed with a key that the keyring does not hold.
var ErrDifferentKey = errors.New("sealed with a different key")

// ErrInvalid is returned (wrapped) by Keyring.Open when a value is not a
// sealed value, was altered, or was sealed for another aad.
var ErrInvalid = errors.New("invalid sealed value")

// Keyring seals and opens secrets. Seal uses the current key; Open accepts
// values sealed with the current key or with one of the previous keys. A
// Keyring is safe for concurrent use.
type Keyring struct {
	current  *key
	previous []*key
}

// key is one AES-256-GCM key; the key bytes themselves are not kept.
type key struct {
	id   [idSize]byte
	aead cipher.AEAD
}

func newKey(raw []byte) (*key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(raw), KeySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &key{aead: aead}
	sum := sha256.Sum256(raw)
	copy(k.id[:], sum[:idSize])
	return k, nil
}

func (k *key) idString() string { return hex.EncodeToString(k.id[:]) }

// parseKey decodes a key given as 64 hexadecimal characters or as base64
// (standard or URL alphabet, padded or not). Surrounding white space is
// ignored. The error never contains the text.
func parseKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if len(text) == 2*KeySize {
		if b, err := hex.DecodeString(text); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, errors.New("not a key")
}

// fromRaw builds a keyring whose current key is raw and clears raw.
func fromRaw(raw []byte) (*Keyring, error) {
	defer clear(raw)
	k, err := newKey(raw)
	if err != nil {
		return nil, err
	}
	return &Keyring{current: k}, nil
}

// WithPrevious returns a keyring with the same current key that also opens
// values sealed with the keys in list: keys in any form AIRLOCK_SECRET_KEY
// accepts, separated by commas (the value of AIRLOCK_SECRET_KEY_PREVIOUS).
// An empty list returns k itself. To rotate, set the new key as the current
// one and the old one as previous, then re-seal every stored value.
func (k *Keyring) WithPrevious(list string) (*Keyring, error) {
	if strings.TrimSpace(list) == "" {
		return k, nil
	}
	n := &Keyring{current: k.current, previous: append([]*key(nil), k.previous...)}
	for i, item := range strings.Split(list, ",") {
		raw, err := parseKey(item)
		if err != nil {
			return nil, fmt.Errorf("keyring: %s: entry %d is not a key: want %s, separated by commas", EnvPrevious, i+1, keyForm)
		}
		pk, err := newKey(raw)
		clear(raw)
		if err != nil {
			return nil, fmt.Errorf("keyring: %s: entry %d: %w", EnvPrevious, i+1, err)
		}
		if pk.id != k.current.id {
			n.previous = append(n.previous, pk)
		}
	}
	return n, nil
}

// ID is the current key's ID: the first 4 bytes of its SHA-256, in
// hexadecimal. It identifies the key without revealing it.
func (k *Keyring) ID() string { return k.current.idString() }

// Seal encrypts plaintext with the current key, binding it to aad (which is
// not encrypted and must be given again to Open; e.g. "integration:3:token"
// so that a sealed value copied to another row does not open there).
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, headSize, headSize+len(plaintext)+k.current.aead.Overhead())
	out[0] = version
	copy(out[1:], k.current.id[:])
	if _, err := io.ReadFull(rand.Reader, out[1+idSize:headSize]); err != nil {
		return nil, fmt.Errorf("keyring: seal: random nonce: %w", err)
	}
	return k.current.aead.Seal(out, out[1+idSize:headSize], plaintext, additional(out[:1+idSize], aad)), nil
}

// Open decrypts a value that Seal returned for the same aad. A value sealed
// with a key the keyring does not hold gives an error wrapping
// ErrDifferentKey; a value that was altered, truncated or sealed for
// another aad gives one wrapping ErrInvalid.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < headSize+k.current.aead.Overhead() {
		return nil, fmt.Errorf("keyring: open: %w: %d bytes is too short", ErrInvalid, len(sealed))
	}
	if sealed[0] != version {
		return nil, fmt.Errorf("keyring: open: %w: unknown version %d", ErrInvalid, sealed[0])
	}
	var id [idSize]byte
	copy(id[:], sealed[1:])
	kk := k.find(id)
	if kk == nil {
		return nil, fmt.Errorf("keyring: open: %w (id %x): set %s to the key used when it was stored", ErrDifferentKey, id, EnvKey)
	}
	plain, err := kk.aead.Open(nil, sealed[1+idSize:headSize], sealed[headSize:], additional(sealed[:1+idSize], aad))
	if err != nil {
		return nil, fmt.Errorf("keyring: open: %w: authentication failed (altered, or stored for another record)", ErrInvalid)
	}
	return plain, nil
}

func (k *Keyring) find(id [idSize]byte) *key {
	if k.current.id == id {
		return k.current
	}
	for _, p := range k.previous {
		if p.id == id {
			return p
		}
	}
	return nil
}

// additional is the data GCM authenticates besides the ciphertext: the
// header (version and key ID) followed by the caller's aad.
func additional(head, aad []byte) []byte {
	return append(append(make([]byte, 0, len(head)+len(aad)), head...), aad...)
}

// SealString is Seal for text: it returns the sealed value as base64
// (standard alphabet, padded), ready for a text column.
func (k *Keyring) SealString(plaintext, aad string) (string, error) {
	b, err := k.Seal([]byte(plaintext), []byte(aad))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// OpenString opens a value that SealString returned for the same aad.
func (k *Keyring) OpenString(sealed, aad string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("keyring: open: %w: not base64", ErrInvalid)
	}
	plain, err := k.Open(b, []byte(aad))
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// String describes the keyring by its key IDs only.
func (k Keyring) String() string {
	if k.current == nil {
		return "keyring(none)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "keyring(id %s", k.current.idString())
	for _, p := range k.previous {
		fmt.Fprintf(&b, ", previous %s", p.idString())
	}
	b.WriteString(")")
	return b.String()
}

// GoString is String, so that %#v does not print the key schedule.
func (k Keyring) GoString() string { return k.String() }

// Format prints String whatever the verb, so that no verb (%d, %x, %+v...)
// prints the key schedule.
func (k Keyring) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// LogValue logs the key IDs only.
func (k Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }
